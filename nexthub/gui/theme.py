"""The app's look: its icon, and light or dark colours as Settings says.

"system" leaves colours to the platform (Qt follows the desktop's light or
dark choice on Windows, macOS, GNOME and KDE). "light" and "dark" force a
palette on the Fusion style, which looks the same everywhere and honours every
palette role, so a forced choice is never half applied by a native style. The
settings dialog calls :func:`apply_theme` again when the user changes it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from nexthub.service.settings import Theme

#: The style the platform chose, kept to go back to "system" after a forced theme.
_PLATFORM_STYLE_PROPERTY = "nexthub_platform_style"

_DARK = {
    QPalette.ColorRole.Window: "#202124",
    QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#26272b",
    QPalette.ColorRole.ToolTipBase: "#303134",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    QPalette.ColorRole.Text: "#e8eaed",
    QPalette.ColorRole.Button: "#2d2e31",
    QPalette.ColorRole.ButtonText: "#e8eaed",
    QPalette.ColorRole.BrightText: "#ff8a80",
    QPalette.ColorRole.Highlight: "#3b82f6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.Light: "#3c4043",
    QPalette.ColorRole.Midlight: "#34363a",
    QPalette.ColorRole.Mid: "#2a2b2e",
    QPalette.ColorRole.Dark: "#111214",
    QPalette.ColorRole.Shadow: "#000000",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f3f4f6",
    QPalette.ColorRole.WindowText: "#1f2328",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f6f8fa",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1f2328",
    QPalette.ColorRole.PlaceholderText: "#6e7781",
    QPalette.ColorRole.Text: "#1f2328",
    QPalette.ColorRole.Button: "#f6f8fa",
    QPalette.ColorRole.ButtonText: "#1f2328",
    QPalette.ColorRole.BrightText: "#cf222e",
    QPalette.ColorRole.Highlight: "#2563eb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#0969da",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#eaeef2",
    QPalette.ColorRole.Mid: "#d0d7de",
    QPalette.ColorRole.Dark: "#8c959f",
    QPalette.ColorRole.Shadow: "#57606a",
}
_DISABLED_TEXT = {"light": "#8c959f", "dark": "#6b6f75"}


def icon_file() -> Path | None:
    """The app icon: packaged beside this module in a wheel, in assets/ in a checkout."""
    packaged = resources.files("nexthub.gui").joinpath("nexthub.svg")
    if packaged.is_file():
        return Path(str(packaged))
    in_repository = Path(__file__).resolve().parents[2] / "assets" / "nexthub.svg"
    return in_repository if in_repository.is_file() else None


def app_icon() -> QIcon:
    """The NextHub icon (an empty icon if the file is missing: never a reason to fail)."""
    path = icon_file()
    return QIcon(str(path)) if path else QIcon()


def palette_for(theme: Theme) -> QPalette:
    """The forced palette of "light" or "dark"."""
    colours = _DARK if theme == "dark" else _LIGHT
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(_DISABLED_TEXT["dark" if theme == "dark" else "light"])
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Follow the system's colours, or force light or dark (see the module docstring)."""
    if app.property(_PLATFORM_STYLE_PROPERTY) is None:
        app.setProperty(_PLATFORM_STYLE_PROPERTY, app.style().name())
    hints = QGuiApplication.styleHints()
    if theme == "system":
        app.setStyle(str(app.property(_PLATFORM_STYLE_PROPERTY)))
        if hasattr(hints, "unsetColorScheme"):
            hints.unsetColorScheme()
        app.setPalette(app.style().standardPalette())
        return
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
    app.setStyle("Fusion")
    app.setPalette(palette_for(theme))


def is_dark(palette: QPalette) -> bool:
    """Whether the window colour is dark (widgets pick matching highlight colours)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128

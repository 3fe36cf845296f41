"""The app's settings: what the user chose in Settings, kept in the config folder.

Settings hold no chat content (that lives in the encrypted store), so they are
a plain JSON file that a user can read. It is read forgivingly: a missing
file is the defaults, an unknown key (from a newer version) is ignored, and a
bad value falls back to its default, so a damaged file never stops the app.
It is written atomically (temporary file, then rename), so a crash mid-save
leaves the old settings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nexthub.engine import LoadSettings

Theme = Literal["system", "light", "dark"]
THEMES: tuple[Theme, ...] = ("system", "light", "dark")
MAX_PORT = 65535
#: The longest the API's usage log keeps raw rows (ten years: "forever" in practice).
MAX_RETENTION_DAYS = 3650


@dataclass(frozen=True)
class AppSettings:
    """Everything Settings can change. Defaults are what a desktop user wants first."""

    #: Generation threads; None lets the engine pick (the physical cores).
    threads: int | None = None
    #: Layers on the GPU: a number, or "auto" to fit them to free GPU memory.
    gpu_layers: int | Literal["auto"] = "auto"
    #: Context size in tokens (0: the model's own).
    context_size: int = 4096
    #: The model a new chat uses; None: the starter model, else the first installed.
    default_model: str | None = None
    theme: Theme = "system"
    #: Whether the localhost web GUI and API run while the app is open.
    web_gui_enabled: bool = False
    #: The port they listen on, on 127.0.0.1 and ::1 (0: any free port).
    web_port: int = 8765
    #: The first-run welcome was completed.
    welcomed: bool = False
    #: Days the API's usage log keeps each call before folding it into daily totals.
    api_usage_retention_days: int = 30

    def __post_init__(self) -> None:
        problems = []
        if self.threads is not None and not (isinstance(self.threads, int) and self.threads >= 1):
            problems.append("threads must be at least 1")
        if self.gpu_layers != "auto" and not (
            isinstance(self.gpu_layers, int) and self.gpu_layers >= 0
        ):
            problems.append("GPU layers must be 'auto' or 0 or more")
        if not (isinstance(self.context_size, int) and self.context_size >= 0):
            problems.append("context size must be 0 or more")
        if not (
            isinstance(self.api_usage_retention_days, int)
            and 1 <= self.api_usage_retention_days <= MAX_RETENTION_DAYS
        ):
            problems.append(f"usage retention must be 1 to {MAX_RETENTION_DAYS} days")
        if not (isinstance(self.web_port, int) and 0 <= self.web_port <= MAX_PORT):
            problems.append(f"the web GUI's port must be 0 to {MAX_PORT}")
        if self.theme not in THEMES:
            problems.append(f"theme must be one of {', '.join(THEMES)}")
        if problems:
            raise ValueError("; ".join(problems))

    def load_settings(self) -> LoadSettings:
        """How the engine loads a model with these settings."""
        return LoadSettings(
            context_size=self.context_size, threads=self.threads, gpu_layers=self.gpu_layers
        )


def read_settings(path: Path) -> AppSettings:
    """The saved settings, or the defaults for whatever is missing or invalid."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return AppSettings()
    settings = AppSettings()
    if not isinstance(saved, dict):
        return settings
    known = {field.name for field in dataclasses.fields(AppSettings)}
    for name, value in saved.items():
        if name in known:
            with contextlib.suppress(TypeError, ValueError):
                settings = dataclasses.replace(settings, **{name: value})
    return settings


def write_settings(path: Path, settings: AppSettings) -> None:
    """Save the settings atomically, readable by the user only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    document: dict[str, Any] = dataclasses.asdict(settings)
    fd, temporary = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2, sort_keys=True)
            file.write("\n")
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

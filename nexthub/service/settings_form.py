"""What a person types into Settings, turned into settings values, with messages when it is wrong.

The desktop Settings dialog (and later the web GUI's) shows threads, GPU
layers, context size and the web GUI's port as text a person edits. Reading that text is the same
job in every face, and the messages must be the same too, so it is done here:
:meth:`SettingsForm.changes` gives the keyword arguments for
``Hub.change_settings``, or raises ``ValueError`` naming every field that is
wrong and what it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from nexthub.service.settings import MAX_PORT, AppSettings

#: What the text fields show for "let NextHub choose".
AUTO_TEXT = "auto"
_AUTO_WORDS = {"", "auto", "automatic"}


@dataclass(frozen=True)
class SettingsForm:
    """The text of the fields that a person types into."""

    threads: str
    gpu_layers: str
    context_size: str
    #: The web GUI's port ('auto': any free port); None where the face has no such field.
    web_port: str | None = None

    @classmethod
    def of(cls, settings: AppSettings) -> SettingsForm:
        """The fields as they show the current settings."""
        return cls(
            threads=AUTO_TEXT if settings.threads is None else str(settings.threads),
            gpu_layers=str(settings.gpu_layers),
            context_size=AUTO_TEXT if settings.context_size == 0 else str(settings.context_size),
            web_port=AUTO_TEXT if settings.web_port == 0 else str(settings.web_port),
        )

    def changes(self) -> dict[str, Any]:
        """The fields as ``change_settings`` keywords; ValueError lists every bad field."""
        problems: list[str] = []
        threads = _read(self.threads, "Threads", minimum=1, problems=problems, auto=None)
        gpu_layers = _read(self.gpu_layers, "GPU layers", minimum=0, problems=problems, auto="auto")
        context = _read(self.context_size, "Context size", minimum=0, problems=problems, auto=0)
        changes = {"threads": threads, "gpu_layers": gpu_layers, "context_size": context}
        if self.web_port is not None:
            port = _read(self.web_port, "Web GUI port", minimum=0, problems=problems, auto=0)
            if isinstance(port, int) and port > MAX_PORT:
                problems.append(f"Web GUI port must be at most {MAX_PORT}.")
            changes["web_port"] = port
        if problems:
            raise ValueError(" ".join(problems))
        return changes


def typed_whole_number(text: str) -> tuple[str, int | None]:
    """What was typed without spaces around it or digit-group marks ("4,096", "4_096"),
    and the whole number that is (None for none: empty, a word, a fraction).

    Every form reads typed whole numbers this way; each decides what empty means.
    """
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        return cleaned, int(cleaned)
    except ValueError:
        return cleaned, None


def _read(
    text: str,
    label: str,
    *,
    minimum: int,
    problems: list[str],
    auto: int | Literal["auto"] | None,
) -> Any:
    """A whole number of at least ``minimum``, or ``auto`` for "auto" (or nothing)."""
    cleaned, number = typed_whole_number(text)
    if cleaned.lower() in _AUTO_WORDS:
        return auto
    if number is None or number < minimum:
        problems.append(f"{label} must be '{AUTO_TEXT}' or a whole number of {minimum} or more.")
    return number

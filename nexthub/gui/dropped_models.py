"""Which files dragged onto the app are GGUF models: the window and the message box take those.

One rule for every place a file can land, so a ``.gguf`` is imported the same
way wherever it is dropped, and anything else dropped on the message box stays
the text box's to handle (it inserts the dragged text, as any text box does).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

#: The suffix of a model file that can be dropped on the window.
MODEL_SUFFIX = ".gguf"


def is_model_file(path: Path) -> bool:
    """Whether ``path`` names a GGUF model file (judged by its suffix, as a drag is)."""
    return path.suffix.lower() == MODEL_SUFFIX


def model_files(data: QMimeData) -> list[Path]:
    """The GGUF files among what is dragged (other files and links are not taken)."""
    files = (Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile())
    return [path for path in files if is_model_file(path)]

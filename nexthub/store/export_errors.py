"""The errors of reading an export file, and its shared JSON loading."""

from __future__ import annotations

import json
from typing import Any

from nexthub.store.errors import StoreError

#: The export format version this NextHub writes and reads.
FORMAT_VERSION = 1


class InvalidExportError(StoreError):
    """The file is not an export NextHub can read, or its conversations do not hold together."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"This is not a NextHub export that can be imported: {problem}. Nothing was imported."
        )


class ExportTooNewError(StoreError):
    """The export was written by a newer NextHub (a format version this one does not know)."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"This export was written by a newer version of NextHub (format version {version}; "
            f"this version reads {FORMAT_VERSION}). Update NextHub to import it. "
            "Nothing was imported."
        )


class ExportPassphraseError(StoreError):
    """The passphrase does not open an encrypted export (or none was given)."""


class ImportConflictError(StoreError):
    """A message in the export has the id of a message of another conversation in the store."""


def load_json(data: bytes, what: str) -> Any:
    """Parse JSON from a file, or say that the file is not an export."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON; numbers too long to convert
        raise InvalidExportError(f"{what} is not valid JSON (it may be cut short)") from None

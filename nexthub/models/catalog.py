"""The catalog of recommended models: what NextHub offers to download.

The catalog is one reviewed JSON file, ``models/catalog.json`` at the top of
the repository, shipped inside the wheel as ``nexthub/models/catalog.json``
(see ``models/README.md`` for its fields). It is the single place a model's
source, checksum and size are declared; downloads, the starter model's display
name and telemetry's model family all read it from here.

The file is validated strictly when loaded (unknown or missing fields, bad
checksums, duplicate ids are all errors), because a mistake in it would
otherwise surface as a confusing download failure on a user's machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nexthub.models.errors import CatalogError, CatalogModelNotFoundError

#: The catalog's schema version; a file of another version is refused.
SCHEMA_VERSION = 1

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")

_ENTRY_FIELDS = {
    "id",
    "family",
    "display_name",
    "source",
    "sha256",
    "size_bytes",
    "quantisation",
    "license",
    "parameter_count",
    "min_memory_bytes",
    "context_length",
}
_SOURCE_FIELDS = {"repo_id", "filename", "revision"}


@dataclass(frozen=True)
class CatalogSource:
    """Where a catalog model's file lives on the Hugging Face Hub."""

    #: Repository id, ``owner/name``.
    repo_id: str
    #: File name inside the repository.
    filename: str
    #: Branch, tag or commit the file is taken from.
    revision: str


@dataclass(frozen=True)
class CatalogEntry:
    """One recommended model (one file, one quantisation)."""

    #: NextHub's id for it, e.g. ``"qwen2.5-0.5b-instruct"``.
    id: str
    #: Model family, e.g. ``"qwen2.5"``: the only model detail telemetry may report.
    family: str
    display_name: str
    source: CatalogSource
    #: The file's sha256; None when unknown, and then the Hub's reported sha256
    #: is used to verify the download.
    sha256: str | None
    #: The file's size in bytes.
    size_bytes: int
    #: Quantisation name as GGUF headers give it, e.g. ``"Q4_K_M"``.
    quantisation: str
    #: License identifier, e.g. ``"apache-2.0"``.
    license: str
    parameter_count: int
    #: Estimated memory to run it with a 4,096-token context (see memory_fit).
    min_memory_bytes: int
    #: The context length the model was trained for, in tokens.
    context_length: int


@dataclass(frozen=True)
class Catalog:
    """All catalog entries, in the order the file lists them."""

    entries: tuple[CatalogEntry, ...]

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, model_id: str) -> CatalogEntry | None:
        """The entry with this id, or None."""
        return next((entry for entry in self.entries if entry.id == model_id), None)

    def get(self, model_id: str) -> CatalogEntry:
        """The entry with this id, or :class:`CatalogModelNotFoundError` listing the ids."""
        entry = self.find(model_id)
        if entry is None:
            known = ", ".join(e.id for e in self.entries)
            raise CatalogModelNotFoundError(
                f"'{model_id}' is not in NextHub's catalog of recommended models. "
                f"The catalog has: {known}."
            )
        return entry


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the catalog: ``path`` if given, else the one NextHub ships."""
    if path is None:
        text, origin = _read_default_catalog()
    else:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"NextHub cannot read its model catalog {origin}: {exc}.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"NextHub's model catalog {origin} is not valid JSON: {exc}.") from exc
    return parse_catalog(data, origin=origin)


def _read_default_catalog() -> tuple[str, str]:
    """The shipped catalog's text: the wheel's package data, else the repository's file."""
    packaged = resources.files("nexthub.models").joinpath("catalog.json")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8"), "nexthub/models/catalog.json"
    in_repository = Path(__file__).resolve().parents[2] / "models" / "catalog.json"
    try:
        return in_repository.read_text(encoding="utf-8"), str(in_repository)
    except OSError as exc:
        raise CatalogError(
            "NextHub's model catalog is missing from this installation; reinstall NextHub."
        ) from exc


def parse_catalog(data: Any, *, origin: str = "catalog") -> Catalog:
    """Validate parsed catalog JSON and build the :class:`Catalog`."""
    problems: list[str] = []
    if not isinstance(data, dict) or set(data) != {"schema", "models"}:
        raise CatalogError(_broken(origin, "it must be an object with 'schema' and 'models'"))
    if data["schema"] != SCHEMA_VERSION:
        raise CatalogError(_broken(origin, f"schema {data['schema']!r} is not {SCHEMA_VERSION}"))
    if not isinstance(data["models"], list) or not data["models"]:
        raise CatalogError(_broken(origin, "'models' must be a non-empty list"))

    entries: list[CatalogEntry] = []
    for index, raw in enumerate(data["models"]):
        entry = _parse_entry(raw, f"models[{index}]", problems)
        if entry is not None:
            entries.append(entry)
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            problems.append(f"the id '{entry.id}' is used twice")
        seen.add(entry.id)
    if problems:
        raise CatalogError(_broken(origin, "; ".join(problems)))
    return Catalog(entries=tuple(entries))


def _broken(origin: str, detail: str) -> str:
    return (
        f"NextHub's model catalog {origin} is malformed: {detail}. "
        "This is a bug in this NextHub build; please report it."
    )


def _parse_entry(raw: Any, where: str, problems: list[str]) -> CatalogEntry | None:
    """One entry, or None after appending what is wrong with it to ``problems``."""
    if not isinstance(raw, dict):
        problems.append(f"{where} is not an object")
        return None
    before = len(problems)
    _check_keys(raw, _ENTRY_FIELDS, where, problems)
    source = raw.get("source")
    if isinstance(source, dict):
        _check_keys(source, _SOURCE_FIELDS, f"{where}.source", problems)
    else:
        problems.append(f"{where}.source is not an object")
        source = {}
    if len(problems) > before:
        return None

    def text(mapping: dict[str, Any], key: str, path: str) -> str:
        value = mapping[key]
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}.{key} must be a non-empty string")
            return ""
        return value

    def count(key: str) -> int:
        value = raw[key]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(f"{where}.{key} must be a positive integer")
            return 0
        return value

    entry_id = text(raw, "id", where)
    if entry_id and not _ID.match(entry_id):
        problems.append(f"{where}.id '{entry_id}' must be lower-case letters, digits, '.', '-'")
    repo_id = text(source, "repo_id", f"{where}.source")
    if repo_id and not _REPO_ID.match(repo_id):
        problems.append(f"{where}.source.repo_id '{repo_id}' is not 'owner/name'")
    filename = text(source, "filename", f"{where}.source")
    if filename and (not filename.endswith(".gguf") or "/" in filename or "\\" in filename):
        problems.append(f"{where}.source.filename must be a .gguf file name without folders")
    sha256 = raw["sha256"]
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA256.match(sha256)):
        problems.append(f"{where}.sha256 must be null or 64 lower-case hex digits")
    size_bytes = count("size_bytes")
    min_memory = count("min_memory_bytes")
    if size_bytes and min_memory and min_memory < size_bytes:
        problems.append(f"{where}.min_memory_bytes is less than the file size")

    entry = CatalogEntry(
        id=entry_id,
        family=text(raw, "family", where),
        display_name=text(raw, "display_name", where),
        source=CatalogSource(
            repo_id=repo_id,
            filename=filename,
            revision=text(source, "revision", f"{where}.source"),
        ),
        sha256=sha256 if isinstance(sha256, str) else None,
        size_bytes=size_bytes,
        quantisation=text(raw, "quantisation", where),
        license=text(raw, "license", where),
        parameter_count=count("parameter_count"),
        min_memory_bytes=min_memory,
        context_length=count("context_length"),
    )
    return entry if len(problems) == before else None


def _check_keys(
    mapping: dict[str, Any], expected: set[str], where: str, problems: list[str]
) -> None:
    missing = sorted(expected - set(mapping))
    unknown = sorted(set(mapping) - expected)
    if missing:
        problems.append(f"{where} lacks {', '.join(missing)}")
    if unknown:
        problems.append(f"{where} has unknown field(s) {', '.join(unknown)}")

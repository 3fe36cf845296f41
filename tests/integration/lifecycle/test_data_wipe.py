"""`nexthub data wipe` deletes everything NextHub keeps, and nothing of the user's.

Real processes on real files in the test's NEXTHUB_HOME (portable mode: the
platform folders are exercised by test_uninstall_pip_venv.py); the models
are real GGUF files (copies of the starter model), registered by NextHub's
own import. The database key is a passphrase's (the keyring "fail" backend):
the keyring entry's deletion is checked against a real Secret Service in
the uninstall test. That a database open in another process stops the wipe
before anything is deleted is tests/integration/cli/test_cli_data.py's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nexthub.paths import AppPaths
from nexthub.service.data_places import data_places, wipe_plan
from tests.integration.cli.test_cli_data import nexthub, ok, seed

pytestmark = pytest.mark.timeout(300)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def test_wipe_deletes_every_folder_and_keeps_models_added_by_reference(
    nexthub_home: Path, tmp_path: Path, starter_model_path: Path
) -> None:
    paths = AppPaths.under(nexthub_home)
    seed(nexthub_home)
    ok(nexthub(nexthub_home, "keys", "create", "laptop", "--quiet"))
    outside = tmp_path / "my-models" / "outside.gguf"
    inside = paths.data / "mine" / "inside.gguf"  # the user put their own file in there
    for model in (outside, inside):
        model.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(starter_model_path, model)
        ok(nexthub(nexthub_home, "models", "import", "--reference", str(model)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("not NextHub's")
    (paths.cache / "link-to-elsewhere").parent.mkdir(parents=True, exist_ok=True)
    (paths.cache / "link-to-elsewhere").symlink_to(elsewhere)
    (paths.logs).mkdir(parents=True, exist_ok=True)
    (paths.logs / "nexthub.log").write_text("a log line")

    listed = {place.where: place.what for place in data_places(paths)}
    assert (
        listed[str(outside)]
        == listed[str(inside)]
        == ("your model, added by reference (never deleted)")
    )
    assert listed[str(paths.api_keys_file)] == "API keys"

    result = ok(nexthub(nexthub_home, "data", "wipe", "--yes"))

    out = result.stdout.decode()
    assert f"Kept {inside}" in out and f"Deleted {paths.config}" in out
    assert files_under(nexthub_home) == [inside], "only the user's own model is left"
    assert outside.stat().st_size == inside.stat().st_size == starter_model_path.stat().st_size
    assert (elsewhere / "precious.txt").read_text() == "not NextHub's", "links are not followed"
    assert not wipe_plan(paths), "nothing is left to wipe"
    # The list that named it is gone now; a second wipe still knows the file is the user's.
    again = ok(nexthub(nexthub_home, "data", "wipe", "--yes"))
    assert "nothing to wipe" in again.stderr.decode()
    assert files_under(nexthub_home) == [inside]


def test_keep_models_keeps_the_models_and_their_list_and_nothing_else(
    nexthub_home: Path, tmp_path: Path, starter_model_path: Path
) -> None:
    paths = AppPaths.under(nexthub_home)
    seed(nexthub_home)
    source = tmp_path / "Downloads" / "copied.gguf"
    source.parent.mkdir()
    shutil.copyfile(starter_model_path, source)
    ok(nexthub(nexthub_home, "models", "import", str(source)))  # copied into the models folder
    copied = files_under(paths.models_dir)
    assert len(copied) == 1
    plan = wipe_plan(paths, keep_models=True)
    assert [p.where for p in plan.stays] == [str(paths.models_dir), str(paths.model_registry_file)]
    assert "Downloaded models are kept." in plan.consequences

    ok(nexthub(nexthub_home, "data", "wipe", "--yes", "--keep-models"))

    assert files_under(nexthub_home) == [*copied, paths.model_registry_file]
    models = ok(nexthub(nexthub_home, "models", "list")).stdout.decode()
    assert "copied" in models.lower(), "a later NextHub finds the kept model again"
    ok(nexthub(nexthub_home, "data", "wipe", "--yes"))
    assert not nexthub_home.exists()

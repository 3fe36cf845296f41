"""The Flatpak manifest, checked as far as this machine can (flatpak-builder fetches a runtime).

It must parse, name the app ID that ``nexthub uninstall`` prints in its
``flatpak uninstall`` command, start the command pyproject.toml installs, and
name only files that are in the repository (the desktop entry and icon it
renames, the source folder it builds from).
"""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from nexthub.installation import FLATPAK_APP_ID

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "packaging" / "flatpak" / f"{FLATPAK_APP_ID}.yml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def desktop_entry() -> dict[str, str]:
    lines = (ROOT / "packaging" / "nexthub.desktop").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_the_app_id_is_the_one_uninstall_names_and_the_file_name(manifest: dict[str, Any]) -> None:
    assert manifest["app-id"] == FLATPAK_APP_ID == MANIFEST.stem


def test_the_command_is_the_one_pyproject_installs_and_the_menu_entry_starts(
    manifest: dict[str, Any],
) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert manifest["command"] in scripts
    assert desktop_entry()["Exec"] == manifest["command"]


def test_the_desktop_entry_and_icon_it_renames_are_the_ones_it_installs(
    manifest: dict[str, Any],
) -> None:
    (module,) = manifest["modules"]
    installed = {
        Path(words[-1]).name: ROOT / words[-2]
        for words in map(shlex.split, module["build-commands"])
        if words[0] == "install"
    }
    assert installed[manifest["rename-desktop-file"]].is_file()
    assert installed[manifest["rename-icon"] + ".svg"].is_file()
    assert desktop_entry()["Icon"] == manifest["rename-icon"]


def portable_llama_flags() -> str:
    """The llama.cpp flags packaging/check-bundle.sh builds the bundle with."""
    script = (ROOT / "packaging" / "check-bundle.sh").read_text(encoding="utf-8")
    (line,) = [line for line in script.splitlines() if line.startswith("portable=")]
    return line.split("=", 1)[1].strip('"')


def test_it_builds_this_repository_with_a_portable_llama_cpp(manifest: dict[str, Any]) -> None:
    (module,) = manifest["modules"]
    (source,) = module["sources"]
    assert source["type"] == "dir"
    assert (MANIFEST.parent / source["path"]).resolve() == ROOT
    assert module["build-options"]["env"]["CMAKE_ARGS"] == portable_llama_flags()
    assert any("'.[starter]'" in command for command in module["build-commands"])


def test_it_keeps_data_only_in_its_sandbox_and_asks_for_no_host_files(
    manifest: dict[str, Any],
) -> None:
    # `flatpak uninstall --delete-data` covers what NextHub writes only if it writes
    # nowhere but ~/.var/app/<id>: no access to the host's files or home folder.
    assert not [arg for arg in manifest["finish-args"] if arg.startswith("--filesystem")]
    assert "--talk-name=org.freedesktop.secrets" in manifest["finish-args"]

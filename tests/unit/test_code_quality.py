"""The code stays lint-clean, strictly typed, and layered as docs/ARCHITECTURE.md says."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nexthub"


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing() -> None:
    result = run_tool("ruff", "check", "nexthub", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted() -> None:
    result = run_tool("ruff", "format", "--check", "nexthub", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    result = run_tool("mypy", "--no-incremental", "nexthub")
    assert result.returncode == 0, result.stdout + result.stderr


def imports_of(path: Path) -> set[str]:
    """Top-level names of every module this file imports (at any depth in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_in(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_only_the_gui_package_imports_qt(path: Path) -> None:
    if (PACKAGE / "gui") in path.parents:
        return
    qt = {name for name in imports_of(path) if name.split(".")[0] in {"PySide6", "shiboken6"}}
    assert not qt, f"{path.relative_to(ROOT)} imports Qt; only nexthub/gui/ may"


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("engine", {"nexthub.models", "nexthub.store", "nexthub.service", "nexthub.cli"}),
        ("models", {"nexthub.engine", "nexthub.store", "nexthub.service", "nexthub.cli"}),
        ("store", {"nexthub.engine", "nexthub.models", "nexthub.service", "nexthub.cli"}),
        ("service", {"nexthub.cli", "nexthub.gui", "nexthub.web"}),
        ("web", {"nexthub.cli", "nexthub.gui", "nexthub.store", "nexthub.engine.client"}),
    ],
)
def test_core_layers_do_not_import_each_other(layer: str, forbidden: set[str]) -> None:
    for path in modules_in(layer):
        bad = {
            name
            for name in imports_of(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        }
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("module", ["paths.py", "errors.py", "gguf_header.py"])
def test_shared_leaf_modules_import_nothing_of_nexthub(module: str) -> None:
    """engine/ and models/ both use these, so they must not pull in either layer."""
    path = PACKAGE / module
    ours = {name for name in imports_of(path) if name.split(".")[0] == "nexthub"}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
    assert not ours, f"nexthub/{module} imports {sorted(ours)}"
    assert not relative, f"nexthub/{module} has a relative import"


def test_only_paths_py_calls_platformdirs() -> None:
    users = [
        path.relative_to(ROOT)
        for path in PACKAGE.rglob("*.py")
        if "platformdirs" in imports_of(path) and path.name != "paths.py"
    ]
    assert users == []


def test_importing_the_engine_does_not_load_llama_cpp() -> None:
    """The app process must not load llama.cpp (or probe hardware) at import time."""
    code = "import sys, nexthub.engine, nexthub.cli.main; print('llama_cpp' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def test_no_two_test_modules_share_a_name() -> None:
    """pytest imports test modules by their file name (no packages here): a second one of
    the same name stops the whole run at collection, as it did CI once."""
    names = Counter(path.name for path in (ROOT / "tests").rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []

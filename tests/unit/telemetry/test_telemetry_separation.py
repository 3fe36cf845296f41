"""Telemetry is separate by construction: it imports nothing else of NextHub."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "nexthub"


def nexthub_imports(source: str, package: str) -> set[str]:
    """Every nexthub module ``source`` (a module of ``package``) imports, relative ones resolved."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            found.add(".".join(part for part in (base, node.module or "") if part))
    return {name for name in found if name.split(".")[0] == "nexthub"}


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("telemetry", ("nexthub.telemetry",)),
        ("collector", ("nexthub.telemetry", "nexthub.collector")),
    ],
)
def test_the_package_imports_only_itself(package: str, allowed: tuple[str, ...]) -> None:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files, f"nexthub/{package} has no modules"
    for path in files:
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        imported = nexthub_imports(path.read_text(encoding="utf-8"), dotted)
        outside = {
            name
            for name in imported
            if not any(name == a or name.startswith(a + ".") for a in allowed)
        }
        assert not outside, f"{path.relative_to(ROOT)} imports {sorted(outside)}"


def test_the_check_sees_relative_and_absolute_imports_of_other_layers() -> None:
    source = "from ..store import keys\nfrom . import registry\nimport nexthub.paths\n"
    assert nexthub_imports(source, "nexthub.telemetry") == {
        "nexthub.store",
        "nexthub.telemetry",
        "nexthub.paths",
    }

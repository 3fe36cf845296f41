"""The names of NextHub's own shipped code, as ``module:qualname``.

A crash signature may name a frame only when the name is in this set, read
from the package's own source files (parsed, not imported). Any other frame,
whatever it is called, becomes ``<external>``, so a user's plug-in, a path
or a generated name can never reach a report.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

#: The ``nexthub`` package folder (this file is nexthub/telemetry/own_code.py).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
PACKAGE_NAME = PACKAGE_ROOT.name


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _qualnames(tree: ast.Module) -> set[str]:
    """Qualified names as Python's ``__qualname__`` spells them (``f.<locals>.g``)."""
    found: set[str] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                found.add(name)
                visit(child, name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                name = prefix + child.name
                found.add(name)
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


@functools.cache
def own_code_names(root: Path = PACKAGE_ROOT) -> frozenset[str]:
    """Every ``module:qualname`` defined in the package's source files."""
    names: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        module = _module_name(path)
        names.update(f"{module}:{qualname}" for qualname in _qualnames(tree))
    return frozenset(names)

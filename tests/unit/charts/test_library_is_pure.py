"""The chart library stays a pure library: a result in, a figure out, importing nothing above it."""

from __future__ import annotations

import ast
from pathlib import Path

import lumiere.charts

ALLOWED = ("lumiere.charts", "lumiere.core")


def imported_modules(path: Path) -> set[str]:
    """Every lumiere module the file imports, imports inside functions included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "lumiere" or name.startswith("lumiere.")}


def test_the_chart_library_imports_only_itself_and_core() -> None:
    root = Path(lumiere.charts.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 10  # the walk found the library
    outside = {
        f"{path.relative_to(root)}: {name}"
        for path in files
        for name in imported_modules(path)
        if not name.startswith(ALLOWED)
    }
    assert outside == set()


def test_the_chart_library_uses_no_relative_imports() -> None:
    """Relative imports would hide a dependency from the check above."""
    root = Path(lumiere.charts.__file__).parent
    relative = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert relative == []

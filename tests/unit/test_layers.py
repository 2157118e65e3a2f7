"""The layers of `lumiere/` import one way only, and no module or package imports itself back.

Imports are read from the source (AST), imports inside functions included: a cycle hidden in a
function is still a cycle. The order is written once here and in docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "lumiere"

# Lowest first; a module may import only from its own layer or a lower one.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"config", "models", "routes"}),
    frozenset({"db", "storage", "web"}),
    frozenset({"nlq", "llm", "charts"}),
    frozenset({"services"}),
    frozenset({"api", "state", "jobs"}),
    frozenset({"components"}),
    frozenset({"pages"}),
    frozenset({"lumiere", "cli", "launch"}),
)
LAYER_OF = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _imports(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """Every lumiere module `module` imports, resolved to a module that exists."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            # `from package import module` imports the module; `from module import name` the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for imported in names:
            name = imported
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name.startswith("lumiere") and name != module:
                yield name


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {module: set(_imports(module, path, known)) for module, path in modules.items()}


def _unit(module: str) -> str:
    """The top-level part of lumiere a module belongs to (`lumiere.services.ask` -> `services`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "lumiere"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_top_level_part_has_a_layer() -> None:
    unplaced = sorted({_unit(module) for module in _modules()} - set(LAYER_OF))
    assert not unplaced, f"give these a place in LAYERS: {unplaced}"


def test_imports_go_down_the_layers_only() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if LAYER_OF.get(_unit(target), -1) > LAYER_OF.get(_unit(module), -1)
    ]
    assert not upward, "imports from a lower layer into a higher one:\n" + "\n".join(upward)


def test_no_module_import_cycle() -> None:
    graph = {module: {t for t in targets if not module.startswith(t + ".")} for module, targets in _graph().items()}
    assert not _cycles(graph), f"import cycles between modules: {_cycles(graph)}"


def test_no_package_import_cycle() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        outside = {_unit(target) for target in targets if _unit(target) != _unit(module)}
        packages.setdefault(_unit(module), set()).update(outside)
    assert not _cycles(packages), f"import cycles between packages: {_cycles(packages)}"


@pytest.mark.parametrize("limit", [800])
def test_no_module_is_too_long_to_read(limit: int) -> None:
    long_modules = {
        module: count
        for module, path in _modules().items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert not long_modules, f"modules over {limit} lines: {long_modules}"

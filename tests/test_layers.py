"""Imports run one way: commands -> web -> domain -> sources -> contract, and no module is too big.

Every `import` in src/peakwatch counts, the ones inside functions too: a lazy import is still
an arrow. A newcomer reads the layers in docs/ARCHITECTURE.md; this test keeps them true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "peakwatch"
MAX_MODULE_LINES = 400

# Lower numbers are lower layers; a module may import its own layer and the ones below.
LAYERS = {
    "contract": 1,
    "sources": 2,
    "domain": 3,
    "web": 4,
    "producer": 2,  # the runners' SDK: writes what the contract reads
}
# Modules every layer may use: they import nothing of peakwatch's layers themselves.
FOUNDATIONS = {"peakwatch", "secrets", "settings"}
COMMANDS = 5  # cli, flags, server, export, audit, validate, demo: the top


def layer_of(module: str) -> int:
    """The layer of a first-level name under peakwatch (a package or a module)."""
    if module in FOUNDATIONS:
        return 0
    return LAYERS.get(module, COMMANDS)


def first_level(dotted: str) -> str | None:
    """`peakwatch.domain.runs` -> `domain`; `peakwatch` -> `peakwatch`; others -> None."""
    parts = dotted.split(".")
    if parts[0] != "peakwatch":
        return None
    return parts[1] if len(parts) > 1 else "peakwatch"


def imports_of(path: Path) -> set[str]:
    """First-level peakwatch names that a source file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name for name in map(first_level, names) if name)
    return found


def modules() -> list[Path]:
    """Every source file of the package."""
    return sorted(PACKAGE.rglob("*.py"))


def owner(path: Path) -> str:
    """The first-level name a source file belongs to (`domain` for domain/runs.py)."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) == 1 else relative.parts[0]


def may_import(mine: str, name: str) -> bool:
    """Commands may use anything (their circles are checked apart); layers only what is below."""
    return layer_of(mine) == COMMANDS or layer_of(name) < layer_of(mine)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_import_runs_downward(path: Path) -> None:
    mine = owner(path)
    upward = sorted(name for name in imports_of(path) - {mine} if not may_import(mine, name))
    assert not upward, f"{path.relative_to(PACKAGE)} imports upward: {upward}"


def test_commands_do_not_import_each_other_in_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for path in modules():
        name = owner(path)
        if layer_of(name) == COMMANDS:
            graph.setdefault(name, set()).update(
                other for other in imports_of(path) if layer_of(other) == COMMANDS and other != name
            )
    for start, targets in graph.items():
        for target in targets:
            assert start not in graph.get(target, set()), f"{start} and {target} import each other"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small_and_say_their_job(path: Path) -> None:
    text = path.read_text()
    lines = text.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{lines} lines; split it by concern"
    docstring = ast.get_docstring(ast.parse(text))
    assert docstring, "opens with no sentence saying its job"

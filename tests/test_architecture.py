"""The shape docs/architecture.md promises: small modules, no import cycles, and
distributions that use each other only through what they export."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: every source tree: each distribution's packages, and the meta package
SOURCES = sorted((ROOT / "packages").glob("*/src")) + [ROOT / "src"]
#: "about 500 lines": past this a module is split along a seam a reader expects
MAX_LINES = 500


def modules() -> Iterator[tuple[str, Path]]:
    """``(dotted name, path)`` of every module of every distribution."""
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            parts = list(path.relative_to(source).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def runtime_imports(name: str, path: Path) -> set[str]:
    """The modules ``name`` imports when it runs, lazily inside functions too, but not
    in ``if TYPE_CHECKING:`` blocks; ``from . import x`` counts as importing ``x``."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = dict(modules())


def test_no_module_is_longer_than_about_500_lines() -> None:
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_import_cycles_between_modules() -> None:
    graph = {
        name: {
            target
            for target in runtime_imports(name, path)
            if target in MODULES and target != name and not name.startswith(target + ".")
        }
        for name, path in MODULES.items()
    }
    # a package's __init__ re-exports its modules; importing a module imports its
    # package first, which is not a cycle of the code itself
    for name in graph:
        graph[name] = {t for t in graph[name] if not (MODULES[t].name == "__init__.py")}
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for target in sorted(graph[node]):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            elif len(trail) < 30:
                walk(target, [*trail, target])

    for start in sorted(graph):
        walk(start, [start])
    assert cycles == []


def distribution_of(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("flask_oauthlib.")))
def test_distributions_use_each_other_through_their_exports(name: str) -> None:
    own = distribution_of(name)
    for target in runtime_imports(name, MODULES[name]):
        top = distribution_of(target)
        if not top.startswith("flask_oauthlib") or top == own:
            continue
        if top == "flask_oauthlib":  # the meta package's 0.9.6 names are for apps
            continue
        if target == top:
            continue
        imported = target.rpartition(".")
        if imported[0] == top:  # ``from flask_oauthlib_core import name``
            exported = importlib.import_module(top).__all__
            assert imported[2] in exported, f"{name} imports {target}, not exported by {top}"
            continue
        pytest.fail(f"{name} imports {target}: use what {top} exports")

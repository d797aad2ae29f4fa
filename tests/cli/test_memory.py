"""The server and worker cap glibc's malloc arenas (frontdesk/cli/memory.py): observed in a
real process, by glibc's own statistics, with eight threads allocating at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys, threading
from frontdesk.cli.memory import cap_malloc_arenas

capped = cap_malloc_arenas() if sys.argv[1] == "cap" else False
together = threading.Barrier(8)

def allocate():
    together.wait()
    kept = [bytes(2000) for _ in range(500)]  # above pymalloc's 512 bytes: glibc's malloc
    together.wait()

threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per arena, on stderr
print(capped)
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's arenas (Linux)"
)


def _arenas(mode: str, **env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return len(re.findall(r"^Arena \d+:", done.stderr, re.M)), done.stdout.strip()


def test_the_server_keeps_to_two_arenas_where_glibc_would_make_one_per_thread() -> None:
    uncapped, _ = _arenas("plain")
    capped, said = _arenas("cap")
    assert uncapped > 2
    assert (capped, said) == (2, "True")


def test_an_operators_own_setting_is_left_alone() -> None:
    arenas, said = _arenas("cap", MALLOC_ARENA_MAX="4")
    assert said == "False"
    assert arenas == 4


FREEZE_PROBE = """
import gc
from frontdesk.app import create_app
from frontdesk.cli.memory import freeze_startup_objects
from frontdesk.settings import Settings

app = create_app(Settings(data_dir=__import__("sys").argv[1]))
walked = len(gc.get_objects())
frozen = freeze_startup_objects()
served = [[n] for n in range(1000)]  # what serving creates after (lists: tracked)
print(walked, frozen, len(gc.get_objects()))
"""


def test_what_the_server_built_to_start_is_no_longer_walked_by_full_collections(
    tmp_path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    walked, frozen, after = (int(n) for n in done.stdout.split())
    # The app's own objects are frozen; what comes after is still collected as usual.
    assert frozen >= walked // 2 > 10_000
    assert 1000 <= after < walked // 4

"""Memory and pauses of the long-running processes (server, worker).

**Fewer C allocator arenas.**

glibc gives each thread that allocates its own arena, up to eight per core, and hands freed
memory back to the system only from the top of each. A server's threads (SQLite's, the
embedder's, the event loop's executor) then leave freed memory scattered over many arenas,
and resident memory creeps up although Python's own heap does not grow: in a 10-minute soak
at 6.4 messages a second, +37 MB with glibc's default against +11 MB with two arenas
(README, Reliability). An operator's own ``MALLOC_ARENA_MAX`` is left as it is.

**Startup objects out of the collector's sight.** Python's full garbage collection walks
every container object the process holds, and a server holds hundreds of thousands from the
moment it has imported and built its app (modules, routes, models, schemas) that never
become garbage: each full collection then stalled the event loop for 130–400 ms, the
slowest replies of `bench/live.py`. Frozen once the app is built, they are no longer
walked; what serving creates still is.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

ARENAS = 2
M_ARENA_MAX = -8  # glibc's <malloc.h>


def cap_malloc_arenas() -> bool:
    """Cap this process's arenas (and, through the environment, its children's); False when
    the C library is not glibc or the operator chose a number already."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: nothing to set
        return False
    # Processes started from here (`serve --workers`) read it when their allocator starts.
    os.environ["MALLOC_ARENA_MAX"] = str(ARENAS)
    return bool(libc.mallopt(M_ARENA_MAX, ARENAS))


def freeze_startup_objects() -> int:
    """Collect what starting up left as garbage, then move every object alive now to the
    collector's permanent generation; returns how many were moved."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()

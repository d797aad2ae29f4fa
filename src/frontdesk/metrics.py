"""Prometheus metrics: what an operator graphs and alerts on, served at ``/metrics``.

Defined once here, at the bottom of the layers, so whichever part of the product does the
thing counts it. Labels are bounded sets (a route's template, never its URL; a generator's
name; a handoff trigger), so a visitor cannot grow the series. Queue depths are read from the
database when scraped (web/metrics.py); everything else is counted as it happens. With
several server processes (`frontdesk serve --workers N` sets it up) each process writes its
values under ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any of them adds them all up.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram, generate_latest

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# The files of the gauges that count only live processes (open sockets), by process id.
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")

# Seconds: API calls are milliseconds, AI answers seconds (a local model tens of seconds).
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_ANSWER_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)

HTTP_REQUESTS = Counter(
    "frontdesk_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "frontdesk_http_request_duration_seconds",
    "Time to answer an HTTP request (to its last byte), by method and route template.",
    ["method", "route"],
    buckets=_REQUEST_BUCKETS,
)
OPEN_SOCKETS = Gauge(
    "frontdesk_open_sockets",
    "WebSockets open now: the visitors' widgets and the team's inboxes.",
    ["kind"],
    multiprocess_mode="livesum",
)
AI_ANSWER_SECONDS = Histogram(
    "frontdesk_ai_answer_seconds",
    "From a visitor message to the AI's stored reply, by generator.",
    ["generator"],
    buckets=_ANSWER_BUCKETS,
)
AI_ANSWERS = Counter(
    "frontdesk_ai_answers",
    "AI replies by generator and outcome (answered, refused, discarded, failed).",
    ["generator", "outcome"],
)
HANDOFFS = Counter(
    "frontdesk_handoffs",
    "Conversations handed to the team, by trigger (low_confidence, keyword, button...).",
    ["trigger"],
)
QUEUE_DEPTH = Gauge(
    "frontdesk_queue_depth",
    "Work waiting, read from the database when scraped: sources to ingest, webhook "
    "deliveries due or retrying, HTTP actions running.",
    ["queue"],
    multiprocess_mode="max",
)


def exposition() -> bytes:
    """What a scrape gets: this process's metrics, or with several processes all of theirs."""
    folder = os.environ.get(MULTIPROCESS_DIR)
    if not folder:
        return generate_latest()
    from prometheus_client import CollectorRegistry, multiprocess

    _forget_dead_processes(folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)
    return generate_latest(registry)


def _forget_dead_processes(folder: str) -> None:
    """A killed process's open sockets are closed: drop its live gauges (its counts stay)."""
    from prometheus_client import multiprocess

    for path in Path(folder).iterdir():
        found = _LIVE_GAUGE_FILE.match(path.name)
        if found and not _alive(int(found.group(1))):
            multiprocess.mark_process_dead(int(found.group(1)), folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return True

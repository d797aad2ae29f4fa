"""Every route and every dependency it resolves runs on the event loop.

FastAPI runs a plain ``def`` endpoint or dependency in a worker thread: a hand-off through the
thread pool and back on every request (for the runtime dependency, an attribute lookup), paid
by every visitor message. Read from the app as it is built, so a new route is checked too.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts

from frontdesk.app import create_app
from frontdesk.settings import Settings


def _calls(dependant: Dependant) -> Iterator[object]:
    if dependant.call is not None:
        yield dependant.call
    for inner in dependant.dependencies:
        yield from _calls(inner)


def test_no_route_or_dependency_is_handed_to_a_thread() -> None:
    app = create_app(Settings(data_dir=Path("unused")))
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute | APIWebSocketRoute)
    ]
    calls = {call for route in routes for call in _calls(route.dependant)}
    assert len(routes) > 90 and len(calls) > len(routes)
    in_threads = sorted(
        getattr(call, "__qualname__", repr(call))
        for call in calls
        if not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
    )
    assert in_threads == []

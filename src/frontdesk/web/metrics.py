"""``/metrics`` for Prometheus, ``/readyz`` for a load balancer, and the request counter.

``/metrics`` answers only a scraper holding ``FRONTDESK_METRICS_TOKEN`` as its bearer token
(route names and counts are nobody else's business); without the setting it is off (404).
``/readyz`` says whether this process can serve: its database answers, its broker (Redis,
when several processes share one) too, and its background work runs; ``/healthz`` only
that the process is up.
"""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.actions.models import ActionRun
from frontdesk.alerts.models import Delivery
from frontdesk.errors import NotFound, Unauthorized
from frontdesk.knowledge.models import Source
from frontdesk.metrics import HTTP_LATENCY, HTTP_REQUESTS, QUEUE_DEPTH, exposition
from frontdesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

# Read when scraped: (queue label, table, condition).
QUEUES = (
    ("sources", Source, Source.status.in_(("queued", "processing"))),
    ("webhook_deliveries", Delivery, Delivery.status == "pending"),
    ("http_actions", ActionRun, ActionRun.status == "running"),
)


@router.get("/metrics")
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    token = runtime.settings.metrics_token
    if token is None:
        raise NotFound("Metrics are off: set FRONTDESK_METRICS_TOKEN to turn them on.")
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("Send the metrics token: Authorization: Bearer <token>.")
    async with runtime.reads() as session:
        for name, table, condition in QUEUES:
            depth = await session.scalar(select(func.count()).select_from(table).where(condition))
            QUEUE_DEPTH.labels(queue=name).set(depth or 0)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz")
async def readyz(request: Request, runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with runtime.reads() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # whatever the driver raises: not ready, and why
        checks["database"] = f"failed: {type(exc).__name__}"
    # Events from other server processes reach this one (always so with one process).
    checks["broker"] = "ok" if await runtime.broker.healthy() else "unreachable"
    # Set once the background work started (app.py's lifespan), unset when shutting down.
    started = getattr(request.app.state, "ready", False)
    checks["background"] = "ok" if started else "not running"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


class RequestMetrics:
    """Counts and times every HTTP request by its route's template ("/api/v1/agents/{id}"),
    never by its URL; anything no route matched is "other"."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "other"
            method = scope["method"]
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            HTTP_LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)

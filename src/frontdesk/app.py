"""create_app(settings): the ASGI application, built from constructor arguments only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from frontdesk import __version__
from frontdesk.logs import install_redaction
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.web import (
    agents,
    auth,
    conversations,
    dead_letters,
    docs,
    errors,
    insights,
    live,
    metrics,
    openai_compat,
    openapi,
    pages,
    replies,
    secrets,
    sources,
    tags,
    team,
    teams,
    usage,
    visitor_api,
    webhooks,
)
from frontdesk.web.bodylimit import BodyLimit, BodyLimits
from frontdesk.web.bounded_http import HeadLimit
from frontdesk.web.clientip import ClientAddress
from frontdesk.web.cors import WidgetCors
from frontdesk.web.headers import SecurityHeaders
from frontdesk.web.metrics import RequestMetrics
from frontdesk.web.ratelimit import RateLimiter, window_for
from frontdesk.web.throttle import GuessThrottle


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = runtime or Runtime(settings)
    # Whoever runs the app, uvicorn's request lines must not carry tokens (see logs.py).
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        await runtime.broker.start()
        await runtime.presence.start()
        await runtime.start_jobs(consume=settings.run_jobs)
        await runtime.responder.recover()
        await runtime.summaries.start()
        await runtime.summaries.recover()
        await runtime.waits.start()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await runtime.close()

    app = FastAPI(
        title="Frontdesk",
        version=__version__,
        description="Self-hosted AI customer-support desk: grounded answers from your content, "
        "handoff to a live shared inbox. Authenticate with `Authorization: Bearer <API key>`.",
        lifespan=lifespan,
        # Served by web/docs.py from packaged files: FastAPI's pages load them from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    redis = runtime.redis  # None: limits are counted in this process
    app.state.guess_throttle = GuessThrottle(settings, redis)
    app.state.visitor_limiter = RateLimiter(
        window_for("visitor-messages", redis),
        settings.visitor_messages_per_minute,
        60,
        "messages from this visitor",
    )
    # Thumbs toggle freely, but each change is an event the whole team's inbox receives.
    app.state.feedback_limiter = RateLimiter(
        window_for("visitor-ratings", redis), 30, 60, "ratings from this visitor"
    )
    app.state.start_limiter = RateLimiter(
        window_for("conversation-starts", redis),
        settings.conversations_per_minute,
        60,
        "new conversations from this address",
    )
    errors.install(app)
    openapi.install(app)
    # Routes are matched in this order: what every visitor message and socket uses first.
    for module in (
        visitor_api,
        live,
        auth,
        team,
        teams,
        secrets,
        agents,
        sources,
        conversations,
        tags,
        replies,
        usage,
        insights,
        openai_compat,
        docs,
        pages,
        metrics,
    ):
        app.include_router(module.router)
    app.include_router(webhooks.router)
    app.include_router(dead_letters.router)
    app.mount("/static", StaticFiles(packages=[("frontdesk", "static")]), name="static")
    # Innermost, so its 413 still carries the CORS and security headers.
    app.add_middleware(
        BodyLimit,
        limits=BodyLimits.from_settings(settings),
        idle_timeout_s=settings.body_idle_timeout_s,
    )
    app.add_middleware(WidgetCors)
    # Routes see the client address a trusted proxy named (see web/clientip.py).
    app.add_middleware(ClientAddress, trusted_proxies=settings.trusted_proxies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)
    # Outermost: a head over the limit is answered before anything reads it.
    app.add_middleware(HeadLimit, max_head_bytes=settings.max_header_kb * 1024)
    return app

"""create_app(settings): the ASGI application, built from constructor arguments only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from frontdesk import __version__
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.web import (
    agents,
    auth,
    conversations,
    errors,
    insights,
    live,
    pages,
    secrets,
    sources,
    tags,
    team,
    teams,
    usage,
    webhooks,
    widget,
)
from frontdesk.web.cors import WidgetCors
from frontdesk.web.ratelimit import RateLimiter


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        await runtime.presence.reset()
        await runtime.alerts.start()
        await runtime.worker.start()
        await runtime.responder.recover()
        await runtime.actions.recover()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Frontdesk",
        version=__version__,
        description="Self-hosted AI customer-support desk: grounded answers from your content, "
        "handoff to a live shared inbox. Authenticate with `Authorization: Bearer <API key>`.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.login_limiter = RateLimiter(10, 15 * 60, "sign-in attempts")
    app.state.visitor_limiter = RateLimiter(
        settings.visitor_messages_per_minute, 60, "messages from this visitor"
    )
    # Thumbs toggle freely, but each change is an event the whole team's inbox receives.
    app.state.feedback_limiter = RateLimiter(30, 60, "ratings from this visitor")
    app.state.start_limiter = RateLimiter(
        settings.conversations_per_minute, 60, "new conversations from this address"
    )
    errors.install(app)
    for module in (
        auth,
        team,
        teams,
        secrets,
        agents,
        sources,
        conversations,
        tags,
        usage,
        insights,
        widget,
        live,
        pages,
    ):
        app.include_router(module.router)
    app.include_router(webhooks.router)
    app.mount("/static", StaticFiles(packages=[("frontdesk", "static")]), name="static")
    app.add_middleware(WidgetCors)
    return app

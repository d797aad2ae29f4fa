"""create_app(settings): the ASGI application, built from constructor arguments only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from frontdesk import __version__
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.web import agents, errors, pages, sources


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workspace = await runtime.start()
        app.state.workspace_id = workspace.id
        await runtime.worker.start()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Frontdesk",
        version=__version__,
        description="Self-hosted AI customer-support desk: grounded answers from your content.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    errors.install(app)
    app.include_router(agents.router)
    app.include_router(sources.router)
    app.include_router(pages.router)
    return app

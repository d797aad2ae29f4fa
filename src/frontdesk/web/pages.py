"""Pages served by the same process: the inbox app, the widget script, the demo site."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select

from frontdesk.agents.models import Agent
from frontdesk.web import widget_script
from frontdesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

STATIC = resources.files("frontdesk") / "static"
# Defence in depth: even if some text were ever rendered as HTML, no inline script runs.
INBOX_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'"
)


def _html(name: str, csp: str, body: str | None = None) -> HTMLResponse:
    text = body if body is not None else (STATIC / name).read_text(encoding="utf-8")
    return HTMLResponse(
        text,
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


@router.get("/healthz")
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/")
async def home(runtime: RuntimeDep) -> Response:
    """The sample dealership site with the widget (demo), otherwise the inbox."""
    name = runtime.settings.demo_agent
    if name:
        async with runtime.reads() as session:
            key = await session.scalar(
                select(Agent.public_key).where(Agent.name == name).order_by(Agent.created_at)
            )
        if key:
            page = (STATIC / "demo" / "index.html").read_text(encoding="utf-8")
            return _html("", DEMO_CSP, page.replace("{{PUBLIC_KEY}}", key))
    return RedirectResponse("/inbox", status_code=307)


@router.get("/inbox")
@router.get("/inbox/invite/{token}")
async def inbox(request: Request) -> HTMLResponse:
    return _html("inbox/index.html", INBOX_CSP)


@router.get("/widget.js")
async def widget() -> Response:
    return Response(
        widget_script.widget_script(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )

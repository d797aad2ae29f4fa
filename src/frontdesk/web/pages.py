"""Health check and the built-in playground page for trying an agent."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

router = APIRouter(include_in_schema=False)

_STATIC = resources.files("frontdesk") / "static"


@router.get("/healthz")
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/", response_class=HTMLResponse)
async def playground() -> HTMLResponse:
    return HTMLResponse((_STATIC / "playground" / "index.html").read_text(encoding="utf-8"))


@router.get("/static/playground/{name}")
async def playground_asset(name: str) -> Response:
    allowed = {"app.js": "text/javascript", "style.css": "text/css"}
    if name not in allowed:
        return PlainTextResponse("Not found", status_code=404)
    body = (_STATIC / "playground" / name).read_text(encoding="utf-8")
    return Response(body, media_type=allowed[name])

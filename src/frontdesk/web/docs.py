"""The API reference: Swagger UI shipped in the fastapi-offline package, never from a CDN.

It runs on the inbox's origin, next to a signed-in admin's session, so it gets the inbox's
CSP: scripts only from this server, and the initializer is our own static file
(static/docs/init.js), not an inline script. swagger-ui-bundle ships Swagger UI 4, which
cannot render OpenAPI 3.1. ReDoc is not served: one reference is enough, so /redoc points
to /docs.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontdesk.errors import NotFound
from frontdesk.web.pages import INBOX_CSP, STATIC

router = APIRouter(include_in_schema=False)

SWAGGER_UI = resources.files("fastapi_offline") / "static"
# Only what the page loads; nothing else in that folder is reachable.
VENDOR_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
}


@router.get("/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(
        (STATIC / "docs" / "index.html").read_text(encoding="utf-8"),
        headers={"Content-Security-Policy": INBOX_CSP, "Referrer-Policy": "same-origin"},
    )


@router.get("/docs/vendor/{name}")
async def vendor(name: str) -> Response:
    media_type = VENDOR_FILES.get(name)
    if media_type is None:
        raise NotFound(f"No API docs asset named {name!r}.")
    return Response(
        (SWAGGER_UI / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/redoc")
async def redoc() -> RedirectResponse:
    return RedirectResponse("/docs", status_code=308)

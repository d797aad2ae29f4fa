"""Every error leaves as ``{"error": {"code", "message", "field"?}}`` with a fitting status."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.errors import FrontdeskError, TooManyRequests

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_type",
}


def problem(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str | None:
    # Only the first part says where the value came from: an action's `body` or a `form`
    # action further down is a real field name and must stay in the path.
    if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form"):
        loc = loc[1:]
    return ".".join(str(p) for p in loc) or None


async def _frontdesk_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FrontdeskError)
    headers = None
    if isinstance(exc, TooManyRequests) and exc.retry_after_s is not None:
        headers = {"Retry-After": str(exc.retry_after_s)}
    return _shaped(request, JSONResponse(exc.as_dict(), status_code=exc.status, headers=headers))


# The OpenAI-compatible endpoints (/v1/...) answer errors in OpenAI's shape, which its
# clients read: {"error": {"message", "type", "param", "code"}}.
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def _shaped(request: Request, response: JSONResponse) -> JSONResponse:
    if not request.url.path.startswith("/v1/"):
        return response
    error = json.loads(bytes(response.body))["error"]
    body = {
        "error": {
            "message": error["message"],
            "type": _OPENAI_TYPES.get(response.status_code, "api_error"),
            "param": error.get("field"),
            "code": error["code"],
        }
    }
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _BODY_HEADERS}
    return JSONResponse(body, status_code=response.status_code, headers=headers)


_BODY_HEADERS = {"content-length", "content-type"}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    return _shaped(request, _validation_problem(exc))


def _validation_problem(exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            return problem(
                400,
                "malformed_json",
                f"The request body is not valid JSON ({detail}).".replace(" ()", ""),
            )
    first = errors[0] if errors else {"loc": (), "msg": "Invalid request."}
    field = _field(tuple(first.get("loc", ())))
    message = str(first.get("msg", "Invalid request."))
    if first.get("type") == "missing":
        message = f"'{field}' is required." if field else "A required value is missing."
    elif field:
        message = f"'{field}': {message}"
    return problem(422, "invalid", message, field)


def _allowed_methods(request: Request) -> str | None:
    """Every method of the path the refusing route serves (the router names just its own).

    Routes are grouped by their path as written, as the OpenAPI document groups them: a GET
    that /api/v1/agents/import reaches is /api/v1/agents/{agent_id}'s, not this path's.
    """
    route = request.scope.get("route")
    if route is None:
        return None
    contexts = list(iter_route_contexts(request.app.routes))
    path = next((c.path_format for c in contexts if c.original_route is route), None)
    if path is None:
        return None
    methods = set().union(*(c.methods or () for c in contexts if c.path_format == path))
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404 and message == "Not Found":
        message = "There is nothing at this address."
    headers = dict(exc.headers or {})
    allowed = _allowed_methods(request) if exc.status_code == 405 else None
    if allowed:
        headers["Allow"] = allowed
    return _shaped(request, problem(exc.status_code, code, message, headers=headers))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    message = "Something went wrong on our side; it has been logged."
    return _shaped(request, problem(500, "internal", message))


def install(app: FastAPI) -> None:
    app.add_exception_handler(FrontdeskError, _frontdesk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

"""The OpenAPI document names every error an operation can answer, in the shape it is sent.

FastAPI documents only a 422 (in its own shape, which we never send). What an operation can
fail with follows from what it is, so it is derived here once instead of repeated on every
route: input can be invalid (422) or name something that does not exist (404), a body can
be malformed (400) or of the wrong type (415, non-JSON bodies); any request can carry a body
too large (413) or too slow (408), since the body limits hold for every route; a change can
clash with the current state (409); a caller can lack credentials (401) or rights (403). What
cannot be seen from the route (the widget's origin check, rate limits) the router declares
with :func:`problems`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from frontdesk.web.deps import SESSION_COOKIE, current_caller


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable: invalid, not_found, conflict...")
    message: str = Field(description="What went wrong and what to do, for a person.")
    field: str | None = Field(None, description="The input at fault, dotted (`pairs.0.answer`).")
    fields: dict[str, str] | None = Field(
        None, description="A form's answers: each field that needs attention and why."
    )


class ErrorResponse(BaseModel):
    """Every error the API sends, whatever its status."""

    error: ErrorDetail


WHY = {
    400: "The body could not be parsed (not valid JSON, a broken form).",
    401: "No valid credentials: an API key, a session or a visitor token.",
    403: "Not allowed: the role, the CSRF token or the site (origin) does not permit it.",
    404: "Nothing with this id, or not in your workspace.",
    408: "The request body stalled (a pause longer than the server allows); send it again.",
    409: "Not possible in the current state (already closed, a name taken...).",
    413: "The body is larger than this route accepts; the message says the limit.",
    415: "The body's media type is not one this route reads.",
    422: "The input is not valid; `field` names the first one at fault.",
    429: "Too many requests; wait as long as the Retry-After header says.",
}
SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <key>`"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "A signed-in browser; changes also need the X-CSRF-Token header.",
    },
}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for statuses a route answers that cannot be derived from its shape."""
    return {status: {"description": WHY[status], "model": ErrorResponse} for status in statuses}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with every error response filled in."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _complete(build(), _authenticated(app))
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _complete(schema: dict[str, Any], authenticated: set[str]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs"))
    schemas["ErrorResponse"] = error_schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = SECURITY_SCHEMES
    for method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            _drop_null(parameter["schema"])
        secured = operation.get("operationId") in authenticated
        if secured:
            operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
        responses = operation.setdefault("responses", {})
        for status in _statuses(method, operation, secured):
            responses.setdefault(str(status), {})
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400:
                if response.get("description", "Validation Error") == "Validation Error":
                    response["description"] = WHY.get(int(status), "An error.")
                response["content"] = {"application/json": {"schema": _REF}}


def _drop_null(schema: dict[str, Any]) -> None:
    """`X | None` as a parameter is X or absent: a URL or a header has no way to say null."""
    branches = [b for b in schema.get("anyOf", ()) if b.get("type") != "null"]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema.update(branches[0])


def _statuses(method: str, operation: dict[str, Any], secured: bool) -> set[int]:
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    statuses = {408, 413}  # web/bodylimit.py guards every route
    if parameters or body:
        # An id can come in the path, the query or the body.
        statuses |= {404, 422}
    if body:
        statuses.add(400)
        if set(body.get("content", {})) - {"application/json"}:
            statuses.add(415)
    if method in _WRITES:
        statuses.add(409)
    if secured:
        statuses |= {401, 403}
    return statuses


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, operation


def _authenticated(app: FastAPI) -> set[str]:
    """Operation ids of the routes that need a signed-in caller (an API key or a session)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and _calls(
            context.dependant, current_caller
        ):
            found.add(context.operation_id or context.unique_id)
    return found


def _calls(dependant: Dependant, target: Callable[..., Any]) -> bool:
    return dependant.call is target or any(_calls(d, target) for d in dependant.dependencies)

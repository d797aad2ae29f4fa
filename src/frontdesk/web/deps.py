"""Request-scoped dependencies: the runtime and the authenticated caller.

There is no session dependency: a route reads in ``runtime.reads()`` and writes in
``runtime.changes()``, opened in its body, so that authentication, permission checks and body
validation (all resolved before the body runs) never hold the write lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from frontdesk.accounts import apikeys
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.service import caller_for_session
from frontdesk.errors import Forbidden, Unauthorized
from frontdesk.runtime import Runtime

SESSION_COOKIE = "fd_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Every dependency is ``async def``: FastAPI runs a plain ``def`` one in a worker thread,
# a round trip through the thread pool on every request for what is an attribute lookup.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def authenticate(
    runtime: Runtime, headers: Mapping[str, str], cookies: Mapping[str, str]
) -> Caller | None:
    """The caller behind an API key or a session cookie, or None."""
    key = bearer_token(headers)
    if key is not None:
        async with runtime.reads(lookups=True) as session:
            api_key = await apikeys.find_api_key(session, key)
        if api_key is None:
            return None
        if apikeys.needs_touch(api_key):
            async with runtime.changes() as session:
                await apikeys.touch(session, api_key.id)
        return apikeys.caller_for_key(api_key)
    token = cookies.get(SESSION_COOKIE)
    if token:
        async with runtime.reads(lookups=True) as session:
            return await caller_for_session(session, token)
    return None


async def current_caller(request: Request) -> Caller:
    caller = await authenticate(await get_runtime(request), request.headers, request.cookies)
    if caller is None:
        if bearer_token(request.headers) is not None:
            raise Unauthorized("This API key is not valid.", code="invalid_api_key")
        raise Unauthorized("Sign in or send an API key (Authorization: Bearer ...).")
    if caller.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if not sent or sent != caller.csrf_token:
            raise Forbidden(
                "Missing or wrong X-CSRF-Token header for a signed-in change.", code="csrf_failed"
            )
    return caller


async def current_workspace(caller: Annotated[Caller, Depends(current_caller)]) -> str:
    return caller.workspace_id


async def admin_workspace(caller: Annotated[Caller, Depends(current_caller)]) -> str:
    """The workspace, for changes to its configuration (agents, content): admins and owners."""
    caller.require("admin")
    return caller.workspace_id


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CallerDep = Annotated[Caller, Depends(current_caller)]
WorkspaceDep = Annotated[str, Depends(current_workspace)]
AdminWorkspaceDep = Annotated[str, Depends(admin_workspace)]

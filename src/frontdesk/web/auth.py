"""Sign-in with email and password (session cookie + CSRF token), sign-out, invites."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frontdesk.accounts import invites
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.models import Member
from frontdesk.accounts.service import (
    authenticate,
    end_session,
    get_member,
    get_workspace,
    start_session,
)
from frontdesk.errors import Unauthorized
from frontdesk.web.accountviews import (
    AcceptInviteIn,
    InvitePreview,
    LoginIn,
    MemberOut,
    SessionOut,
    WorkspaceOut,
)
from frontdesk.web.deps import SESSION_COOKIE, CallerDep, RuntimeDep
from frontdesk.web.ratelimit import RateLimiter

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.login_limiter
    return limiter


async def _sign_in(
    request: Request, response: Response, runtime: RuntimeDep, member: Member
) -> SessionOut:
    settings = runtime.settings
    async with runtime.db.transaction() as session:
        token, auth = await start_session(session, member, settings.session_days)
        workspace = await get_workspace(session, member.workspace_id)
    secure = settings.cookie_secure == "always" or (
        settings.cookie_secure == "auto" and request.url.scheme == "https"
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return SessionOut(
        member=MemberOut.model_validate(member),
        workspace=WorkspaceOut.model_validate(workspace),
        csrf_token=auth.csrf_token,
    )


@router.post("/login")
async def login(
    body: LoginIn, request: Request, response: Response, runtime: RuntimeDep
) -> SessionOut:
    """Sign in; sets the session cookie and returns the CSRF token for later writes."""
    key = f"{body.email.strip().lower()}|{request.client.host if request.client else ''}"
    limiter = _limiter(request)
    limiter.hit(key)
    async with runtime.db.session() as session:
        member = await authenticate(session, body.email, body.password)
    limiter.reset(key)
    return await _sign_in(request, response, runtime, member)


@router.post("/logout", status_code=204)
async def logout(request: Request, caller: CallerDep, runtime: RuntimeDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with runtime.db.transaction() as session:
            await end_session(session, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me")
async def me(caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """The signed-in member, workspace and CSRF token (API keys have no "me")."""
    return await _describe(caller, runtime)


async def _describe(caller: Caller, runtime: RuntimeDep) -> SessionOut:
    if caller.member_id is None or caller.csrf_token is None:
        raise Unauthorized("An API key is not a signed-in member.")
    async with runtime.db.session() as session:
        member = await get_member(session, caller.workspace_id, caller.member_id)
        workspace = await get_workspace(session, caller.workspace_id)
    return SessionOut(
        member=MemberOut.model_validate(member),
        workspace=WorkspaceOut.model_validate(workspace),
        csrf_token=caller.csrf_token,
    )


@router.get("/invites/{token}")
async def preview_invite(token: str, runtime: RuntimeDep) -> InvitePreview:
    async with runtime.db.session() as session:
        invite, workspace = await invites.find_invite(session, token)
    return InvitePreview(email=invite.email, role=invite.role, workspace=workspace.name)


@router.post("/invites/{token}")
async def accept_invite(
    token: str, body: AcceptInviteIn, request: Request, response: Response, runtime: RuntimeDep
) -> SessionOut:
    """Set a name and password from an invite link; signs the new member in."""
    async with runtime.db.transaction() as session:
        member = await invites.accept_invite(session, token, body.name, body.password)
    return await _sign_in(request, response, runtime, member)

"""Sign-in with email and password (session cookie + CSRF token), sign-out, invites."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frontdesk.accounts import invites
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.models import Member
from frontdesk.accounts.schemas import (
    AcceptInviteIn,
    InvitePreview,
    LoginIn,
    MemberOut,
    PasswordChangeIn,
    SessionOut,
    WorkspaceOut,
)
from frontdesk.accounts.service import (
    WrongPassword,
    authenticate,
    change_password,
    check_password_change,
    end_session,
    end_sessions,
    get_member,
    get_workspace,
    start_session,
)
from frontdesk.errors import NotFound, Unauthorized
from frontdesk.events.types import Event
from frontdesk.runtime import Runtime
from frontdesk.web.clientip import client_ip
from frontdesk.web.deps import SESSION_COOKIE, CallerDep, RuntimeDep
from frontdesk.web.openapi import problems
from frontdesk.web.throttle import GuessThrottle

# Wrong credentials answer 401 and spend a guess budget (429), signed in or not.
router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=problems(401, 429))


def _throttle(request: Request) -> GuessThrottle:
    throttle: GuessThrottle = request.app.state.guess_throttle
    return throttle


async def announce_signed_out(
    runtime: Runtime, workspace_id: str, member_id: str, keep: str | None = None
) -> None:
    """After the sessions are gone (committed): close the member's open inbox sockets too."""
    data = {"member_id": member_id, "keep": keep}
    await runtime.broker.publish([Event("member.signed_out", workspace_id, None, data)])


def _signed_out_response() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _sign_in(
    request: Request, response: Response, runtime: RuntimeDep, member: Member
) -> SessionOut:
    settings = runtime.settings
    async with runtime.changes() as session:
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
    """Sign in; sets the session cookie and returns the CSRF token for later writes.

    Failed attempts are budgeted per client address, per email and per both (429 with
    Retry-After once spent; see FRONTDESK_LOGIN_*).
    """
    async with (
        _throttle(request).guess(client_ip(request), body.email, wrong=(Unauthorized,)),
        runtime.reads() as session,
    ):
        member = await authenticate(session, body.email, body.password)
    return await _sign_in(request, response, runtime, member)


@router.post("/logout", status_code=204)
async def logout(request: Request, caller: CallerDep, runtime: RuntimeDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with runtime.changes() as session:
            await end_session(session, token)
    return _signed_out_response()


@router.post("/logout-all", status_code=204)
async def logout_all(caller: CallerDep, runtime: RuntimeDep) -> Response:
    """Sign out everywhere: end every session of the signed-in member, this one included."""
    if caller.member_id is None:
        raise Unauthorized("An API key is not a signed-in member.")
    async with runtime.changes() as session:
        await end_sessions(session, caller.member_id)
    await announce_signed_out(runtime, caller.workspace_id, caller.member_id)
    return _signed_out_response()


@router.post("/password", status_code=204)
async def password(
    body: PasswordChangeIn, request: Request, caller: CallerDep, runtime: RuntimeDep
) -> Response:
    """Change my password; every other session of mine ends, this one stays signed in."""
    if caller.member_id is None:
        raise Unauthorized("An API key is not a signed-in member.")
    async with runtime.reads() as session:
        member = await get_member(session, caller.workspace_id, caller.member_id)
    async with _throttle(request).guess(client_ip(request), member.email, wrong=(WrongPassword,)):
        change = await check_password_change(member, body.current_password, body.new_password)
        async with runtime.changes() as session:
            await change_password(session, caller, change)
    await announce_signed_out(runtime, caller.workspace_id, caller.member_id, caller.session_id)
    return Response(status_code=204)


@router.get("/me")
async def me(caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """The signed-in member, workspace and CSRF token (API keys have no "me")."""
    return await _describe(caller, runtime)


async def _describe(caller: Caller, runtime: RuntimeDep) -> SessionOut:
    if caller.member_id is None or caller.csrf_token is None:
        raise Unauthorized("An API key is not a signed-in member.")
    async with runtime.reads() as session:
        member = await get_member(session, caller.workspace_id, caller.member_id)
        workspace = await get_workspace(session, caller.workspace_id)
    return SessionOut(
        member=MemberOut.model_validate(member),
        workspace=WorkspaceOut.model_validate(workspace),
        csrf_token=caller.csrf_token,
    )


@router.get("/invites/{token}")
async def preview_invite(token: str, request: Request, runtime: RuntimeDep) -> InvitePreview:
    # Unknown tokens use the address's sign-in budget: guessing one is guessing a password.
    async with (
        _throttle(request).guess(client_ip(request), None, wrong=(NotFound,)),
        runtime.reads() as session,
    ):
        invite, workspace = await invites.find_invite(session, token)
    return InvitePreview(email=invite.email, role=invite.role, workspace=workspace.name)


@router.post("/invites/{token}")
async def accept_invite(
    token: str, body: AcceptInviteIn, request: Request, response: Response, runtime: RuntimeDep
) -> SessionOut:
    """Set a name and password from an invite link; signs the new member in."""
    async with _throttle(request).guess(client_ip(request), None, wrong=(NotFound,)):
        async with runtime.reads() as session:
            await invites.find_invite(session, token)  # a wrong token never takes the write lock
        async with runtime.changes() as session:
            member = await invites.accept_invite(session, token, body.name, body.password)
    return await _sign_in(request, response, runtime, member)

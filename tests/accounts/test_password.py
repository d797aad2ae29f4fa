"""Changing my password, signing out everywhere, and sessions that must not outlive either."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from app_fixtures import PASSWORD, Accounts, sign_in
from live_support import member_socket, next_frame
from support import ServerThread

NEW_PASSWORD = "a much longer passphrase"
SignIn = Callable[..., httpx.Client]


@pytest.fixture
def browser(server: ServerThread) -> Iterator[SignIn]:
    """``browser(email, password)``: a signed-in client, closed after the test."""
    opened: list[httpx.Client] = []

    def open_one(email: str, password: str = PASSWORD) -> httpx.Client:
        opened.append(sign_in(server, email, password))
        return opened[-1]

    yield open_one
    for http in opened:
        http.close()


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    return error


def _me(http: httpx.Client) -> int:
    return http.get("/api/v1/auth/me").status_code


def _change(http: httpx.Client, current: str, new: str, **kwargs: object) -> httpx.Response:
    body = {"current_password": current, "new_password": new}
    return http.post("/api/v1/auth/password", json=body, **kwargs)  # type: ignore[arg-type]


def test_changing_the_password_ends_my_other_sessions(
    server: ServerThread, accounts: Accounts, browser: SignIn
) -> None:
    accounts.member("ada@ridgeline.test")
    laptop, phone = browser("ada@ridgeline.test"), browser("ada@ridgeline.test")
    no_csrf = _change(laptop, PASSWORD, NEW_PASSWORD, headers={"X-CSRF-Token": ""})
    assert _error(no_csrf, 403)["code"] == "csrf_failed"
    wrong = _error(_change(laptop, "not my password", NEW_PASSWORD), 422)
    assert wrong["code"] == "wrong_password" and wrong["field"] == "current_password"
    short = _error(_change(laptop, PASSWORD, "short"), 422)
    assert short["field"] == "new_password" and "at least 8" in short["message"]
    assert _me(phone) == 200  # nothing changed yet

    assert _change(laptop, PASSWORD, NEW_PASSWORD).status_code == 204
    assert _me(laptop) == 200
    assert laptop.put("/api/v1/me/presence", json={"status": "away"}).status_code == 200
    assert _error(phone.get("/api/v1/auth/me"), 401)["code"] == "unauthenticated"

    with httpx.Client(base_url=server.url, timeout=30) as http:
        old = http.post(
            "/api/v1/auth/login", json={"email": "ada@ridgeline.test", "password": PASSWORD}
        )
        assert _error(old, 401)["code"] == "invalid_credentials"
    assert _me(browser("ada@ridgeline.test", NEW_PASSWORD)) == 200


def test_wrong_current_passwords_are_budgeted_like_sign_ins(
    accounts: Accounts, browser: SignIn
) -> None:
    accounts.member("eve@ridgeline.test")
    stolen = browser("eve@ridgeline.test")
    codes = [_change(stolen, f"guess-{n}", NEW_PASSWORD).status_code for n in range(10)]
    assert codes == [422] * 10
    assert _error(_change(stolen, PASSWORD, NEW_PASSWORD), 429)["code"] == "rate_limited"


def test_sign_out_everywhere_ends_every_session(accounts: Accounts, browser: SignIn) -> None:
    accounts.member("ada@ridgeline.test")
    accounts.member("bob@ridgeline.test")
    sessions = [browser("ada@ridgeline.test") for _ in range(3)]
    bob = browser("bob@ridgeline.test")
    here = sessions[0]
    no_csrf = here.post("/api/v1/auth/logout-all", headers={"X-CSRF-Token": "forged"})
    assert _error(no_csrf, 403)["code"] == "csrf_failed"
    out = here.post("/api/v1/auth/logout-all")
    assert out.status_code == 204
    assert 'fd_session=""' in out.headers["set-cookie"]
    assert [_me(s) for s in sessions] == [401, 401, 401]
    assert _me(bob) == 200  # someone else's sessions are theirs


def test_an_api_key_has_no_password_or_sessions(client: httpx.Client) -> None:
    assert _error(client.post("/api/v1/auth/logout-all"), 401)["code"] == "unauthenticated"
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 401


@pytest.mark.parametrize("how", ["logout-all", "password", "removed"])
def test_ended_sessions_close_their_open_inbox_sockets(
    server: ServerThread, accounts: Accounts, browser: SignIn, how: str
) -> None:
    accounts.member("olive@ridgeline.test", role="owner")
    accounts.member("ada@ridgeline.test")
    here, elsewhere = browser("ada@ridgeline.test"), browser("ada@ridgeline.test")
    owner = browser("olive@ridgeline.test")
    with member_socket(server, here) as kept, member_socket(server, elsewhere) as ended:
        next_frame(kept, "ready")
        next_frame(ended, "ready")
        if how == "logout-all":
            assert elsewhere.post("/api/v1/auth/logout-all").status_code == 204
        elif how == "password":
            assert _change(here, PASSWORD, NEW_PASSWORD).status_code == 204
        else:
            ada = here.get("/api/v1/auth/me").json()["member"]["id"]
            assert owner.delete(f"/api/v1/members/{ada}").status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            next_frame(ended, "never")
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        assert _me(elsewhere) == 401
        if how == "password":  # the session that changed it stays, socket and all
            assert kept.ping().wait(timeout=10)
            assert _me(here) == 200

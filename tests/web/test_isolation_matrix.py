"""Every route and both sockets, called by everyone who must not get in.

The workspace under attack ("ours") has one of everything; the callers are: nobody (no
credentials), another workspace's API key and signed-in owner (sending our ids in path,
query and body), our own agent-role member on owner/admin routes, and the visitor token of
another conversation on the widget routes. Each must get 401/403/404 and nothing of ours in
the answer, and at the end our workspace must read exactly as before. A route the OpenAPI
spec lists without a rule here fails the test: a new route is classified when it is added.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app_fixtures import Accounts, api_client, sign_in
from chat_fixtures import Visitor
from live_support import member_socket, next_frame
from support import ServerThread, wait_for_source

pytestmark = pytest.mark.live

DENIED = {401, 403, 404}
# Words only our workspace's data holds: none of them may reach another caller.
MARKERS = {
    "agent": "Quillfeather Outfitters",
    "greeting": "Welcome to the quillfeather counter",
    "answer": "Our zebrawood paddles cost 412 crowns",
    "visitor": "my loyalty number is 88231-QX",
    "member": "Marisol from quillfeather support here",
    "team": "Quillfeather Rescue Team",
    "reply": "Thanks for writing to quillfeather",
    "email": "ana.quill@quillfeather.example",
    "hook": "https://hooks.quillfeather.example/in",
}


@dataclass(frozen=True)
class Rule:
    """Who may call a route. ``access``: public (by design, see ``why``), self (the caller's
    own account only), member, admin (owners/admins), visitor (a visitor token)."""

    access: str
    body: Callable[[dict[str, Any]], Any] | None = None
    query: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda ids: {})
    why: str = ""


def _ids(**keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda ids: {name: ids[key] for name, key in keys.items()}


def _body(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda ids: value


CONV = "/api/v1/conversations/{conversation_id}"
WIDGET = "/api/v1/widget/conversations/{conversation_id}"
RULES: dict[str, Rule] = {
    "POST /api/v1/auth/login": Rule("public", why="signing in needs no credentials"),
    "POST /api/v1/auth/logout": Rule("self"),
    "POST /api/v1/auth/logout-all": Rule("self"),
    "POST /api/v1/auth/password": Rule(
        "self", _body({"current_password": "not the password", "new_password": "x" * 16})
    ),
    "GET /api/v1/auth/me": Rule("self"),
    "GET /api/v1/auth/invites/{token}": Rule("public", why="the invite token is the key"),
    "POST /api/v1/auth/invites/{token}": Rule("public", why="the invite token is the key"),
    "GET /api/v1/members": Rule("member"),
    "PATCH /api/v1/members/{member_id}": Rule("admin", _body({"role": "admin"})),
    "DELETE /api/v1/members/{member_id}": Rule("admin"),
    "GET /api/v1/invites": Rule("admin"),
    "POST /api/v1/invites": Rule("admin", _body({"email": "new@elsewhere.example"})),
    "DELETE /api/v1/invites/{invite_id}": Rule("admin"),
    "GET /api/v1/apikeys": Rule("admin"),
    "POST /api/v1/apikeys": Rule("admin", _body({"name": "probe"})),
    "DELETE /api/v1/apikeys/{key_id}": Rule("admin"),
    "GET /api/v1/teams": Rule("member"),
    "POST /api/v1/teams": Rule("admin", lambda ids: {"name": "Probe", "members": [ids["member"]]}),
    "PATCH /api/v1/teams/{team_id}": Rule("admin", _body({"name": "Renamed"})),
    "DELETE /api/v1/teams/{team_id}": Rule("admin"),
    "PUT /api/v1/me/presence": Rule("self", _body({"status": "away"})),
    f"POST {CONV}/team": Rule("member", _ids(team_id="team")),
    "GET /api/v1/secrets": Rule("admin"),
    "PUT /api/v1/secrets/{name}": Rule("admin", _body({"value": "overwritten"})),
    "DELETE /api/v1/secrets/{name}": Rule("admin"),
    "GET /api/v1/workspace/allowed-hosts": Rule("admin"),
    "PUT /api/v1/workspace/allowed-hosts": Rule("admin", _body({"hosts": ["probe.example"]})),
    "GET /api/v1/agents": Rule("member"),
    "POST /api/v1/agents": Rule("admin", _body({"name": "Probe agent"})),
    "POST /api/v1/agents/import": Rule("admin", _body("name: Probe import\n")),
    "GET /api/v1/agents/{agent_id}/export": Rule("member"),
    "GET /api/v1/agents/{agent_id}": Rule("member"),
    "PATCH /api/v1/agents/{agent_id}": Rule("admin", _body({"greeting": "Taken over"})),
    "DELETE /api/v1/agents/{agent_id}": Rule("admin"),
    "POST /api/v1/agents/{agent_id}/ask": Rule("member", _body({"question": "paddles?"})),
    "GET /api/v1/agents/{agent_id}/search": Rule("member", query=lambda ids: {"q": "paddles"}),
    "GET /api/v1/agents/{agent_id}/sources": Rule("member"),
    "POST /api/v1/agents/{agent_id}/sources/files": Rule("admin"),
    "POST /api/v1/agents/{agent_id}/sources/urls": Rule(
        "admin", _body({"url": "https://probe.example/"})
    ),
    "POST /api/v1/agents/{agent_id}/sources/qa": Rule(
        "admin", _body({"pairs": [{"question": "Probe?", "answer": "Probe."}]})
    ),
    "GET /api/v1/sources/{source_id}": Rule("member"),
    "DELETE /api/v1/sources/{source_id}": Rule("admin"),
    "GET /api/v1/sources/{source_id}/pairs": Rule("member"),
    "POST /api/v1/sources/{source_id}/resync": Rule("admin"),
    "GET /api/v1/conversations": Rule("member", query=_ids(agent_id="agent")),
    "GET /api/v1/conversations/search": Rule("member", query=lambda ids: {"q": "loyalty"}),
    f"GET {CONV}": Rule("member"),
    f"GET {CONV}/related": Rule("member"),
    f"POST {CONV}/messages": Rule("member", _body({"text": "Probe reply"})),
    f"POST {CONV}/takeover": Rule("member"),
    f"POST {CONV}/assign": Rule("member", _ids(member_id="member")),
    f"POST {CONV}/handback": Rule("member"),
    f"POST {CONV}/close": Rule("member"),
    f"POST {CONV}/reopen": Rule("member"),
    f"POST {CONV}/priority": Rule("member", _body({"priority": "urgent"})),
    f"POST {CONV}/read": Rule("member", _body({"seq": 1})),
    "GET /api/v1/tags": Rule("member"),
    "PATCH /api/v1/tags/{tag_id}": Rule("admin", _body({"name": "renamed"})),
    "DELETE /api/v1/tags/{tag_id}": Rule("admin"),
    "POST /api/v1/tags/{tag_id}/merge": Rule("admin", _ids(into="other_tag")),
    f"POST {CONV}/tags": Rule("member", _body({"tag": "probe"})),
    f"DELETE {CONV}/tags/{{name}}": Rule("member"),
    "GET /api/v1/saved-replies": Rule("member"),
    "POST /api/v1/saved-replies": Rule(
        "admin", _body({"shortcut": "probe", "title": "Probe", "text": "Probe."})
    ),
    "PATCH /api/v1/saved-replies/{reply_id}": Rule("admin", _body({"text": "Changed"})),
    "DELETE /api/v1/saved-replies/{reply_id}": Rule("admin"),
    "GET /api/v1/usage": Rule("member"),
    "GET /api/v1/insights": Rule("admin", query=_ids(agent_id="agent")),
    "GET /api/v1/insights.csv": Rule("admin", query=_ids(agent_id="agent")),
    "POST /api/v1/insights/gaps/answer": Rule(
        "admin", lambda ids: {"agent_id": ids["agent"], "question": "Probe?", "answer": "No."}
    ),
    "GET /api/v1/widget/{public_key}/config": Rule(
        "public", why="the widget's public key is in every host page"
    ),
    "POST /api/v1/widget/{public_key}/conversations": Rule(
        "public", why="any visitor of a host page may start a conversation"
    ),
    f"POST {WIDGET}/messages": Rule("visitor", _body({"text": "Probe", "client_id": "probe-1"})),
    f"GET {WIDGET}/messages": Rule("visitor"),
    f"POST {WIDGET}/handoff": Rule("visitor"),
    f"POST {WIDGET}/forms/{{action}}": Rule("visitor", _body({"values": {"name": "Probe"}})),
    f"POST {WIDGET}/forms/{{action}}/skip": Rule("visitor"),
    f"POST {WIDGET}/messages/{{seq}}/feedback": Rule("visitor", _body({"rating": "down"})),
    f"POST {WIDGET}/csat": Rule("visitor", _body({"score": 1})),
    "GET /v1/models": Rule("member"),
    "POST /v1/chat/completions": Rule(
        "member",
        lambda ids: {
            "model": ids["agent"],
            "conversation_id": ids["conversation"],
            "messages": [{"role": "user", "content": "paddles?"}],
        },
    ),
    "GET /api/v1/webhooks": Rule("admin"),
    "POST /api/v1/webhooks": Rule(
        "admin", _body({"url": "https://probe.example/hook", "events": ["message.created"]})
    ),
    "GET /api/v1/webhooks/{webhook_id}": Rule("admin"),
    "PATCH /api/v1/webhooks/{webhook_id}": Rule("admin", _body({"url": "https://probe.example/"})),
    "DELETE /api/v1/webhooks/{webhook_id}": Rule("admin"),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": Rule("admin"),
    "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend": Rule("admin"),
    "POST /api/v1/webhooks/{webhook_id}/test": Rule("admin"),
    "GET /api/v1/dead-letters": Rule("admin"),
    "POST /api/v1/dead-letters/deliveries/{delivery_id}/retry": Rule("admin"),
    "POST /api/v1/dead-letters/runs/{run_id}/retry": Rule("admin"),
    "GET /api/v1/alerts/preferences": Rule("self"),
    "PATCH /api/v1/alerts/preferences": Rule("self", _body({"email_alerts": False})),
}
# Calls that end the caller's session go last, so the rest are made signed in.
LAST = ("POST /api/v1/auth/password", "POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all")
# Our workspace as its owner reads it; none of this may change.
SNAPSHOT = (
    "/api/v1/agents",
    "/api/v1/agents/{agent}",
    "/api/v1/agents/{agent}/sources",
    "/api/v1/sources/{source}/pairs",
    "/api/v1/conversations/{conversation}",
    "/api/v1/tags",
    "/api/v1/teams",
    "/api/v1/members",
    "/api/v1/invites",
    "/api/v1/secrets",
    "/api/v1/saved-replies",
    "/api/v1/webhooks",
    "/api/v1/dead-letters",
    "/api/v1/workspace/allowed-hosts",
)
# Read-only fields that the owner's own snapshot reads move (its key's last use).
VOLATILE = re.compile(r'"(last_used_at|last_seen_at)": "[^"]*"')


def _operations(server: ServerThread) -> list[tuple[str, str]]:
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    return [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _path(path: str, ids: dict[str, Any]) -> str:
    names = {
        "agent_id": ids["agent"],
        "source_id": ids["source"],
        "conversation_id": ids["conversation"],
        "member_id": ids["member"],
        "invite_id": ids["invite"],
        "key_id": ids["key"],
        "team_id": ids["team"],
        "tag_id": ids["tag"],
        "reply_id": ids["reply"],
        "webhook_id": ids["webhook"],
        "delivery_id": ids["delivery"],
        "run_id": ids["run"],
        "public_key": ids["public_key"],
        "token": ids["invite_token"],
        "action": "contact",
        "seq": "2",
        "name": ids["secret"] if path.startswith("/api/v1/secrets") else ids["tag_name"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(names[m.group(1)]), path)


def _call(http: httpx.Client, key: str, ids: dict[str, Any]) -> httpx.Response:
    method, path = key.split(" ", 1)
    rule = RULES[key]
    url = _path(path, ids)
    if key.endswith("/sources/files"):
        files = {"file": ("probe.txt", b"Probe content.", "text/plain")}
        return http.request(method, url, files=files)
    if key.endswith("/agents/import"):
        assert rule.body is not None
        headers = {"Content-Type": "application/yaml"}
        return http.request(method, url, content=rule.body(ids), headers=headers)
    body = rule.body(ids) if rule.body else None
    return http.request(method, url, json=body, params=rule.query(ids))


def _leaks(response: httpx.Response) -> list[str]:
    text = response.text.lower()
    return [name for name, marker in MARKERS.items() if marker.lower() in text]


def _snapshot(owner: httpx.Client, ids: dict[str, Any]) -> dict[str, str]:
    pages = {}
    for path in SNAPSHOT:
        response = owner.get(path.format(**ids))
        assert response.status_code == 200, (path, response.text)
        pages[path] = VOLATILE.sub("", json.dumps(response.json(), sort_keys=True))
    return pages


def _build_ours(server: ServerThread, accounts: Accounts, owner: httpx.Client) -> dict[str, Any]:
    """One of everything in our workspace, through the API as its owner would."""
    agent = owner.post(
        "/api/v1/agents", json={"name": MARKERS["agent"], "greeting": MARKERS["greeting"]}
    ).json()
    pairs = [{"question": "What do the zebrawood paddles cost?", "answer": MARKERS["answer"]}]
    source = owner.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": pairs})
    assert wait_for_source(owner, source.json()["id"])["status"] == "ready"
    visitor = Visitor(server, agent["public_key"])
    assert visitor.send(MARKERS["visitor"]).status_code == 201
    visitor.wait_for("ai")
    member = accounts.member(MARKERS["email"], role="agent")
    reply = owner.post(f"/api/v1/conversations/{visitor.id}/messages", json={"text": "hi"})
    assert reply.status_code in (200, 201), reply.text
    tagged = owner.post(f"/api/v1/conversations/{visitor.id}/tags", json={"tag": "paddles"})
    assert tagged.status_code in (200, 201), tagged.text
    owner.post(f"/api/v1/conversations/{visitor.id}/tags", json={"tag": "kayaks"})
    tags = {t["name"]: t["id"] for t in owner.get("/api/v1/tags").json()["tags"]}
    team = owner.post("/api/v1/teams", json={"name": MARKERS["team"]}).json()
    saved = owner.post(
        "/api/v1/saved-replies",
        json={"shortcut": "thanks", "title": "Thanks", "text": MARKERS["reply"]},
    ).json()
    hook = owner.post(
        "/api/v1/webhooks", json={"url": MARKERS["hook"], "events": ["message.created"]}
    )
    assert hook.status_code == 201, hook.text
    assert owner.put("/api/v1/secrets/CRM_KEY", json={"value": "s3cr3t-value"}).status_code == 201
    invite = owner.post("/api/v1/invites", json={"email": "new@quillfeather.example"}).json()
    key = owner.post("/api/v1/apikeys", json={"name": "Zapier"}).json()
    second = Visitor(server, agent["public_key"])
    return {
        "agent": agent["id"],
        "public_key": agent["public_key"],
        "source": source.json()["id"],
        "conversation": visitor.id,
        "visitor": visitor,
        "second_visitor": second,
        "member": member.id,
        "tag": tags["paddles"],
        "other_tag": tags["kayaks"],
        "tag_name": "paddles",
        "team": team["id"],
        "reply": saved["id"],
        "webhook": hook.json()["id"],
        "delivery": "dlv_" + uuid.uuid4().hex[:12],
        "run": "run_" + uuid.uuid4().hex[:12],
        "secret": "CRM_KEY",
        "invite": invite["id"],
        "invite_token": invite.get("token") or invite.get("link", "x").rsplit("/", 1)[-1],
        "key": key["id"],
    }


def test_every_route_refuses_everyone_who_does_not_belong(
    server: ServerThread, accounts: Accounts
) -> None:
    operations = _operations(server)
    unclassified = sorted({f"{m} {p}" for m, p in operations} - set(RULES))
    assert not unclassified, f"routes without an isolation rule: {unclassified}"
    stale = sorted(set(RULES) - {f"{m} {p}" for m, p in operations})
    assert not stale, f"rules for routes that no longer exist: {stale}"

    owner_email = "owner@quillfeather.example"
    accounts.member(owner_email, role="owner")
    owner = sign_in(server, owner_email)
    ids = _build_ours(server, accounts, owner)
    before = _snapshot(owner, ids)

    theirs = accounts.workspace("Elsewhere")
    accounts.member("sam@elsewhere.example", role="owner", workspace_id=theirs)
    with api_client(server, accounts, theirs) as their_key:
        their_agent = their_key.post("/api/v1/agents", json={"name": "Elsewhere"}).json()
    their_visitor = Visitor(server, their_agent["public_key"])
    callers: dict[str, httpx.Client] = {
        "nobody": httpx.Client(base_url=server.url, timeout=30),
        "their API key": api_client(server, accounts, theirs),
        "their owner": sign_in(server, "sam@elsewhere.example"),
    }
    our_agent_member = sign_in(server, MARKERS["email"])
    visitors = {
        "another conversation's visitor": ids["second_visitor"].http,
        "their visitor": their_visitor.http,
    }

    checked = 0
    failures: list[str] = []
    keys = sorted(RULES, key=lambda k: (k in LAST, LAST.index(k) if k in LAST else 0))
    for key in keys:
        rule = RULES[key]
        if rule.access == "public":
            assert rule.why, f"{key}: say why it is public"
            continue
        tries = dict(callers)
        if rule.access == "admin":
            tries["our agent-role member"] = our_agent_member
        if rule.access == "visitor":
            tries.update(visitors)
        for who, http in tries.items():
            response = _call(http, key, ids)
            checked += 1
            if problem := _judge(key, who, response):
                failures.append(f"{key} as {who}: {problem}: {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert checked > 250
    assert _snapshot(owner, ids) == before


def _judge(key: str, who: str, response: httpx.Response) -> str | None:
    """What is wrong with this answer to this caller, if anything."""
    status = response.status_code
    if leaked := _leaks(response):
        return f"saw our {leaked}"
    if status >= 500:
        return f"{status}"
    rule = RULES[key]
    if who == "nobody":
        return None if status == 401 else f"{status} without credentials"
    if who == "our agent-role member":
        return None if status == 403 else f"{status} on an owner/admin route"
    names_ours = ("{" in key and key not in NAMES_ARE_THEIRS) or key in BODY_NAMES_OURS
    if (rule.access == "visitor" or names_ours) and status not in DENIED:
        return f"{status}, not refused"
    return None  # their own data (a list, a new row of theirs), with nothing of ours


# Secret names are per workspace: theirs called CRM_KEY is another secret than ours.
NAMES_ARE_THEIRS = {"PUT /api/v1/secrets/{name}", "DELETE /api/v1/secrets/{name}"}
# Routes with no id in the path whose body names something of ours.
BODY_NAMES_OURS = {"POST /api/v1/insights/gaps/answer", "POST /v1/chat/completions"}


def _frames_until(socket: Any, done: Callable[[dict[str, Any]], bool]) -> list[str]:
    """Every frame's text up to and including the first that ``done`` accepts."""
    seen = []
    while True:
        text = socket.recv(timeout=30)
        seen.append(text)
        if done(json.loads(text)):
            return seen


@contextlib.contextmanager
def _widget_socket(server: ServerThread, token: str) -> Iterator[Any]:
    with connect(server.url.replace("http://", "ws://") + "/api/v1/widget/ws") as socket:
        socket.send(json.dumps({"type": "hello", "token": token, "after": 0}))
        yield socket


def test_the_sockets_carry_nothing_of_another_conversation_or_workspace(
    server: ServerThread, accounts: Accounts
) -> None:
    accounts.member("owner@quillfeather.example", role="owner")
    owner = sign_in(server, "owner@quillfeather.example")
    agent = owner.post("/api/v1/agents", json={"name": MARKERS["agent"]}).json()
    ours, neighbour = (Visitor(server, agent["public_key"]) for _ in range(2))
    theirs = accounts.workspace("Elsewhere")
    accounts.member("sam@elsewhere.example", role="owner", workspace_id=theirs)
    their_owner = sign_in(server, "sam@elsewhere.example")
    with api_client(server, accounts, theirs) as their_key:
        their_agent = their_key.post("/api/v1/agents", json={"name": "Elsewhere"}).json()
    their_visitor = Visitor(server, their_agent["public_key"])
    assert ours.send(MARKERS["visitor"]).status_code == 201

    for token in ("", "not-a-token", ours.token + "x"):
        with _widget_socket(server, token) as refused:
            assert json.loads(refused.recv(timeout=30))["type"] == "error"
            with pytest.raises(ConnectionClosed):
                refused.recv(timeout=30)
    with connect(server.url.replace("http://", "ws://") + "/api/v1/inbox/ws") as anonymous:
        assert json.loads(anonymous.recv(timeout=30))["type"] == "error"
        with pytest.raises(ConnectionClosed):
            anonymous.recv(timeout=30)

    cookie = {"Cookie": f"fd_session={their_owner.cookies.get('fd_session')}"}
    with (
        _widget_socket(server, neighbour.token) as neighbours,
        member_socket(server, their_owner) as their_inbox,
        # Resuming from the start of a stream replays the caller's own workspace only.
        connect(
            server.url.replace("http://", "ws://") + "/api/v1/inbox/ws?last_event_id=0",
            additional_headers=cookie,
            origin=server.url,
        ) as their_replay,
    ):
        frames = [json.dumps(next_frame(socket, "ready")) for socket in (their_inbox, their_replay)]
        said = owner.post(
            f"/api/v1/conversations/{ours.id}/messages", json={"text": MARKERS["member"]}
        )
        assert said.status_code in (200, 201), said.text
        owner.post(f"/api/v1/conversations/{neighbour.id}/messages", json={"text": "For you"})
        assert their_visitor.send("Hello over there").status_code == 201

        def mine(frame: dict[str, Any]) -> bool:
            return "For you" in json.dumps(frame)

        def theirs_arrived(frame: dict[str, Any]) -> bool:
            return "Hello over there" in json.dumps(frame)

        frames += _frames_until(neighbours, mine)
        frames += _frames_until(their_inbox, theirs_arrived)
        frames += _frames_until(their_replay, theirs_arrived)
    leaked = [f for f in frames if any(m.lower() in f.lower() for m in MARKERS.values())]
    assert not leaked
    assert not any(ours.id in f or agent["id"] in f for f in frames)

"""Nothing acknowledged is lost when the server is killed with SIGKILL, again and again.

A scripted load (visitors sending with client ids, a member taking over, replying and
handing back, uploads) runs against a real `frontdesk serve` process on the SQLite default;
the process is killed at random moments and restarted; clients resend what was not
acknowledged with the same client id. Then: every acknowledged message is stored exactly
once, where it was acknowledged, in order; conversations are consistent; every visitor
message the AI owned was answered once (or, for a model agent, met with "please ask
again"), never dropped; every upload ended ready (and searchable in full) or failed; every
message webhook arrived at least once, repeats carrying the same webhook id.

FRONTDESK_TEST_KILLS sets the number of kills (12 by default, to keep CI short);
FRONTDESK_TEST_SEED replays a run (the seed is printed).
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_fixtures import PASSWORD, Accounts
from chat_fixtures import FAQ, Visitor
from frontdesk.settings import Settings
from processes import ServerProcess
from receiver import Receiver
from support import wait_for_source, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.live]

VISITORS = 6
# Long enough for several chunks, so a half-ingested upload would show.
DOCUMENT = "# Winter storage\n\n" + "".join(
    f"## Bay {n}\n\nBay {n} holds {n + 3} snowmobiles from November to March. Indoor storage "
    f"in bay {n} costs {40 + n} dollars a month, checked weekly by the service crew, who "
    f"start every engine once a month and keep the batteries charged over the winter.\n\n"
    for n in range(1, 25)
)
STATUSES = {"bot", "waiting", "human", "closed"}


@dataclass
class Sent:
    """A visitor message: acknowledged once ``seq`` is known."""

    visitor: Visitor
    client_id: str
    text: str
    seq: int | None = None


class Load:
    """The clients' side: what was sent, what was acknowledged."""

    def __init__(self, rng: random.Random, server: ServerProcess, api: httpx.Client):
        self.rng = rng
        self.server = server
        self.api = api
        self.member = _sign_in(server)
        self.agent_key = ""
        self.visitors: list[Visitor] = []
        self.sent: list[Sent] = []
        self.replies: list[tuple[str, str]] = []  # (conversation, text) acknowledged
        self.uploads: list[str] = []  # source ids acknowledged
        self.counter = 0

    def step(self) -> None:
        op = self.rng.choices(
            ["send", "takeover", "reply", "handback", "upload"], weights=[10, 2, 2, 2, 1]
        )[0]
        self.counter += 1
        visitor = self.rng.choice(self.visitors)
        conversation = f"/api/v1/conversations/{visitor.id}"
        if op == "send":
            sent = Sent(visitor, uuid.uuid4().hex, f"Question {self.counter} about storage?")
            self.sent.append(sent)
            self.deliver(sent)
        elif op == "takeover":
            self.member.post(f"{conversation}/takeover")
        elif op == "reply":
            text = f"Reply {self.counter} from Sam."
            said = self.member.post(f"{conversation}/messages", json={"text": text})
            if said.status_code == 201:
                self.replies.append((visitor.id, text))
        elif op == "handback":
            self.member.post(f"{conversation}/handback")
        else:
            upload = self.api.post(
                f"/api/v1/agents/{self.agent_id}/sources/files",
                files={"file": (f"storage-{self.counter}.md", DOCUMENT.encode())},
            )
            if upload.status_code == 202:
                self.uploads += [source["id"] for source in upload.json()]

    def deliver(self, sent: Sent) -> None:
        """Send (or resend) with the message's client id; keep the seq when acknowledged."""
        response = sent.visitor.send(sent.text, client_id=sent.client_id)
        if response.status_code in (200, 201):
            seq = response.json()["seq"]
            assert sent.seq in (None, seq), "a resend was stored under another seq"
            sent.seq = seq

    def run_until_killed(self) -> None:
        while True:
            try:
                self.step()
            except httpx.TransportError:
                assert self.server.process is not None
                if self.server.process.poll() is not None:
                    return  # killed: the restart picks up from here

    def resend_unacknowledged(self) -> None:
        for sent in self.sent:
            if sent.seq is None:
                self.deliver(sent)
                assert sent.seq is not None, f"{sent.text!r} was refused after the restart"


def _sign_in(server: ServerProcess) -> httpx.Client:
    http = httpx.Client(base_url=server.url, timeout=30)
    response = http.post(
        "/api/v1/auth/login", json={"email": "sam@ridgeline.test", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return http


def test_nothing_acknowledged_is_lost_across_kill_9(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Receiver() as receiver:
        _kill_again_and_again(tmp_path, capsys, receiver)


def _kill_again_and_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    kills = int(os.environ.get("FRONTDESK_TEST_KILLS", "12"))
    seed = int(os.environ.get("FRONTDESK_TEST_SEED") or random.randrange(1 << 30))
    with capsys.disabled():
        print(f"\nkill -9 test: {kills} kills, FRONTDESK_TEST_SEED={seed}")
    rng = random.Random(seed)
    data = tmp_path / "data"
    env = {
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_LOG_LEVEL": "warning",
        # Six visitors sending as fast as a loop can: more than people type.
        "FRONTDESK_VISITOR_MESSAGES_PER_MINUTE": "100000",
        "FRONTDESK_WEBHOOK_RETRY_DELAYS_S": "[0.2, 0.5, 1]",
    }
    server = ServerProcess(env, tmp_path / "server.log").start()
    try:
        accounts = Accounts(Settings(data_dir=data))
        accounts.member("sam@ridgeline.test", role="owner")
        accounts.allow_hosts(receiver.host)
        headers = {"Authorization": f"Bearer {accounts.api_key()}"}
        api = httpx.Client(base_url=server.url, headers=headers, timeout=30)
        agent = api.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
        faq = api.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": FAQ}).json()
        assert wait_for_source(api, faq["id"])["status"] == "ready"
        hook = api.post(
            "/api/v1/webhooks", json={"url": receiver.url(), "events": ["message.created"]}
        )
        assert hook.status_code == 201, hook.text

        load = Load(rng, server, api)
        load.agent_id = agent["id"]
        load.visitors = [Visitor(server, agent["public_key"]) for _ in range(VISITORS)]  # type: ignore[arg-type]
        for _ in range(kills):
            timer = threading.Timer(rng.uniform(0.2, 1.5), server.kill)
            timer.start()
            load.run_until_killed()
            timer.join()
            server.start()
            load.resend_unacknowledged()
        for _ in range(20):  # a last stretch with no kill
            load.step()
        _settle(load, api)
        _check(load, api, receiver)
    finally:
        server.stop()


def _conversation(api: httpx.Client, visitor: Visitor) -> dict[str, Any]:
    detail: dict[str, Any] = api.get(f"/api/v1/conversations/{visitor.id}").json()
    return detail


def _settle(load: Load, api: httpx.Client) -> None:
    """Wait for the work the restarts left: ingestion, AI replies, webhooks."""
    for source_id in load.uploads:
        wait_for_source(api, source_id, timeout=120)

    def answered() -> bool:
        for visitor in load.visitors:
            detail = _conversation(api, visitor)
            said = [m for m in detail["messages"] if m["author"] in ("visitor", "ai", "member")]
            if (
                detail["conversation"]["status"] == "ai"
                and said
                and said[-1]["author"] == "visitor"
            ):
                return False  # the AI owns it and has not answered its last message
        return True

    wait_until(answered, timeout=120, what="the AI's replies to every message it owned")


def _check(load: Load, api: httpx.Client, receiver: Receiver) -> None:
    stored_ids: set[str] = set()
    for visitor in load.visitors:
        detail = _conversation(api, visitor)
        messages = detail["messages"]
        seqs = [m["seq"] for m in messages]
        assert seqs == sorted(set(seqs)), f"{visitor.id}: seqs out of order or repeated"
        from_visitor = [m for m in messages if m["author"] == "visitor"]
        stored_ids |= {m["id"] for m in messages if not m["private"] and m["event"] is None}
        by_client = Counter(m["client_id"] for m in from_visitor)
        mine = [s for s in load.sent if s.visitor is visitor]
        assert sorted(by_client) == sorted(s.client_id for s in mine), "a message lost or made up"
        assert all(count == 1 for count in by_client.values()), f"stored twice: {by_client}"
        for sent in mine:
            (stored,) = [m for m in from_visitor if m["client_id"] == sent.client_id]
            assert (stored["seq"], stored["text"]) == (sent.seq, sent.text)
        replies = Counter(m["text"] for m in messages if m["author"] == "member")
        for conversation_id, text in load.replies:
            if conversation_id == visitor.id:
                assert replies[text] == 1, f"the acknowledged reply {text!r}: {replies[text]}"
        ai = [m for m in messages if m["author"] == "ai"]
        assert len(ai) <= len(from_visitor), f"{visitor.id}: more AI replies than questions"
        conversation = detail["conversation"]
        assert conversation["status"] in STATUSES
        assert conversation["last_seq"] == seqs[-1]
        if conversation["status"] == "human":
            assert conversation["assignee_id"], "a person owns it, but nobody is assigned"

    sources = [api.get(f"/api/v1/sources/{s}").json() for s in load.uploads]
    assert all(source["status"] in ("ready", "failed") for source in sources), sources
    # All of it or nothing: every ready copy of the same file has the same chunks.
    counts = {source["chunk_count"] for source in sources if source["status"] == "ready"}
    assert len(counts) <= 1 and 0 not in counts, counts
    hits = api.get(
        f"/api/v1/agents/{load.agent_id}/search", params={"q": "indoor storage a month", "k": 50}
    ).json()
    ready = {source["id"] for source in sources if source["status"] == "ready"}
    found = {h["source_id"] for h in hits if h["source_id"] in load.uploads}
    # Search sees the copies that finished, and nothing of one that failed half-way.
    assert found <= ready and bool(found) == bool(ready), (found, ready)

    def delivered() -> set[str]:
        seen = set()
        for request in receiver.requests:
            message = request.json()["data"].get("message") or {}
            seen.add(message.get("id"))
        return seen

    wait_until(lambda: stored_ids <= delivered(), timeout=120, what="a webhook per message")
    ids_by_message = defaultdict(set)
    for request in receiver.requests:
        message_id = (request.json()["data"].get("message") or {}).get("id")
        ids_by_message[message_id].add(request.headers["webhook-id"])
    repeated = {m: ids for m, ids in ids_by_message.items() if len(ids) > 1}
    assert not repeated, f"a message's webhook was sent under several ids: {repeated}"

"""The kill -9 tests' scripted load, the killing, and the checks, for one server or several.

Clients (visitors sending with client ids, a member taking over, replying and handing back,
an API key uploading) each have a home server and talk to whichever is up when theirs is
not. Servers are killed with SIGKILL at random moments (one, or with several, sometimes all)
and restarted while the load goes on against the others; a request cut by a kill is resent
with the same client id, to whichever server is up. A member's inbox socket reconnects the
same way, resuming after the last event id it saw. Then every acknowledged message must be
stored exactly once, where it was acknowledged, in order; conversations consistent; every
visitor message the AI owned answered once (or, for a model agent, met with "please ask
again"), never dropped; every upload ready (and searchable in full) or failed; every message
webhook delivered at least once, repeats carrying the same webhook id; and the inbox socket
saw every event of the stream once, in order, across its reconnections.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import WebSocketException

from app_fixtures import Accounts, sign_in
from chat_fixtures import FAQ, Visitor
from frontdesk.settings import Settings
from live_support import member_socket, next_frame
from processes import ServerProcess
from receiver import Receiver
from support import wait_for_source, wait_until

VISITORS = 6
# Long enough for several chunks, so a half-ingested upload would show.
DOCUMENT = "# Winter storage\n\n" + "".join(
    f"## Bay {n}\n\nBay {n} holds {n + 3} snowmobiles from November to March. Indoor storage "
    f"in bay {n} costs {40 + n} dollars a month, checked weekly by the service crew, who "
    f"start every engine once a month and keep the batteries charged over the winter.\n\n"
    for n in range(1, 25)
)
STATUSES = {"bot", "waiting", "human", "closed"}
# The servers' settings every kill test shares.
LOAD_ENV = {
    "FRONTDESK_LOG_LEVEL": "warning",
    # Six visitors sending as fast as a loop can: more than people type.
    "FRONTDESK_VISITOR_MESSAGES_PER_MINUTE": "100000",
    "FRONTDESK_WEBHOOK_RETRY_DELAYS_S": "[0.2, 0.5, 1]",
}


def prove_nothing_lost(
    servers: list[ServerProcess],
    data: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    default_kills: int,
) -> None:
    """The whole test on servers launched (not yet ready) on one database: Sam (an owner), a
    webhook receiver, the load, the kills, the checks; prints the figures.

    FRONTDESK_TEST_KILLS sets the number of kills (``default_kills`` when unset);
    FRONTDESK_TEST_SEED replays a run (random when unset; printed either way)."""
    kills = int(os.environ.get("FRONTDESK_TEST_KILLS") or default_kills)
    seed = int(os.environ.get("FRONTDESK_TEST_SEED") or random.randrange(1 << 30))
    with capsys.disabled():
        print(f"\n{what}: {kills} kills, FRONTDESK_TEST_SEED={seed}")
    began = time.monotonic()
    cluster = Cluster(servers)
    try:
        for server in servers:  # started together: each takes a while to import and load
            wait_until(server.ready, timeout=120, what=f"{server.log.stem} to be ready")
        with Receiver() as receiver:
            accounts = Accounts(Settings(data_dir=data))
            accounts.member("sam@ridgeline.test", role="owner")
            accounts.allow_hosts(receiver.host)
            rng = random.Random(seed)
            load, inbox = open_desk(cluster, rng, accounts.api_key(), receiver)
            phases = {"start": time.monotonic() - began}
            kill_again_and_again(load, cluster, rng, kills)
            phases["kills"] = time.monotonic() - began - sum(phases.values())
            settle(load)
            phases["settling"] = time.monotonic() - began - sum(phases.values())
            check(load, receiver, inbox)
            phases["checks"] = time.monotonic() - began - sum(phases.values())
            with capsys.disabled():
                print(summary(load, inbox, receiver, kills, phases))
    finally:
        cluster.stop()


class Cluster:
    """The server processes, and which of them are up (killed ones are down until they are
    ready again). Clients ask it where to send each request."""

    def __init__(self, servers: list[ServerProcess]):
        self.servers = servers
        self._up = set(range(len(servers)))
        self._lock = threading.Lock()
        self.restarting_s = 0.0  # time spent waiting for killed servers to be ready again

    def server_for(self, home: int) -> ServerProcess | None:
        """The client's home server if it is up, else another one that is (None: none)."""
        with self._lock:
            if home % len(self.servers) in self._up:
                return self.servers[home % len(self.servers)]
            return self.servers[min(self._up)] if self._up else None

    def point(self, http: httpx.Client, home: int) -> None:
        server = self.server_for(home)
        if server is None:
            raise httpx.ConnectError("no server is up")
        http.base_url = httpx.URL(server.url)

    def any_up(self) -> bool:
        with self._lock:
            return bool(self._up)

    def victims(self, rng: random.Random) -> list[int]:
        """One server at random, or now and then all of them at once."""
        if len(self.servers) > 1 and rng.random() < 0.2:
            return list(range(len(self.servers)))
        return [rng.randrange(len(self.servers))]

    def kill(self, victims: list[int]) -> None:
        with self._lock:
            self._up -= set(victims)
        for index in victims:
            self.servers[index].kill()

    def restart(self, victims: list[int]) -> None:
        """Start them again together and wait until each is ready."""
        began = time.monotonic()
        for index in victims:
            self.servers[index].launch()
        for index in victims:
            server = self.servers[index]
            wait_until(server.ready, timeout=120, what=f"{server.log.stem} to be ready again")
            with self._lock:
                self._up.add(index)
        self.restarting_s += time.monotonic() - began

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@dataclass
class Sent:
    """A visitor message: acknowledged once ``seq`` is known."""

    visitor: Visitor
    home: int
    client_id: str
    text: str
    seq: int | None = None
    tries: int = 0


class Load:
    """The clients' side: what was sent, what was acknowledged."""

    def __init__(
        self, rng: random.Random, cluster: Cluster, api: httpx.Client, member: httpx.Client
    ):
        self.rng = rng
        self.cluster = cluster
        self.api = api  # an API key's client, at home on the first server
        self.member = member  # Sam's browser, at home on the last server
        self.member_home = len(cluster.servers) - 1
        self.agent_id = ""
        self.visitors: list[Visitor] = []  # visitor i is at home on server i (mod count)
        self.sent: list[Sent] = []
        self.replies: list[tuple[str, str]] = []  # (conversation, text) acknowledged
        self.uploads: list[str] = []  # source ids acknowledged
        self.counter = 0

    def step(self) -> None:
        op = self.rng.choices(
            ["send", "takeover", "reply", "handback", "upload"], weights=[10, 2, 2, 2, 1]
        )[0]
        self.counter += 1
        home = self.rng.randrange(len(self.visitors))
        visitor = self.visitors[home]
        conversation = f"/api/v1/conversations/{visitor.id}"
        if op == "send":
            sent = Sent(visitor, home, uuid.uuid4().hex, f"Question {self.counter} about storage?")
            self.sent.append(sent)
            self.deliver(sent)
            return
        if op == "upload":
            self.cluster.point(self.api, 0)
            upload = self.api.post(
                f"/api/v1/agents/{self.agent_id}/sources/files",
                files={"file": (f"storage-{self.counter}.md", DOCUMENT.encode())},
            )
            if upload.status_code == 202:
                self.uploads += [source["id"] for source in upload.json()]
            return
        self.cluster.point(self.member, self.member_home)
        if op == "takeover":
            self.member.post(f"{conversation}/takeover")
        elif op == "reply":
            text = f"Reply {self.counter} from Sam."
            said = self.member.post(f"{conversation}/messages", json={"text": text})
            if said.status_code == 201:
                self.replies.append((visitor.id, text))
        else:
            self.member.post(f"{conversation}/handback")

    def deliver(self, sent: Sent) -> None:
        """Send (or resend) with the message's client id; keep the seq when acknowledged."""
        self.cluster.point(sent.visitor.http, sent.home)
        sent.tries += 1
        response = sent.visitor.send(sent.text, client_id=sent.client_id)
        if response.status_code in (200, 201):
            seq = response.json()["seq"]
            assert sent.seq in (None, seq), "a resend was stored under another seq"
            sent.seq = seq

    def run(self, enough: Callable[[], bool]) -> None:
        """Step until ``enough()``, or until no server is up. A request cut by a kill is
        resent, with its client id, to a server that is up."""
        cut = False
        while not enough():
            try:
                if cut:
                    self.resend_unacknowledged()
                    cut = False
                self.step()
            except httpx.TransportError:
                cut = True
                if not self.cluster.any_up():
                    return  # all killed: the restart picks up from here

    def resend_unacknowledged(self) -> None:
        for sent in self.sent:
            if sent.seq is None:
                self.deliver(sent)
                assert sent.seq is not None, f"{sent.text!r} was refused after the restart"


class InboxWatch:
    """Sam's inbox socket, open all along: when its server dies it reconnects to one that is
    up, with the last event id it saw, as the inbox page does. Records the events' ids."""

    def __init__(self, cluster: Cluster, member: httpx.Client, home: int):
        self.cluster = cluster
        self.member = member
        self.home = home
        self.start: int | None = None  # the stream's last id when it first connected
        self.ids: list[int] = []
        self.messages: dict[str, list[int]] = defaultdict(list)  # conversation: seqs seen
        self.problems: list[str] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def begin(self) -> InboxWatch:
        self._thread.start()
        wait_until(lambda: self.start is not None, timeout=30, what="the inbox socket")
        return self

    def end(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def last(self) -> int | None:
        return self.ids[-1] if self.ids else self.start

    def _watch(self) -> None:
        while not self._stop.is_set():
            server = self.cluster.server_for(self.home)
            if server is None:
                self._stop.wait(0.05)
                continue
            try:
                with member_socket(server, self.member, self.last()) as socket:
                    self.connections += 1
                    while not self._stop.is_set():
                        try:
                            frame = json.loads(socket.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        self._take(frame)
            except (OSError, WebSocketException):
                self._stop.wait(0.05)  # its server died (or is not up yet): reconnect

    def _take(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "ready":
            if self.start is None:
                self.start = frame["last_event_id"]
            elif frame["last_event_id"] != self.last():
                self.problems.append(f"resumed after {self.last()}, ready at {frame}")
        elif frame["type"] == "reset":
            self.problems.append(f"reset instead of a resume: {frame}")
        elif isinstance(frame.get("id"), int):
            self.ids.append(frame["id"])
            if frame["type"] == "message.created":
                message = frame["data"]["message"]
                self.messages[message["conversation_id"]].append(message["seq"])


def open_desk(
    cluster: Cluster, rng: random.Random, api_key: str, receiver: Receiver
) -> tuple[Load, InboxWatch]:
    """An agent with an FAQ, a message webhook, the visitors and Sam (an owner, already
    created) signed in, with his inbox socket open."""
    first = cluster.servers[0]
    api = httpx.Client(
        base_url=first.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    )
    agent = api.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
    faq = api.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": FAQ}).json()
    assert wait_for_source(api, faq["id"])["status"] == "ready"
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url(), "events": ["message.created"]})
    assert hook.status_code == 201, hook.text
    count = len(cluster.servers)
    member = sign_in(cluster.servers[-1], "sam@ridgeline.test")  # type: ignore[arg-type]
    inbox = InboxWatch(cluster, member, count - 1).begin()  # before the first message
    load = Load(rng, cluster, api, member)
    load.agent_id = agent["id"]
    load.visitors = [
        Visitor(cluster.servers[n % count], agent["public_key"])  # type: ignore[arg-type]
        for n in range(VISITORS)
    ]
    return load, inbox


def kill_again_and_again(load: Load, cluster: Cluster, rng: random.Random, kills: int) -> None:
    """``kills`` times: kill at a random moment under load, go on with the servers left up
    for a few steps, restart the killed while the load goes on, resend what was cut."""
    for _ in range(kills):
        _kill_once(load, cluster, rng)
    for _ in range(20):  # a last stretch with no kill
        load.step()


def _kill_once(load: Load, cluster: Cluster, rng: random.Random) -> None:
    victims = cluster.victims(rng)
    timer = threading.Timer(rng.uniform(0.2, 1.5), cluster.kill, args=(victims,))
    timer.start()
    load.run(_steps_once(lambda: not timer.is_alive(), rng.randint(0, 10)))
    timer.join()
    failures: list[BaseException] = []

    def restart() -> None:
        try:
            cluster.restart(victims)
        except BaseException as error:
            failures.append(error)

    restarting = threading.Thread(target=restart)
    restarting.start()
    load.run(_steps_once(lambda: True, rng.randint(0, 20), stop=restarting.is_alive))
    restarting.join()
    if failures:
        raise failures[0]
    load.resend_unacknowledged()


def _steps_once(
    begun: Callable[[], bool], steps: int, stop: Callable[[], bool] | None = None
) -> Callable[[], bool]:
    """Enough once ``begun()`` and then ``steps`` more steps (or when ``stop()`` is false)."""
    taken = 0

    def enough() -> bool:
        nonlocal taken
        if stop is not None and not stop():
            return True
        if not begun():
            return False
        taken += 1
        return taken > steps

    return enough


def _conversation(api: httpx.Client, visitor: Visitor) -> dict[str, Any]:
    detail: dict[str, Any] = api.get(f"/api/v1/conversations/{visitor.id}").json()
    return detail


def _owed(detail: dict[str, Any]) -> bool:
    """Whether the AI owns the conversation and has not answered its last message, the
    visitor's (one sent while a person owned it is followed by the hand-back's note)."""
    messages = detail["messages"]
    return bool(
        detail["conversation"]["status"] == "bot"
        and messages
        and messages[-1]["author"] == "visitor"
    )


def settle(load: Load) -> None:
    """Wait for the work the restarts left: ingestion, AI replies."""
    api = load.api
    for source_id in load.uploads:
        wait_for_source(api, source_id, timeout=120)

    def answered() -> bool:
        return not any(_owed(_conversation(api, visitor)) for visitor in load.visitors)

    wait_until(answered, timeout=120, what="the AI's replies to every message it owned")


def check(load: Load, receiver: Receiver, inbox: InboxWatch) -> None:
    api = load.api
    stored_ids: set[str] = set()
    details = {visitor.id: _conversation(api, visitor) for visitor in load.visitors}
    for visitor in load.visitors:
        detail = details[visitor.id]
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
        asked = answered = 0
        for message in messages:  # never more AI replies than questions, at any point
            asked += message["author"] == "visitor"
            answered += message["author"] == "ai"
            assert answered <= asked, f"{visitor.id}: an AI reply too many at {message['seq']}"
        assert not _owed(detail), f"{visitor.id}: the AI dropped the last message"
        conversation = detail["conversation"]
        assert conversation["status"] in STATUSES
        assert conversation["last_seq"] == seqs[-1]
        # The owner and the queue agree with the status.
        if conversation["status"] == "human":
            assert conversation["assignee_id"], "a person owns it, but nobody is assigned"
        if conversation["status"] == "bot":
            assert conversation["assignee_id"] is None, "the AI owns it, and a person too"
        waits = conversation["waiting_since"] is not None
        assert waits == (conversation["status"] == "waiting"), conversation

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
    _check_inbox(load, inbox, details)


def _check_inbox(load: Load, inbox: InboxWatch, details: dict[str, dict[str, Any]]) -> None:
    """The socket saw every event after the one it started from, once each, in order,
    whichever process wrote it and whichever it was connected to: so every message of the
    conversations (all begun after it opened), once each, in order."""
    server = load.cluster.server_for(0)
    assert server is not None
    with member_socket(server, load.member) as socket:  # type: ignore[arg-type]
        latest = next_frame(socket, "ready")["last_event_id"]
    wait_until(
        lambda: (inbox.last() or 0) >= latest, timeout=60, what=f"the inbox to reach {latest}"
    )
    inbox.end()
    assert not inbox.problems, inbox.problems
    assert inbox.start is not None
    expected = list(range(inbox.start + 1, inbox.start + 1 + len(inbox.ids)))
    assert inbox.ids == expected, _first_difference(inbox.ids, expected)
    assert inbox.ids[-1] >= latest
    for conversation_id, detail in details.items():
        stored = [m["seq"] for m in detail["messages"]]
        seen = inbox.messages[conversation_id]
        assert seen == stored, f"{conversation_id}: the inbox saw {seen}, stored: {stored}"


def _first_difference(seen: list[int], expected: list[int]) -> str:
    for n, (got, wanted) in enumerate(zip(seen, expected, strict=False)):
        if got != wanted:
            return f"event {n} of the socket: id {got}, expected {wanted}: {seen[n - 3 : n + 4]}"
    return f"{len(seen)} events seen, {len(expected)} expected"


def summary(
    load: Load, inbox: InboxWatch, receiver: Receiver, kills: int, phases: dict[str, float]
) -> str:
    """The figures of a run: kills, messages acknowledged (and resent), the inbox's resumes."""
    acknowledged = sum(1 for s in load.sent if s.seq is not None)
    resent = sum(1 for s in load.sent if s.tries > 1)
    return (
        f"{kills} kills survived in {sum(phases.values()):.0f} s ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items())
        + f"; restarts {load.cluster.restarting_s:.0f} s of the kills): {acknowledged} visitor "
        f"messages acknowledged ({resent} resent after a cut), {len(load.replies)} member "
        f"replies, {len(load.uploads)} uploads, {len(inbox.ids)} inbox events over "
        f"{inbox.connections} socket connections, {len(receiver.requests)} webhooks received "
        f"({receiver.cut} more cut off by a kill); none lost or doubled"
    )

"""Work done under SQLite's write lock per conversation step, through the real HTTP API.

    python bench/writes.py [--n 30] [--json FILE] [--compare REF]

The product runs in this process as the tests start it (create_app under uvicorn in a thread,
on a loopback port and a fresh data dir), so listeners on its own engine see every statement.
A write transaction starts with ``BEGIN IMMEDIATE`` and ends when its COMMIT (or ROLLBACK)
returns. Reported per step, as the mean over N steps:

- statements: SQL statements run inside write transactions (not BEGIN/COMMIT themselves);
- write txns: write transactions;
- lock ms: time from BEGIN IMMEDIATE until COMMIT returned, summed over them (wall time:
  it grows with the machine's load);
- loop CPU ms: CPU time of the server's event loop thread meanwhile, the product's Python
  work under the lock (SQLite runs in the driver's thread); steadier than wall time;
- events, event bytes: rows added to ``events`` and the size of their JSON, read afterwards
  outside any write transaction.

Steps, each on N fresh conversations (made beforehand, not counted):

- human: a visitor message in a conversation a member took over (no AI answer);
- answered: a visitor message the AI answers from an uploaded Markdown FAQ;
- handoff: "I want to talk to a human"; the AI hands off to a team that auto-assigns its one
  member, who is online (signed in, inbox socket open, presence set online).

A step is sent once the previous one is done: its visible result arrived (the POST's answer;
the AI's message on the widget socket) and no write transaction ran for a moment after it, so
the writes that follow a message (the responder's) count for it.

``--compare REF`` runs this script again with the product at git revision REF (a temporary
worktree, bench/_compare.py) and prints both with the ratio this tree / REF.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Engine
from websockets.sync.client import ClientConnection, connect

from _compare import run_at

EMAIL = "owner@bench.example"
PASSWORD = "bench password 1"
HUMAN_REQUEST = "I want to talk to a human"
FAQ = """# Frequently asked questions

## How long does delivery take?
Orders ship within two working days and arrive three to five days later.

## Can I return a bike?
Bikes can be returned within 30 days in their original condition for a full refund.

## When is the shop open?
The shop is open Monday to Saturday from 9:00 to 18:00.

## Do you repair bikes bought elsewhere?
Yes, the workshop services every brand; a standard service costs 79 euros.
"""
QUESTIONS = [
    "How long does delivery take?",
    "Can I return a bike?",
    "When is the shop open?",
    "Do you repair bikes bought elsewhere?",
]
STEPS = ("human", "answered", "handoff")
MEASURES = [
    ("statements", "statements", "{:.1f}"),
    ("write_txns", "write txns", "{:.2f}"),
    ("lock_ms", "lock ms", "{:.2f}"),
    ("lock_cpu_ms", "loop CPU ms", "{:.2f}"),
    ("events", "events", "{:.2f}"),
    ("event_bytes", "event bytes", "{:.0f}"),
]


# --------------------------------------------------------------------------- the write lock


@dataclass
class Tally:
    statements: int = 0
    write_txns: int = 0
    rollbacks: int = 0
    lock_s: float = 0.0
    lock_cpu_s: float = 0.0
    # INSERT/UPDATE/DELETE outside BEGIN IMMEDIATE: should stay 0.
    stray_writes: int = 0


@dataclass
class Open:
    """A write transaction from its BEGIN IMMEDIATE until its COMMIT or ROLLBACK returns."""

    wall: float
    cpu: float  # of the thread that began it, the event loop's
    thread: int
    statements: int = 0
    ended: bool = False


class WriteLock:
    """Listens on the product's engine: its write transactions, their statements and time.

    Besides wall time, the CPU time of the event loop's thread while the lock is held: the
    product's Python work then (SQLite itself runs in the driver's thread, not counted),
    which varies much less with the machine's load than wall time does.
    """

    def __init__(self, engine: Engine):
        self._guard = threading.Lock()
        self._open: dict[int, Open] = {}  # by DBAPI connection
        self.tally = Tally()
        self.last_activity = time.perf_counter()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", lambda conn: self._end(conn, rollback=False))
        event.listen(engine, "rollback", lambda conn: self._end(conn, rollback=True))
        # The commit/rollback events fire before the driver's call: the lock is held until
        # that call returns, so the dialect's calls are timed too.
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback"):
            setattr(dialect, name, self._timed(getattr(dialect, name)))

    @staticmethod
    def _key(proxied: Any) -> int:
        return id(getattr(proxied, "dbapi_connection", proxied))

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        key = self._key(conn.connection)
        with self._guard:
            txn = self._open.get(key)
            if statement.startswith("BEGIN IMMEDIATE"):
                self._open[key] = Open(
                    time.perf_counter(), time.thread_time(), threading.get_ident()
                )
                self.last_activity = time.perf_counter()
            elif txn is not None and not txn.ended:
                txn.statements += 1
            elif statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                self.tally.stray_writes += 1

    def _end(self, conn: Any, rollback: bool) -> None:
        with self._guard:
            txn = self._open.get(self._key(conn.connection))
            if txn is None or txn.ended:
                return
            txn.ended = True
            self.tally.statements += txn.statements
            self.tally.write_txns += 1
            self.tally.rollbacks += rollback

    def _timed(self, call: Callable[[Any], None]) -> Callable[[Any], None]:
        def timed(proxied: Any) -> None:
            try:
                call(proxied)
            finally:
                wall, cpu = time.perf_counter(), time.thread_time()
                with self._guard:
                    txn = self._open.pop(self._key(proxied), None)
                    if txn is not None:
                        self.tally.lock_s += wall - txn.wall
                        if txn.thread == threading.get_ident():
                            self.tally.lock_cpu_s += cpu - txn.cpu
                        self.last_activity = wall

        return timed

    def reset(self) -> None:
        with self._guard:
            self.tally = Tally()

    def take(self) -> Tally:
        with self._guard:
            return Tally(**asdict(self.tally))

    def settle(self, quiet: float, timeout: float = 60.0) -> None:
        """Wait until no write transaction is open and none has run for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._guard:
                busy = bool(self._open)
                idle = time.perf_counter() - self.last_activity
            if not busy and idle >= quiet:
                return
            time.sleep(0.005)
        raise RuntimeError(f"writes did not settle in {timeout} s")


class EventLog:
    """Reads the ``events`` table with a connection of its own (never in a write transaction)."""

    def __init__(self, path: str):
        self.path = path
        self.mark = self._latest()

    def _latest(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            yield db
        finally:
            db.close()

    def since_mark(self) -> tuple[Counter[str], int]:
        """Events written since the last mark (by type) and their JSON bytes; moves the mark."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, type, length(CAST(data AS BLOB)) FROM events WHERE id > ?",
                (self.mark,),
            ).fetchall()
        if rows:
            self.mark = max(r[0] for r in rows)
        return Counter(r[1] for r in rows), sum(r[2] or 0 for r in rows)


# --------------------------------------------------------------------------- the product


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app under uvicorn in a thread on a loopback port (as tests/support.py does)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def create_owner(data_dir: Path) -> None:
    """The workspace's owner, made with the product's own CLI."""
    from frontdesk.cli import cli

    args = ["--data-dir", str(data_dir), "users", "create", "--email", EMAIL]
    args += ["--password", PASSWORD, "--role", "owner", "--name", "Bench Owner"]
    result = CliRunner().invoke(cli, args, obj={})
    if result.exit_code != 0:
        raise RuntimeError(f"frontdesk users create failed: {result.output}")


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response.json() if response.content else None


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


@dataclass
class Conversation:
    id: str
    token: str


@dataclass
class Desk:
    """The product's HTTP API as the bench uses it: one signed-in owner, visitors."""

    url: str
    member: httpx.Client = field(init=False)
    visitor: httpx.Client = field(init=False)
    member_id: str = ""
    public_key: str = ""
    team_id: str = ""
    inbox: ClientConnection | None = None

    def __post_init__(self) -> None:
        self.member = httpx.Client(base_url=self.url, timeout=60)
        self.visitor = httpx.Client(base_url=self.url, timeout=60)

    def close(self) -> None:
        if self.inbox is not None:
            self.inbox.close()
        self.member.close()
        self.visitor.close()

    def sign_in(self) -> None:
        body = ok(
            self.member.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        )
        self.member.headers["X-CSRF-Token"] = body["csrf_token"]
        self.member_id = body["member"]["id"]

    def agent_with_faq(self) -> None:
        agent = ok(self.member.post("/api/v1/agents", json={"name": "Bench"}))
        self.public_key = agent["public_key"]
        files = {"file": ("faq.md", FAQ.encode(), "text/markdown")}
        [source] = ok(self.member.post(f"/api/v1/agents/{agent['id']}/sources/files", files=files))

        def settled() -> dict[str, Any] | None:
            body: dict[str, Any] = ok(self.member.get(f"/api/v1/sources/{source['id']}"))
            return body if body["status"] in ("ready", "failed") else None

        if wait_for(settled, "the FAQ's ingestion")["status"] != "ready":
            raise RuntimeError("the FAQ failed to ingest")

    def online_team(self) -> str:
        """A team that auto-assigns the owner, who goes online; how handoffs are routed."""
        cookies = self.member.cookies
        self.inbox = connect(
            self.url.replace("http://", "ws://") + "/api/v1/inbox/ws",
            additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
        )
        # Read every frame as it comes: a socket left unread would hold the server's sends.
        inbox = self.inbox
        threading.Thread(target=lambda: [None for _ in inbox], daemon=True).start()
        ok(self.member.put("/api/v1/me/presence", json={"status": "online"}))
        team = ok(
            self.member.post(
                "/api/v1/teams",
                json={
                    "name": "Support",
                    "members": [self.member_id],
                    "auto_assign": True,
                    "max_open": 500,
                },
            )
        )
        self.team_id = team["id"]

        def online() -> bool:
            teams = ok(self.member.get("/api/v1/teams"))["teams"]
            return any(t["id"] == self.team_id and t["online"] == 1 for t in teams)

        try:
            wait_for(online, "the owner online", timeout=10)
        except RuntimeError:
            return "plain handoff (the owner could not be made online)"
        return "auto-assigned to the team's one online member"

    def start(self) -> Conversation:
        body = ok(self.visitor.post(f"/api/v1/widget/{self.public_key}/conversations", json={}))
        return Conversation(body["id"], body["visitor_token"])

    def send(self, conversation: Conversation, text: str) -> dict[str, Any]:
        body: dict[str, Any] = ok(
            self.visitor.post(
                f"/api/v1/widget/conversations/{conversation.id}/messages",
                json={"text": text},
                headers={"X-Visitor-Token": conversation.token},
            )
        )
        return body

    def conversation(self, conversation: Conversation) -> dict[str, Any]:
        body: dict[str, Any] = ok(self.member.get(f"/api/v1/conversations/{conversation.id}"))
        return dict(body["conversation"])

    def ask(self, conversation: Conversation, text: str) -> dict[str, Any]:
        """Send as the visitor; the AI's reply as the widget socket shows it."""
        url = self.url.replace("http://", "ws://") + "/api/v1/widget/ws"
        with connect(url, open_timeout=30) as ws:
            ws.send(json.dumps({"type": "hello", "token": conversation.token, "after": 0}))
            while json.loads(ws.recv(timeout=30))["type"] != "status":
                pass
            seq = self.send(conversation, text)["seq"]
            while True:
                frame = json.loads(ws.recv(timeout=60))
                message = frame.get("message") or {}
                if (
                    frame["type"] == "message"
                    and message["author"] == "ai"
                    and message["seq"] > seq
                ):
                    return dict(message)


# --------------------------------------------------------------------------- the steps


@dataclass
class Step:
    name: str
    prepare: Callable[[], Conversation]
    run: Callable[[Conversation], object]
    outcome: Callable[[list[Conversation]], str]


def steps(desk: Desk) -> list[Step]:
    def taken_over() -> Conversation:
        conversation = desk.start()
        ok(desk.member.post(f"/api/v1/conversations/{conversation.id}/takeover"))
        return conversation

    def for_team() -> Conversation:
        conversation = desk.start()
        ok(
            desk.member.post(
                f"/api/v1/conversations/{conversation.id}/team", json={"team_id": desk.team_id}
            )
        )
        return conversation

    asked = itertools.count()

    def statuses(conversations: list[Conversation]) -> str:
        views = [desk.conversation(c) for c in conversations]
        status = Counter(v["status"] for v in views)
        mine = sum(1 for v in views if v["assignee_id"] == desk.member_id)
        return ", ".join(f"{s} {n}" for s, n in sorted(status.items())) + f"; assigned {mine}"

    return [
        Step(
            "human",
            taken_over,
            lambda c: desk.send(c, "Is anyone there?"),
            statuses,
        ),
        Step(
            "answered",
            desk.start,
            lambda c: desk.ask(c, QUESTIONS[next(asked) % len(QUESTIONS)]),
            statuses,
        ),
        Step("handoff", for_team, lambda c: desk.ask(c, HUMAN_REQUEST), statuses),
    ]


def measure(step: Step, n: int, lock: WriteLock, log: EventLog) -> dict[str, Any]:
    conversations = [step.prepare() for _ in range(n)]
    lock.settle(quiet=0.5)
    log.since_mark()
    lock.reset()
    elapsed = 0.0
    for conversation in conversations:
        started = time.perf_counter()
        step.run(conversation)
        elapsed += time.perf_counter() - started
        lock.settle(quiet=0.05)
    lock.settle(quiet=0.5)
    tally = lock.take()
    types, size = log.since_mark()
    return {
        "statements": tally.statements / n,
        "write_txns": tally.write_txns / n,
        "lock_ms": tally.lock_s * 1000 / n,
        "lock_cpu_ms": tally.lock_cpu_s * 1000 / n,
        "events": sum(types.values()) / n,
        "event_bytes": size / n,
        "events_by_type": {t: c / n for t, c in sorted(types.items())},
        "rollbacks": tally.rollbacks,
        "stray_writes": tally.stray_writes,
        "step_ms": elapsed * 1000 / n,
        "outcome": step.outcome(conversations),
    }


def run(n: int) -> dict[str, Any]:
    import frontdesk
    from frontdesk.app import create_app
    from frontdesk.runtime import Runtime
    from frontdesk.settings import Settings

    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="frontdesk-writes-") as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            visitor_messages_per_minute=1_000_000,
            conversations_per_minute=1_000_000,
        )
        create_owner(settings.data_dir)
        runtime = Runtime(settings)
        lock = WriteLock(runtime.db.engine.sync_engine)
        with serving(create_app(settings, runtime)) as url:
            desk = Desk(url)
            try:
                desk.sign_in()
                desk.agent_with_faq()
                handoff_mode = desk.online_team()
                log = EventLog(str(runtime.db.engine.url.database))
                plan = steps(desk)
                # Warm up (models load on first use), not counted.
                for step in plan:
                    step.run(step.prepare())
                rows = {}
                for step in plan:
                    rows[step.name] = measure(step, n, lock, log)
                    print(f"  {step.name}: {rows[step.name]['outcome']}", file=sys.stderr)
            finally:
                desk.close()
    load.append(os.getloadavg()[0])
    where = Path(frontdesk.__file__).parent
    return {
        "n": n,
        "frontdesk": str(where),
        "revision": revision(where),
        "handoff": handoff_mode,
        "load_average": load,
        "steps": rows,
    }


def revision(where: Path) -> str:
    """The git revision the product was imported from (+changes when src/ differs from it)."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True)
        return out.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    return head + ("+changes" if git("status", "--porcelain", "--", ".") else "")


# --------------------------------------------------------------------------- output


def ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}" if theirs else "-"


def table(report: dict[str, Any], ref: dict[str, Any] | None, ref_name: str) -> None:
    print(f"\nper step, mean of {report['n']}; handoff: {report['handoff']}")
    print(
        "lock ms is wall time (it grows with the machine's load); loop CPU ms is the CPU "
        "time of the server's event loop thread meanwhile (the product's Python work)"
    )
    head = f"{'step':<10}{'measure':<14}{report['revision']:>16}"
    if ref is not None:
        head += f"{ref_name:>16}{'ratio':>8}"
    print(head)
    for name in STEPS:
        mine = report["steps"][name]
        for i, (key, label, fmt) in enumerate(MEASURES):
            line = f"{name if i == 0 else '':<10}{label:<14}{fmt.format(mine[key]):>16}"
            if ref is not None:
                theirs = ref["steps"][name][key]
                line += f"{fmt.format(theirs):>16}{ratio(mine[key], theirs):>8}"
            print(line)
    for label, rep in (("this tree", report), (f"--compare {ref_name}", ref)):
        if rep is None:
            continue
        start, end = rep["load_average"]
        print(
            f"\n{label}: revision {rep['revision']} ({rep['frontdesk']}); "
            f"load average {start:.1f} -> {end:.1f} on {os.cpu_count()} cores"
        )
        for name in STEPS:
            row = rep["steps"][name]
            events = ", ".join(f"{t} {c:.2f}" for t, c in row["events_by_type"].items())
            print(f"  {name}: {row['outcome']}; step {row['step_ms']:.0f} ms; events: {events}")
            if row["stray_writes"] or row["rollbacks"]:
                print(
                    f"    writes outside BEGIN IMMEDIATE: {row['stray_writes']}, "
                    f"rollbacks: {row['rollbacks']}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=30, help="steps of each kind")
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    parser.add_argument(
        "--compare", metavar="REF", help="also run the product at this git revision"
    )
    args = parser.parse_args()
    report = run(args.n)
    ref = None
    if args.compare:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ref.json"
            run_at(args.compare, [sys.executable, __file__, "--n", str(args.n), "--json", str(out)])
            ref = json.loads(out.read_text())
        report = {**report, "compare": {"ref": args.compare, **ref}}
    table(report, ref, args.compare or "")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

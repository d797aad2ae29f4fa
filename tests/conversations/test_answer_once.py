"""One reply per visitor message, however many processes try: two server processes (or a
restart's recovery beside the original reply) that both answer the same message post once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app_fixtures import Started
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.repository import messages_after
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime

FAQ = b'[{"question": "Do you offer financing?", "answer": "Yes, through Summit Credit Union."}]'


async def test_two_processes_answering_one_message_post_one_reply(
    started: Started, embedder: OnnxMiniLM, tmp_path: Path
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    faq = tmp_path / "faq.json"
    faq.write_bytes(FAQ)
    await started.ingest_file(agent, faq)
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        asked = await post_visitor_message(
            session, conversation, "Do you offer financing?", None, 4000
        )

    other = Runtime(runtime.settings, embedder=embedder)  # another process, same database
    try:
        seq = asked.message.seq
        await asyncio.gather(
            runtime.responder.reply(conversation.id, seq),
            other.responder.reply(conversation.id, seq),
        )
        assert await other.responder.recover() == 0  # and a restart finds nothing to redo
    finally:
        await other.close()

    async with runtime.db.session() as session:
        messages = await messages_after(session, conversation.id)
    assert [m.author for m in messages] == ["visitor", "ai"]
    assert "Summit Credit Union" in messages[1].text

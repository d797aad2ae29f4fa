"""A visitor's send: the rate limit counts new messages only, and the work per send stays small."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.settings import Settings
from support import ServerThread, statements_sent

LIMIT = 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", visitor_messages_per_minute=LIMIT)


def _take_over(client: httpx.Client, visitor: Any) -> None:
    # A public team reply: the AI answers no more, so only the visitor's messages are stored.
    reply = client.post(
        f"/api/v1/conversations/{visitor.id}/messages", json={"text": "hello", "private": False}
    )
    assert reply.status_code == 201, reply.text


def test_over_the_limit_a_new_message_is_refused_and_a_retry_still_answered(
    visitors, client
) -> None:
    visitor = visitors()
    _take_over(client, visitor)
    sent = [visitor.send(f"message {i}", client_id=f"c-{i}") for i in range(LIMIT)]
    assert [r.status_code for r in sent] == [201] * LIMIT
    refused = visitor.send("one too many", client_id="c-new")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    retry = visitor.send("message 0", client_id="c-0")
    assert retry.status_code == 200 and retry.json()["id"] == sent[0].json()["id"]
    texts = [m["text"] for m in visitor.history()["messages"] if m["author"] == "visitor"]
    assert texts == [f"message {i}" for i in range(LIMIT)]  # the refused one left no trace


def test_a_send_reads_the_conversation_agent_and_messages_once_on_each_side_of_the_lock(
    visitors, client, server: ServerThread
) -> None:
    """Before the write lock the token opens conversation and agent in one query and the
    client id is looked up; inside it they are reloaded in one query and the client id looked
    up again (two racing retries); describing the conversation reuses what it has."""
    visitor = visitors()
    _take_over(client, visitor)
    engine = server.server.config.app.state.runtime.db.engine.sync_engine
    with statements_sent(engine) as statements:
        assert visitor.send("hello there", client_id="c-1").status_code == 201
    selects = [s for s in statements if s.startswith("SELECT")]
    joined = [s for s in selects if "FROM conversations JOIN agents" in s]
    assert len(joined) == 2, statements  # the token's check, the reload in the write
    assert not [s for s in selects if " FROM agents" in s], statements
    assert len([s for s in selects if " FROM messages" in s]) == 2, statements

"""Conversation search on each database (tests/databases.py runs this file on SQLite and on
PostgreSQL): the same rows are found, phone numbers by their digits, matches marked, and
nothing of another workspace; SQLite through FTS5, PostgreSQL through tsvector and GIN."""

from __future__ import annotations

from typing import Any

from app_fixtures import Started
from databases import DatabaseUnderTest
from frontdesk.accounts.service import create_workspace
from frontdesk.agents import service as agents
from frontdesk.agents.models import Agent
from frontdesk.conversations import lifecycle, search
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.thread import add_message

LEAD = {
    "action": "lead",
    "title": "Leave your details",
    "fields": [
        {"name": "name", "label": "Name", "type": "text", "value": "Dana Reyes"},
        {"name": "phone", "label": "Phone", "type": "phone", "value": "(218) 555-0142"},
        {"name": "email", "label": "Email", "type": "email", "value": "dana@example.test"},
    ],
}


async def _conversation(
    started: Started, agent: Agent, turns: list[tuple[str, str]], lead: Any = None
) -> str:
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        for author, text in turns:
            private = author == "note"
            await add_message(
                session, conversation, "member" if private else author, text, private=private
            )
    if lead is not None:  # set afterwards, as a submitted form does: the index follows
        async with started.runtime.changes() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            stored.lead = lead
    return conversation.id


async def _found(started: Started, query: str) -> list[tuple[str, list[search.Hit]]]:
    async with started.runtime.reads() as session:
        found, _ = await search.search(session, started.workspace_id, query)
    return [(f.conversation_id, f.hits) for f in found]


def _marked(hit: search.Hit) -> list[str]:
    return [hit.text[start:end] for start, end in hit.marks]


async def test_the_same_conversations_are_found_on_either_database(
    started: Started, database: DatabaseUnderTest
) -> None:
    agent = await started.agent("Ridgeline")
    sled = await _conversation(
        started,
        agent,
        [
            ("visitor", "Do you service snowmobiles? Call me at 218 555 0199"),
            ("ai", "The service department is open Tuesday to Friday."),
            ("member", "Sure, bring the sled in on Tuesday."),
            ("note", "Still owes us for the winch"),
        ],
    )
    dana = await _conversation(started, agent, [("visitor", "Price of a trade-in?")], LEAD)
    async with started.runtime.changes() as session:
        elsewhere = await create_workspace(session, "Elsewhere")
        theirs = await agents.create_agent(session, elsewhere.id, "Theirs")
    await _conversation(started, theirs, [("visitor", "My snowmobiles, 218 555 0199")], LEAD)

    [(found, [hit])] = await _found(started, "snowmobiles")
    assert found == sled and hit.author == "visitor" and _marked(hit) == ["snowmobiles"]
    [(found, [hit])] = await _found(started, "snowmob")  # the start of a word will do
    # SQLite marks what was typed; PostgreSQL's ts_headline the whole word it matched.
    expected = ["snowmobiles"] if database.backend == "postgres" else ["snowmob"]
    assert found == sled and _marked(hit) == expected
    [(found, [hit])] = await _found(started, "555 0199")
    assert found == sled and _marked(hit) == ["555", "0199"]
    [(found, [hit])] = await _found(started, "WINCH")
    assert found == sled and hit.private and _marked(hit) == ["winch"]
    [(found, [hit])] = await _found(started, "sled tuesday")
    assert hit.author == "member" and _marked(hit) == ["sled", "Tuesday"]
    # The AI's words are the knowledge's, not the conversation's: not searched.
    assert await _found(started, "department") == []

    # The lead card: a phone number by its digits or as written, a name, an email.
    for query in ("2185550142", "555-0142", "(218) 555-0142", "Reyes", "dana@example.test"):
        [(found, hits)] = await _found(started, query)
        assert found == dana, query
        assert hits and hits[0].kind == "lead", query
    [(_, hits)] = await _found(started, "2185550142")
    assert [(h.label, _marked(h)) for h in hits] == [("Phone", ["218) 555-0142"])]
    [(found, [hit])] = await _found(started, "trade-in")
    assert found == dana and _marked(hit) == ["trade-in"]

    # Whatever the query holds, it is words to look for, never syntax.
    for query in ('"grizzly" OR NEAR(', "it's a \\ back'slash", "<img src=x> & | ! :*"):
        assert await _found(started, query) == []


async def test_related_conversations_by_the_leads_phone_on_either_database(
    started: Started, database: DatabaseUnderTest
) -> None:
    agent = await started.agent("Ridgeline")
    first = await _conversation(started, agent, [("visitor", "Hello")], LEAD)
    again = await _conversation(started, agent, [("visitor", "Me again")], LEAD)
    stranger = {**LEAD, "fields": [{**LEAD["fields"][1], "value": "218 555 0143"}]}
    await _conversation(started, agent, [("visitor", "Hi")], stranger)
    async with started.runtime.reads() as session:
        conversation = await session.get(Conversation, again)
        assert conversation is not None
        related = await search.same_visitor(session, conversation)
    assert [c.id for c in related] == [first]

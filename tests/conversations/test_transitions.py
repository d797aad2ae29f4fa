"""One owner for every conversation change: lifecycle.move, and one description per commit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from app_fixtures import Started
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.service import create_member
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.models import Conversation, Status
from frontdesk.conversations.repository import get_conversation
from frontdesk.conversations.tagging import add_member_tag
from frontdesk.errors import Conflict
from frontdesk.events.types import Event
from frontdesk.teams.schemas import TeamIn
from frontdesk.teams.service import create_team


def _drain(subscription: Any) -> list[Event]:
    events = []
    while not subscription._queue.empty():
        event = subscription._queue.get_nowait()
        if event is not None:
            events.append(event)
    return events


async def _people(started: Started) -> tuple[Caller, Caller]:
    async with started.runtime.db.transaction() as session:
        ann = await create_member(
            session, started.workspace_id, "ann@x.test", "long password 1", name="Ann"
        )
        bob = await create_member(
            session, started.workspace_id, "bob@x.test", "long password 2", name="Bob"
        )
    return (
        Caller(started.workspace_id, "agent", "session", ann.id, "Ann"),
        Caller(started.workspace_id, "agent", "session", bob.id, "Bob"),
    )


async def test_a_transaction_describes_each_conversation_once(started: Started) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started)
    with runtime.broker.subscribe(started.workspace_id) as subscription:
        # Started, written to and handed off in one transaction: created, never "updated".
        async with runtime.changes() as session:
            conversation = (await lifecycle.start_conversation(session, agent)).conversation
            await post_visitor_message(session, conversation, "I need a person", None, 4000)
            await lifecycle.hand_off(session, conversation, "button", "The visitor asked.")
        events = _drain(subscription)
        assert [e.type for e in events] == [
            "conversation.created",
            "message.created",  # the visitor's
            "message.created",  # "Handed off: the visitor asked"
        ]
        assert {e.data["conversation"]["status"] for e in events} == {"waiting"}

        # Taken, reassigned, tagged and prioritised: one update with every change, placed
        # where the first change happened (after the first note), and one snapshot.
        async with runtime.changes() as session:
            current = await get_conversation(session, started.workspace_id, conversation.id)
            await lifecycle.take_over(session, ann, current)
            assert bob.member_id is not None
            await lifecycle.assign(session, ann, current, bob.member_id)
            await add_member_tag(session, ann, current, "financing")
            await lifecycle.set_priority(session, current, "high")
        events = _drain(subscription)
        kinds = [(e.type, e.data.get("message", {}).get("text")) for e in events]
        assert kinds == [
            ("message.created", "Ann took over"),
            ("conversation.updated", None),
            ("message.created", "Ann assigned Bob"),
            ("message.created", "Ann added tag financing"),
        ]
        updated = events[1]
        assert updated.data["changes"] == ["status", "assignee", "tags", "priority"]
        snapshots = {repr(sorted(e.data["conversation"].items())) for e in events}
        assert len(snapshots) == 1
        view = updated.data["conversation"]
        assert (view["status"], view["assignee_id"], view["priority"]) == (
            "human",
            bob.member_id,
            "high",
        )
        assert view["tags"] == ["financing"]


async def test_a_closed_conversation_moves_only_by_being_reopened(started: Started) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started)
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await lifecycle.take_over(session, ann, conversation)
        await lifecycle.close(session, ann, conversation)
    async with runtime.changes() as session:
        closed = await get_conversation(session, started.workspace_id, conversation.id)
        for change in (
            lambda: lifecycle.take_over(session, bob, closed),
            lambda: lifecycle.assign(session, ann, closed, bob.member_id),
            lambda: lifecycle.hand_back(session, ann, closed),
            lambda: lifecycle.move(session, closed, Status.BOT, note=None),
            lambda: lifecycle.close(session, ann, closed),
        ):
            with pytest.raises(Conflict):
                await change()
        await lifecycle.reopen(session, bob, closed)
        # It goes back to the person who had it.
        assert (closed.status, closed.assignee_id) == (Status.HUMAN, ann.member_id)


async def test_status_is_stored_as_its_name_and_nothing_else_is_accepted(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await lifecycle.hand_off(session, conversation, "button", "Asked.")
    async with runtime.db.session() as session:
        stored = await session.scalar(
            text("SELECT status FROM conversations WHERE id = :id"), {"id": conversation.id}
        )
        loaded = await session.get(Conversation, conversation.id)
    assert stored == "waiting"
    assert loaded is not None and loaded.status is Status.WAITING

    with pytest.raises(Exception, match="not among the defined enum values"):
        async with runtime.changes() as session:
            wrong = await get_conversation(session, started.workspace_id, conversation.id)
            wrong.status = "asleep"  # type: ignore[assignment]


async def test_moving_team_keeps_a_handoff_that_waits_for_a_form(started: Started) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, _ = await _people(started)
    held = {"trigger": "keyword", "reason": "Financing."}
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        conversation.pending_form = {"action": "lead", "seq": 1, "handoff": held}
    async with runtime.changes() as session:
        current = await get_conversation(session, started.workspace_id, conversation.id)
        team = await create_team(session, started.workspace_id, TeamIn(name="Finance"))
        await lifecycle.move_to_team(session, ann, current, team)
        # Only the team changed: the AI still has it, and the form still holds the handoff.
        assert current.status == Status.BOT and current.team_id == team.id
        assert current.pending_form is not None and current.pending_form["handoff"] == held


async def test_removing_a_member_frees_a_waiting_conversation_still_assigned_to_them(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, _ = await _people(started)
    owner = Caller(started.workspace_id, "owner", "local", None, "Owner")
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await lifecycle.take_over(session, ann, conversation)
        await lifecycle.close(session, ann, conversation)
        # The visitor asks for a person again: it waits, still showing Ann as its assignee.
        await lifecycle.hand_off(session, conversation, "button", "Asked again.")
        assert (conversation.status, conversation.assignee_id) == (Status.WAITING, ann.member_id)
    with runtime.broker.subscribe(started.workspace_id) as subscription:
        async with runtime.changes() as session:
            assert ann.member_id is not None
            await lifecycle.remove_member(session, owner, ann.member_id)
        events = _drain(subscription)
    updated = [e for e in events if e.type == "conversation.updated"]
    assert len(updated) == 1 and updated[0].conversation_id == conversation.id
    view = updated[0].data["conversation"]
    assert (view["status"], view["assignee_id"]) == ("waiting", None)
    notes = [e.data["message"]["text"] for e in events if e.type == "message.created"]
    assert notes == ["Owner removed Ann from the workspace"]

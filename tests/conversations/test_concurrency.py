"""Two transactions at once on PostgreSQL, where nothing serialises writers: the one that
decides second decides on what the first committed (db/locks.py).

Each test holds one transaction open after its change, starts the competing work, waits until
that work waits for the open transaction's locks (or is done), then commits.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app_fixtures import Started, running_http_run
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.models import Member
from frontdesk.accounts.service import create_member
from frontdesk.actions.models import ActionRun
from frontdesk.agents.models import Agent
from frontdesk.conversations import actions, lifecycle, tagging, team_changes
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.repository import get_conversation, messages_after
from frontdesk.db.base import set_clock, utcnow
from frontdesk.errors import Conflict, NotFound
from frontdesk.runtime import Runtime
from frontdesk.teams.models import Team
from frontdesk.teams.schemas import TeamIn
from frontdesk.teams.service import create_team
from receiver import Receiver, Reply
from row_locks import wait_behind

pytestmark = pytest.mark.postgres

FAQ = b'[{"question": "Do you offer financing?", "answer": "Yes, through Summit Credit Union."}]'


async def _people(started: Started, *names: str) -> list[Caller]:
    callers = []
    async with started.runtime.db.transaction() as session:
        for name in names:
            member = await create_member(
                session,
                started.workspace_id,
                f"{name.lower()}@x.test",
                "long password 1",
                name=name,
            )
            callers.append(Caller(started.workspace_id, "agent", "session", member.id, name))
    return callers


async def _online(runtime: Runtime, *people: Caller) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Member)
            .where(Member.id.in_([p.member_id for p in people]))
            .values(presence="online")
        )


async def _finance(runtime: Runtime, workspace_id: str, *members: Caller) -> Team:
    """An auto-assigning team with room for two conversations each."""
    async with runtime.db.transaction() as session:
        ids = [m.member_id for m in members if m.member_id]
        body = TeamIn(name="Finance", members=ids, auto_assign=True, max_open=2)
        return await create_team(session, workspace_id, body)


async def _conversation(runtime: Runtime, agent: Agent, team: Team | None = None) -> str:
    """A conversation with one visitor message, routed to ``team`` when handed off."""
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        conversation.team_id = team.id if team else None
        await post_visitor_message(session, conversation, "I need a loan", None, 4000)
        return conversation.id


async def _state(runtime: Runtime, conversation_id: str) -> tuple[str, str | None, list[str]]:
    """Status, assignee and the system notes (by event) of a conversation."""
    async with runtime.db.session() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        notes = await session.scalars(
            select(Message.event)
            .where(Message.conversation_id == conversation_id, Message.author == "system")
            .order_by(Message.seq)
        )
        return conversation.status, conversation.assignee_id, [str(n) for n in notes]


async def test_the_ai_never_posts_after_a_person_took_over(
    started: Started, tmp_path: Path
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    faq = tmp_path / "faq.json"
    faq.write_bytes(FAQ)
    await started.ingest_file(agent, faq)
    [ann] = await _people(started, "Ann")
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        asked = await post_visitor_message(
            session, conversation, "Do you offer financing?", None, 4000
        )

    # Ann takes over; before that commits, the AI has its answer ready and comes to post it.
    async with runtime.changes() as session:
        current = await get_conversation(session, started.workspace_id, conversation.id)
        await lifecycle.take_over(session, ann, current)
        replying = asyncio.create_task(runtime.responder.reply(conversation.id, asked.message.seq))
        await wait_behind(runtime.db, session, replying)
    await replying

    async with runtime.db.session() as session:
        messages = await messages_after(session, conversation.id)
    assert [(m.author, m.event) for m in messages] == [("visitor", None), ("system", "takeover")]


async def test_a_handoff_assigning_round_robin_does_not_take_a_conversation_a_person_took(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started, "Ann", "Bob")
    finance = await _finance(runtime, started.workspace_id, bob)
    await _online(runtime, bob)
    conversation_id = await _conversation(runtime, agent, finance)

    # Ann takes over while the visitor asks for a person (which would go to Bob).
    async with runtime.changes() as session:
        current = await get_conversation(session, started.workspace_id, conversation_id)
        await lifecycle.take_over(session, ann, current)
        handing_off = asyncio.create_task(_hand_off(runtime, conversation_id))
        await wait_behind(runtime.db, session, handing_off)
    assert await handing_off is False

    assert await _state(runtime, conversation_id) == ("human", ann.member_id, ["takeover"])


async def _hand_off(runtime: Runtime, conversation_id: str) -> bool:
    async with runtime.changes() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return await lifecycle.hand_off(session, conversation, "button", "The visitor asked.")


async def _handed_off(session: AsyncSession, conversation_id: str) -> Conversation:
    """The conversation, handed off in ``session``'s transaction."""
    conversation = await session.get(Conversation, conversation_id)
    assert conversation is not None
    assert await lifecycle.hand_off(session, conversation, "button", "The visitor asked.")
    return conversation


async def test_a_member_coming_online_does_not_take_a_conversation_a_person_took(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started, "Ann", "Bob")
    await _finance(runtime, started.workspace_id, bob)
    conversation_id = await _conversation(runtime, agent)
    async with runtime.changes() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        await lifecycle.move_to_team(session, ann, conversation, await _team(session))
        await lifecycle.hand_off(session, conversation, "button", "The visitor asked.")
    assert (await _state(runtime, conversation_id))[:2] == ("waiting", None)  # Bob is offline

    # Ann takes the waiting conversation while Bob comes online, which fills Finance's queue.
    async with runtime.changes() as session:
        current = await get_conversation(session, started.workspace_id, conversation_id)
        await lifecycle.take_over(session, ann, current)
        filling = asyncio.create_task(_come_online(runtime, bob))
        await wait_behind(runtime.db, session, filling)
    await filling

    status, assignee, notes = await _state(runtime, conversation_id)
    assert (status, assignee, notes[-1]) == ("human", ann.member_id, "takeover")
    assert "assigned" not in notes


async def _team(session: object) -> Team:
    team = await session.scalar(select(Team))  # type: ignore[attr-defined]
    assert isinstance(team, Team)
    return team


async def _come_online(runtime: Runtime, member: Caller) -> None:
    """What presence does when a member's first inbox opens."""
    assert member.member_id is not None
    async with runtime.changes() as session:
        await session.execute(
            update(Member).where(Member.id == member.member_id).values(presence="online")
        )
        await lifecycle.fill_teams_of(session, member.workspace_id, member.member_id)


async def test_two_handoffs_at_once_are_assigned_round_robin(started: Started) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started, "Ann", "Bob")
    finance = await _finance(runtime, started.workspace_id, ann, bob)
    await _online(runtime, ann, bob)
    first = await _conversation(runtime, agent, finance)
    second = await _conversation(runtime, agent, finance)

    assert await _hand_off_behind(runtime, first, second) == ann.member_id

    assert (await _state(runtime, first))[:2] == ("human", ann.member_id)
    assert (await _state(runtime, second))[:2] == ("human", bob.member_id)


async def _hand_off_behind(runtime: Runtime, first: str, second: str) -> str | None:
    """Hand ``first`` off and, before that commits, ``second`` in another transaction, which
    must wait for it and then succeed; who got ``first``."""
    async with runtime.changes() as session:
        assignee = (await _handed_off(session, first)).assignee_id
        handing_off = asyncio.create_task(_hand_off(runtime, second))
        await wait_behind(runtime.db, session, handing_off)
    assert await handing_off is True
    return assignee


async def _routed_by_tag(runtime: Runtime, conversation_id: str) -> None:
    """Tag the conversation 'loan', the tag that routes to every team."""
    async with runtime.changes() as session:
        await session.execute(update(Team).values(route_tags=["loan"]))
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        await tagging.add_rule_tags(session, conversation, ["loan"])


@pytest.mark.parametrize("edit", ["rename", "rename, routed by tag", "members", "max_open"])
async def test_editing_a_team_while_a_handoff_goes_to_it_does_not_deadlock(
    started: Started, edit: str
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started, "Ann", "Bob")
    finance = await _finance(runtime, started.workspace_id, bob)
    await _online(runtime, ann, bob)
    for _ in range(2):  # Bob's room
        async with runtime.changes() as session:
            await _handed_off(session, await _conversation(runtime, agent, finance))
    # A conversation waits in the queue for the edits that move it (assigning it holds the
    # workspace's event stream anyway); a new name moves nothing.
    queued = []
    if not edit.startswith("rename"):
        queued.append(await _conversation(runtime, agent, finance))
        async with runtime.changes() as session:
            await _handed_off(session, queued[0])
    tagged = edit == "rename, routed by tag"  # not one of the team's conversations yet
    asking = await _conversation(runtime, agent, None if tagged else finance)
    if tagged:
        await _routed_by_tag(runtime, asking)
    # What the edit changes, and who then gets the queued conversation and the new one: a
    # new name is announced to the team's conversations; a member who joins or room made
    # assigns the queued one at once.
    changes, gets = {
        "rename": ({"name": "Loans"}, None),
        "rename, routed by tag": ({"name": "Loans"}, None),
        "members": ({"members": [ann.member_id, bob.member_id]}, ann.member_id),
        "max_open": ({"max_open": 4}, bob.member_id),
    }[edit]

    # The admin's edit holds the team; the visitor asks for a person before it commits.
    async with runtime.changes() as session:
        team = await session.get(Team, finance.id)
        assert team is not None
        await team_changes.update_team(session, team, dict(changes))
        handing_off = asyncio.create_task(_hand_off(runtime, asking))
        await wait_behind(runtime.db, session, handing_off)
    assert await handing_off is True

    for conversation_id in (*queued, asking):
        status, assignee, _ = await _state(runtime, conversation_id)
        assert (status, assignee) == ("human" if gets else "waiting", gets)


async def test_a_handoff_to_a_team_deleted_meanwhile_waits_without_a_team(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    [bob] = await _people(started, "Bob")
    finance = await _finance(runtime, started.workspace_id, bob)
    await _online(runtime, bob)
    asking = await _conversation(runtime, agent)
    await _routed_by_tag(runtime, asking)

    # The admin deletes Finance; before that commits, the visitor asks for a person.
    async with runtime.changes() as session:
        team = await session.get(Team, finance.id)
        assert team is not None
        await team_changes.delete_team(session, team)
        handing_off = asyncio.create_task(_hand_off(runtime, asking))
        await wait_behind(runtime.db, session, handing_off)
    assert await handing_off is True

    assert await _state(runtime, asking) == ("waiting", None, ["handoff"])
    async with runtime.db.session() as session:
        conversation = await session.get(Conversation, asking)
        assert conversation is not None and conversation.team_id is None


async def _team_of(runtime: Runtime, conversation_id: str) -> str | None:
    async with runtime.db.session() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.team_id


async def _move(runtime: Runtime, caller: Caller, conversation_id: str, team: Team) -> None:
    async with runtime.changes() as session:
        conversation = await get_conversation(session, team.workspace_id, conversation_id)
        moved_to = await session.get(Team, team.id)
        assert moved_to is not None
        await lifecycle.move_to_team(session, caller, conversation, moved_to)


async def _delete(runtime: Runtime, team: Team) -> None:
    async with runtime.changes() as session:
        deleted = await session.get(Team, team.id)
        assert deleted is not None
        await team_changes.delete_team(session, deleted)


async def test_a_move_to_a_team_deleted_meanwhile_is_refused_and_keeps_no_team(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    [ann] = await _people(started, "Ann")
    finance = await _finance(runtime, started.workspace_id)
    asking = await _conversation(runtime, agent)

    # The admin deletes Finance; before that commits, Ann moves the conversation there.
    async with runtime.changes() as session:
        team = await session.get(Team, finance.id)
        assert team is not None
        await team_changes.delete_team(session, team)
        moving = asyncio.create_task(_move(runtime, ann, asking, finance))
        await wait_behind(runtime.db, session, moving)
    with pytest.raises(NotFound, match="deleted"):
        await moving

    assert await _team_of(runtime, asking) is None
    assert await _state(runtime, asking) == ("bot", None, [])


@pytest.mark.parametrize("sent_by", ["move", "handoff"])
async def test_deleting_a_team_a_conversation_was_just_sent_to_leaves_it_without_a_team(
    started: Started, sent_by: str
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    [ann] = await _people(started, "Ann")
    finance = await _finance(runtime, started.workspace_id)
    asking = await _conversation(runtime, agent)
    if sent_by == "handoff":
        await _routed_by_tag(runtime, asking)

    # The conversation goes to Finance; before that commits, the admin deletes Finance.
    async with runtime.changes() as session:
        conversation = await get_conversation(session, started.workspace_id, asking)
        if sent_by == "move":
            team = await session.get(Team, finance.id)
            assert team is not None
            await lifecycle.move_to_team(session, ann, conversation, team)
        else:
            assert await lifecycle.hand_off(session, conversation, "button", "Asked for a person.")
        assert conversation.team_id == finance.id
        deleting = asyncio.create_task(_delete(runtime, finance))
        await wait_behind(runtime.db, session, deleting)
    await deleting

    assert await _team_of(runtime, asking) is None
    async with runtime.db.session() as session:
        assert await session.get(Team, finance.id) is None


async def test_a_member_opening_the_inbox_as_a_handoff_finds_nobody_gets_the_conversation(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    [bob] = await _people(started, "Bob")
    assert bob.member_id is not None
    finance = await _finance(runtime, started.workspace_id, bob)
    asking = await _conversation(runtime, agent, finance)

    # The handoff finds Bob offline and leaves the conversation waiting; before it commits,
    # Bob opens his inbox, which records his presence and fills Finance's queue.
    async with AsyncExitStack() as inbox:
        async with runtime.changes() as session:
            conversation = await _handed_off(session, asking)
            assert conversation.assignee_id is None
            opening = asyncio.create_task(
                inbox.enter_async_context(runtime.presence.connected(bob.member_id))
            )
            await wait_behind(runtime.db, session, opening)
        await opening
        assert (await _state(runtime, asking))[:2] == ("human", bob.member_id)


async def test_two_teams_assigning_at_once_keep_a_member_within_max_open(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    [bob] = await _people(started, "Bob")
    async with runtime.db.transaction() as session:
        ids = [str(bob.member_id)]
        teams = [
            await create_team(
                session,
                started.workspace_id,
                TeamIn(name=name, members=ids, auto_assign=True, max_open=1),
            )
            for name in ("Sales", "Service")
        ]
    await _online(runtime, bob)
    sales, service = [await _conversation(runtime, agent, team) for team in teams]

    # Sales gives Bob his one conversation; before that commits, Service hands one off too.
    assert await _hand_off_behind(runtime, sales, service) == bob.member_id

    assert (await _state(runtime, sales))[:2] == ("human", bob.member_id)
    assert (await _state(runtime, service))[:2] == ("waiting", None)  # Bob is full


async def test_an_assignment_never_reopens_a_conversation_closed_meanwhile(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    ann, bob = await _people(started, "Ann", "Bob")
    conversation_id = await _conversation(runtime, agent)

    async with runtime.changes() as session:
        current = await get_conversation(session, started.workspace_id, conversation_id)
        await lifecycle.close(session, ann, current)
        assigning = asyncio.create_task(_assign(runtime, ann, conversation_id, bob))
        await wait_behind(runtime.db, session, assigning)
    with pytest.raises(Conflict):
        await assigning

    assert await _state(runtime, conversation_id) == ("closed", None, ["closed"])


async def _assign(runtime: Runtime, caller: Caller, conversation_id: str, to: Caller) -> None:
    async with runtime.changes() as session:
        current = await get_conversation(session, caller.workspace_id, conversation_id)
        await lifecycle.assign(session, caller, current, to.member_id)


async def test_an_http_action_run_claimed_by_another_process_is_not_sent_again(
    started: Started,
) -> None:
    runtime = started.runtime
    with Receiver(Reply(201, {"id": "T-7"})) as helpdesk:
        run_id = await running_http_run(started, helpdesk)

        # Another process claims the run; before that commits, this one comes to send it.
        async with runtime.db.transaction() as session:
            run = await session.get(ActionRun, run_id)
            assert run is not None
            assert await actions.claim(session, run, lease_s=3600)
            sending = asyncio.create_task(runtime.actions.run(run_id))
            await wait_behind(runtime.db, session, sending)
        await sending

        assert helpdesk.requests == []
    async with runtime.db.session() as session:
        run = await session.get(ActionRun, run_id)
        assert run is not None and run.status == "running"


async def test_an_http_action_run_whose_sender_died_is_sent_when_its_lease_ends(
    started: Started,
) -> None:
    runtime = started.runtime
    with Receiver(Reply(201, {"id": "T-7"})) as helpdesk:
        run_id = await running_http_run(started, helpdesk)
        async with runtime.db.transaction() as session:  # claimed by a process that then died
            run = await session.get(ActionRun, run_id)
            assert run is not None
            assert await actions.claim(session, run, lease_s=600)
        assert await runtime.actions.sweep(everything=True) == 0  # held until the lease ends
        later = utcnow() + timedelta(seconds=601)
        set_clock(lambda: later)
        try:
            assert await runtime.actions.sweep() == 1
            await runtime.actions.drain()
        finally:
            set_clock(None)
        [request] = helpdesk.wait_for(1)
        assert request.json() == {"ok": True}
    async with runtime.db.session() as session:
        run = await session.get(ActionRun, run_id)
        assert run is not None and (run.status, run.result) == ("succeeded", {"id": "T-7"})

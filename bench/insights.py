"""The insights report over a realistic quarter: 5,000 conversations and 500 knowledge gaps.

    python bench/insights.py [--conversations 5000] [--days 90] [--gaps 500] [--runs 5]
                             [--tz Europe/Paris] [--processes N] [--work DIR] [--reuse]
                             [--json FILE]

One workspace and one agent, seeded through the service functions the app uses (start a
conversation, post visitor messages and AI answers, rate them, hand off, tag, reply, close,
CSAT) on a clock moved through the range with `set_clock`, one transaction per batch of
conversations. About 30% of the conversations are handed off; the gap questions are
paraphrases drawn from a few dozen groups. SQLite has one writer, so --processes (default:
one per core) each play their share of the conversations into a copy of the database, and
the rows they wrote are then copied into one. The seeded database stays under --work; with
--reuse a later run with the same parameters measures it again instead of seeding.

Then, in one run:

1. the whole report (`build_report`) for the range, median of --runs; the first run is shown
   apart (it loads the embedding model). Every run embeds the gap questions again: the report
   keeps no cache of them;
2. the report without knowledge gaps (`with_gaps=False`), and the gap part on its own:
   fetching the questions, embedding them, grouping them;
3. each query of the report alone, and GET /api/v1/insights in process (ASGI, API key);
4. the baseline: one `SELECT c.id, count(*) ... GROUP BY c.id` over the same conversations
   joined to their messages, the least any report over them has to read.

The SQL statements one report issues are counted with an engine event listener.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.apikeys import create_api_key
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.service import create_member
from frontdesk.agents.models import Agent
from frontdesk.agents.service import create_agent, get_agent
from frontdesk.answering.replies import REPHRASE, RULES
from frontdesk.answering.schemas import AnswerOut, Citation, Handoff
from frontdesk.app import create_app
from frontdesk.conversations import lifecycle
from frontdesk.conversations.feedback import do_rate_conversation, do_rate_message
from frontdesk.conversations.messages import (
    post_ai_answer,
    post_member_message,
    post_visitor_message,
    request_person,
)
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.tagging import add_member_tag
from frontdesk.db.base import set_clock
from frontdesk.insights import gaps, queries, service
from frontdesk.insights.gaps import normalised
from frontdesk.insights.period import parse_period
from frontdesk.insights.schemas import InsightsOut
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tags.catalog import ensure_tags
from frontdesk.teams.schemas import TeamIn
from frontdesk.teams.service import create_team
from frontdesk.usage.meter import COUNTERS as USAGE_COUNTERS

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
BATCH = 100  # conversations per seeding transaction
# The tables seeding writes, copied from each process's database into the main one.
MERGED = ("conversations", "messages", "conversation_tags", "events")
LAST_DAY = date(2026, 10, 31)  # fixed, so every run has the same calendar (and a DST change)

# What visitors ask about, by the tag a rule puts on it (teams route by these tags).
TOPICS = {
    "billing": [
        "Why was I charged twice this month?",
        "Where can I download my invoices?",
        "How do I update my credit card?",
        "Can I get a refund for last month?",
    ],
    "pricing": [
        "How much is the Pro plan?",
        "Is there a free trial?",
        "What's the difference between Basic and Pro?",
        "Do you have annual pricing?",
    ],
    "technical": [
        "The app crashes when I upload a photo",
        "I never get the password reset email",
        "Sync has been stuck for an hour",
        "How do I connect my calendar?",
    ],
    "shipping": [
        "When will my order arrive?",
        "How do I track my package?",
        "Do you ship to Norway?",
        "My parcel says delivered but it isn't here",
    ],
    "account": [
        "How do I change my email address?",
        "How do I delete my account?",
        "Can I add a second admin?",
        "Where do I turn on two-factor authentication?",
    ],
}
TEAMS = {"Billing": ["billing"], "Sales": ["pricing"], "Technical": ["technical"]}
MEMBER_TAGS = ["vip", "bug", "feature-request", "follow-up"]
# Knowledge gaps: what the knowledge has no answer for, each asked in several phrasings.
GAP_SUBJECTS = [
    "pay with PayPal", "pay in monthly installments", "ship to Canada",
    "pick up my order in store", "return a gift without a receipt",
    "change the delivery address after ordering", "get a paper invoice by post",
    "use two discount codes on one order", "pause my subscription for a month",
    "transfer my account to someone else", "export my data as CSV",
    "connect the app to Salesforce", "use the app offline",
    "add more than five users to the team plan", "get the manual in Spanish",
    "book a demo on a weekend", "rent the device instead of buying it",
    "get a student discount", "order a custom engraving",
    "reserve an item that is out of stock", "cancel an order that already shipped",
    "see prices in euros", "get my refund in cash", "sign an NDA with you",
    "host the software on my own server", "integrate with Zapier",
    "set up single sign-on with Okta", "buy an extended warranty",
    "buy a gift card online", "schedule a delivery for Sunday", "merge two accounts",
    "change my username", "recover a deleted project", "get API access on the free plan",
    "pay by bank transfer", "order in bulk for a school",
]  # fmt: skip
GAP_FORMS = [
    "Can I {}?",
    "Is it possible to {}?",
    "How do I {}?",
    "I'd like to {}. Can you help?",
    "hi, can i {} ?",
    "Any way to {}?",
]
REPLIES = [
    "Hi, thanks for waiting, let me look into this.",
    "I've checked your account, this is fixed now.",
    "Sorry about that! I've passed it to the right person.",
    "Sure, I can help with that. Could you share your order number?",
]
# (trigger, what the visitor wrote, reason) for handoffs the rules raise on a visitor message.
RULE_HANDOFFS = [
    ("explicit_request", "Can I talk to a real person please?", "visitor asked for a person"),
    ("sentiment", "This is ridiculous, nothing works!!", "the visitor is frustrated"),
    ("keyword", "I want to cancel and get my money back", "keyword: cancel"),
    ("topic", "I need to speak to someone about this", "topic: wants a person"),
]
RULE_WEIGHTS = [40, 15, 15, 15]  # besides these: the button, and gaps that hand off


def run_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """uvloop when installed, as `frontdesk serve` runs under uvicorn."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


# --------------------------------------------------------------------------- seeding


@dataclass
class Plan:
    """One conversation's script, drawn before seeding so the gap count is exact."""

    at: datetime
    topic: str
    turns: int  # visitor messages; 0: opened and abandoned
    handoff: bool
    gap_turn: int | None = None


class SimClock:
    def __init__(self) -> None:
        self.now = datetime(2000, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def plans(args: argparse.Namespace, rng: random.Random) -> list[Plan]:
    first = LAST_DAY - timedelta(days=args.days - 1)
    midnight = datetime.combine(first, datetime.min.time(), tzinfo=ZoneInfo(args.tz))
    out = []
    for _ in range(args.conversations):
        day = rng.randrange(args.days)
        # Weekdays are busier; most chats come in office hours, some at night.
        if (first + timedelta(days=day)).weekday() >= 5 and rng.random() < 0.5:
            day = rng.randrange(args.days)
        hour = rng.gauss(14, 3.5) % 24
        at = (midnight + timedelta(days=day, hours=hour)).astimezone(UTC)
        turns = 0 if rng.random() < 0.03 else rng.randint(2, 6)
        out.append(Plan(at, rng.choice(list(TOPICS)), turns, turns > 0 and rng.random() < 0.3))
    out.sort(key=lambda plan: plan.at)
    talking = [plan for plan in out if plan.turns]
    for plan in rng.sample(talking, min(args.gaps, len(talking))):
        # Most handed-off chats with a gap are handed off for it (low confidence).
        last = plan.handoff and rng.random() < 0.7
        plan.gap_turn = plan.turns - 1 if last else rng.randrange(plan.turns)
    return out


def answer(text: str, topic: str, rng: random.Random) -> AnswerOut:
    """An answer from the knowledge, with its citation."""
    citation = Citation(
        source="help-center.md",
        source_id="src_helpcenter",
        title=f"Help center > {topic.title()}",
        location=f"section {rng.randint(1, 20)}",
        snippet=text,
        score=round(rng.uniform(0.5, 0.95), 3),
    )
    return AnswerOut(
        answer=f"Here is what our help center says: {text}",
        citations=[citation],
        confidence=citation.score,
        handoff=Handoff(triggered=False),
        generator="extractive",
    )


def gap_reply(agent: Agent, handoff: bool, rng: random.Random) -> AnswerOut:
    """The knowledge had nothing (gap=true), as `Replies.respond` answers it: a handoff for
    low confidence, or, with `rules.failed_attempts`, a request to rephrase and, the next time,
    a handoff for failed attempts."""
    if not handoff:
        return AnswerOut(
            answer=REPHRASE,
            citations=[],
            confidence=0.0,
            handoff=Handoff(triggered=False),
            generator=RULES,
            answered=False,
            gap=True,
        )
    if rng.random() < 0.6:
        why = Handoff(triggered=True, trigger="low_confidence", reason="low confidence (0.18)")
        text, generator = "I'm not sure about that one.", "extractive"
    else:
        why = Handoff(triggered=True, trigger="failed_attempts", reason="2 questions in a row")
        text, generator = agent.handoff_message, RULES
    return AnswerOut(
        answer=text,
        citations=[],
        confidence=0.18,
        handoff=why,
        generator=generator,
        answered=False,
        gap=True,
    )


def rule_reply(agent: Agent, trigger: str, reason: str, tags: list[str]) -> AnswerOut:
    """A rule fired on the visitor's message: the agent's handoff message."""
    return AnswerOut(
        answer=agent.handoff_message,
        citations=[],
        confidence=0.0,
        handoff=Handoff(triggered=True, trigger=trigger, reason=reason, tags=tags),
        generator=RULES,
        answered=False,
    )


@dataclass
class Cast:
    agent: Agent
    members: list[Caller]


async def seed_cast(runtime: Runtime, workspace_id: str) -> Cast:
    """The agent, six members (online) and three teams; every tag made up front, so that the
    seeding processes find the same ones."""
    async with runtime.db.transaction() as session:
        agent = await create_agent(session, workspace_id, "Support")
        callers = []
        for name in ("Sam", "Alex", "Priya", "Jonas", "Mei", "Omar"):
            member = await create_member(
                session, workspace_id, f"{name.lower()}@example.com", "bench-password", name=name
            )
            member.presence = "online"
            callers.append(Caller(workspace_id, "agent", "session", member.id, name))
        for i, (name, tags) in enumerate(TEAMS.items()):
            ids = [c.member_id for c in callers[2 * i : 2 * i + 2] if c.member_id]
            # One team assigns round-robin (an 'assigned' note), the others queue.
            auto = name == "Technical"
            body = TeamIn(name=name, members=ids, route_tags=tags, auto_assign=auto, max_open=500)
            await create_team(session, workspace_id, body)
        await ensure_tags(session, workspace_id, [*TOPICS, *MEMBER_TAGS])
    return Cast(agent, callers)


async def play(
    session: AsyncSession, cast: Cast, plan: Plan, clock: SimClock, rng: random.Random
) -> None:
    """One conversation, as the widget, the answering pipeline and the inbox would make it."""
    clock.now = plan.at
    started = await lifecycle.start_conversation(session, cast.agent, "https://example.com/help")
    conversation = started.conversation
    for turn in range(plan.turns):
        clock.advance(rng.uniform(15, 120))
        handoff = plan.handoff and turn == plan.turns - 1
        if turn == plan.gap_turn:
            text = rng.choice(GAP_FORMS).format(rng.choice(GAP_SUBJECTS))
            reply = gap_reply(cast.agent, handoff, rng)
        elif handoff and rng.random() < 0.85:
            trigger, text, reason = rng.choices(RULE_HANDOFFS, RULE_WEIGHTS)[0]
            # Keyword and topic rules tag the conversation; teams route by those tags.
            tags = [plan.topic] if trigger in ("keyword", "topic") else []
            reply = rule_reply(cast.agent, trigger, reason, tags)
        else:
            text = rng.choice(TOPICS[plan.topic])
            reply = answer(text, plan.topic, rng)
        await post_visitor_message(session, conversation, text, None, 4000)
        clock.advance(rng.uniform(1, 4))
        message = await post_ai_answer(session, cast.agent, conversation, reply)
        if message is not None and reply.answered and rng.random() < 0.1:
            clock.advance(rng.uniform(3, 30))
            rating = "down" if rng.random() < 0.2 else "up"
            await do_rate_message(session, conversation, message.seq, rating)
    if plan.handoff and conversation.status == "bot":
        clock.advance(rng.uniform(5, 60))
        await request_person(session, cast.agent, conversation)
    await follow_up(session, cast, conversation, plan, clock, rng)


async def follow_up(
    session: AsyncSession,
    cast: Cast,
    conversation: Conversation,
    plan: Plan,
    clock: SimClock,
    rng: random.Random,
) -> None:
    """The team's part: reply (after a handoff, or taking over), tag, close; the visitor's CSAT."""
    if not plan.turns:
        return
    member = rng.choice(cast.members)
    handed = plan.handoff
    if handed and rng.random() < 0.2:
        await add_member_tag(session, member, conversation, rng.choice(MEMBER_TAGS))
    replies = handed and rng.random() < 0.85
    if not handed and rng.random() < 0.05:
        clock.advance(rng.uniform(30, 600))
        await lifecycle.take_over(session, member, conversation)
        replies = True
    if replies:
        # Waits for a person: minutes usually, hours at night or when the queue is long.
        clock.advance(min(rng.lognormvariate(5.3, 1.2), 8 * 3600))
        if rng.random() < 0.15:
            await post_member_message(session, member, conversation, "checking", True, 4000)
        await post_member_message(session, member, conversation, rng.choice(REPLIES), False, 4000)
        if rng.random() < 0.5:
            clock.advance(rng.uniform(20, 300))
            await post_visitor_message(session, conversation, "Thank you!", None, 4000)
    closes = (replies and rng.random() < 0.75) or (not handed and rng.random() < 0.2)
    if closes and conversation.status != "closed":
        clock.advance(rng.uniform(60, 1800))
        await lifecycle.close(session, member, conversation)
        if rng.random() < 0.35:
            score = rng.choices([1, 2, 3, 4, 5], [6, 6, 12, 30, 46])[0]
            await do_rate_conversation(session, conversation, score, None)


@dataclass(frozen=True)
class Part:
    """One seeding process's share: every ``of``-th conversation, written to its own copy of
    the database (SQLite has one writer; the copies are merged afterwards)."""

    index: int
    of: int
    data_dir: Path
    agent_id: str
    members: list[tuple[str, str]]  # (id, name)


def seed_part(args: argparse.Namespace, part: Part) -> float:
    """A process's entry point: seed its share, return the seconds it took."""
    return run_loop(play_part(args, part))


async def play_part(args: argparse.Namespace, part: Part) -> float:
    scripts = plans(args, random.Random(args.seed))[part.index :: part.of]
    rng = random.Random(args.seed * 1000 + part.index + 1)
    runtime = Runtime(Settings(data_dir=part.data_dir))
    workspace = await runtime.start()
    clock = SimClock()
    set_clock(clock)
    started = time.perf_counter()
    try:
        async with runtime.db.session() as session:
            agent = await get_agent(session, workspace.id, part.agent_id)
        members = [Caller(workspace.id, "agent", "session", i, n) for i, n in part.members]
        cast = Cast(agent, members)
        for start in range(0, len(scripts), BATCH):
            async with runtime.db.transaction() as session:
                for plan in scripts[start : start + BATCH]:
                    await play(session, cast, plan, clock, rng)
            done = min(start + BATCH, len(scripts))
            if done % 1000 == 0 or done == len(scripts):
                elapsed = time.perf_counter() - started
                print(
                    f"  part {part.index + 1}/{part.of}: {done:,} conversations ({elapsed:.0f} s)",
                    flush=True,
                )
    finally:
        set_clock(None)
        await runtime.close()
    return time.perf_counter() - started


def copy_database(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def table_counts(db: sqlite3.Connection, schema: str) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
        if not row[0].startswith("sqlite_")
    ]
    return {
        name: db.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0] for name in names
    }


def merge(target: Path, parts: list[Path]) -> None:
    """Copy each part's new rows into ``target``, as they are (usage months summed); a part
    that changed any other table would be lost, so that stops the run."""
    with closing(sqlite3.connect(target)) as db:
        before = table_counts(db, "main")
        last_event = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        for path in parts:
            db.execute("ATTACH DATABASE ? AS part", (str(path),))
            changed = {k for k, n in table_counts(db, "part").items() if n != before.get(k)}
            unexpected = changed - {*MERGED, "usage_months"}
            if unexpected:
                raise RuntimeError(f"seeding wrote to {sorted(unexpected)}; merge them too")
            for table in MERGED:
                columns = [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")]
                if table == "events":  # ids are the event log's order: numbered again here
                    columns.remove("id")
                names = ", ".join(columns)
                db.execute(
                    f"INSERT INTO main.{table} ({names}) SELECT {names} FROM part.{table}"
                    + (f" WHERE id > {last_event}" if table == "events" else "")
                )
            sums = ", ".join(f"{c} = {c} + excluded.{c}" for c in USAGE_COUNTERS)
            db.execute(
                "INSERT INTO main.usage_months SELECT * FROM part.usage_months WHERE true "
                f"ON CONFLICT (workspace_id, month) DO UPDATE SET {sums}"
            )
            db.commit()
            db.execute("DETACH DATABASE part")


async def seed(args: argparse.Namespace, runtime: Runtime, workspace_id: str) -> dict[str, Any]:
    """The cast in the main database, the conversations in --processes copies of it, merged."""
    started = time.perf_counter()
    cast = await seed_cast(runtime, workspace_id)
    await runtime.db.dispose()
    main_db = runtime.settings.data_dir / "frontdesk.db"
    members = [(c.member_id or "", c.name or "") for c in cast.members]
    parts = [
        Part(i, args.processes, args.work / f"part{i}", cast.agent.id, members)
        for i in range(args.processes)
    ]
    for part in parts:
        copy_database(main_db, part.data_dir / "frontdesk.db")
    loop = asyncio.get_running_loop()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(parts), mp_context=spawn) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, seed_part, args, part) for part in parts))
    merge(main_db, [part.data_dir / "frontdesk.db" for part in parts])
    for part in parts:
        shutil.rmtree(part.data_dir)
    return {"agent_id": cast.agent.id, "seed_s": time.perf_counter() - started}


async def describe_data(runtime: Runtime) -> dict[str, int]:
    m = Message
    async with runtime.db.session() as session:
        by_author = dict(
            (await session.execute(select(m.author, func.count()).group_by(m.author))).all()
        )
        handoffs = await session.scalar(select(func.count()).where(m.event == "handoff"))
        gap_answers = await session.scalar(
            select(func.count()).where(m.author == "ai", m.payload["gap"].as_boolean())
        )
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
    return {
        "conversations": int(conversations or 0),
        "messages": sum(by_author.values()),
        **{f"{author}_messages": int(n) for author, n in sorted(by_author.items())},
        "handoff_notes": int(handoffs or 0),
        "gap_answers": int(gap_answers or 0),
    }


# --------------------------------------------------------------------------- measuring


class StatementCounter:
    """Counts the SQL statements the engine sends while ``counting`` is on."""

    def __init__(self, runtime: Runtime):
        self.count = 0
        self.on = False
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        if self.on:
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.count, self.on = 0, True
        try:
            yield
        finally:
            self.on = False


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of each of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def baseline_query(scope: queries.Scope) -> Any:
    c, m = Conversation, Message
    return (
        select(c.id, func.count())
        .join(m, m.conversation_id == c.id)
        .where(
            c.workspace_id == scope.workspace_id,
            c.agent_id == scope.agent_id,
            c.created_at >= scope.start.astimezone(UTC),
            c.created_at < scope.end.astimezone(UTC),
        )
        .group_by(c.id)
    )


QUERIES: dict[str, Callable[[AsyncSession, queries.Scope], Awaitable[Any]]] = {
    "totals": queries.totals,
    "handoffs_by_trigger": queries.handoffs_by_trigger,
    "handoffs_by_tag": queries.handoffs_by_tag,
    "handoffs_by_team": queries.handoffs_by_team,
    "first_reply_waits": queries.first_reply_waits,
    "feedback_counts": queries.feedback_counts,
    "csat_counts": queries.csat_counts,
    "created": queries.created,
    "gap_questions": lambda s, scope: queries.gap_questions(s, scope, service.MAX_GAP_QUESTIONS),
}


async def fetch(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).all())


async def group(asked: list[queries.Asked], vectors: Any) -> list[gaps.Gap]:
    return gaps.group_questions(asked, vectors)


async def measure_parts(
    args: argparse.Namespace, runtime: Runtime, scope: queries.Scope
) -> dict[str, Any]:
    """The baseline, each query alone, and the gap part split into its three steps."""
    out: dict[str, Any] = {"queries_ms": {}}
    async with runtime.db.session() as session:
        out["baseline_ms"], rows = await timed(
            lambda: fetch(session, baseline_query(scope)), max(args.runs, 10)
        )
        out["baseline_rows"] = len(rows)
        for name, query in QUERIES.items():
            out["queries_ms"][name], result = await timed(partial(query, session, scope), args.runs)
    asked: list[queries.Asked] = result
    # As the report does: one vector per distinct normalised text, its first phrasing.
    texts: dict[str, str] = {}
    for item in asked:
        texts.setdefault(normalised(item.text), item.text)
    embedder = runtime.get_embedder()
    out["embed_ms"], vectors = await timed(
        lambda: asyncio.to_thread(embedder.embed, list(texts.values())), args.runs
    )
    out["group_ms"], grouped = await timed(lambda: group(asked, vectors), args.runs)
    out["gap_questions"], out["gap_texts"], out["gap_groups"] = len(asked), len(texts), len(grouped)
    return out


async def time_api(
    args: argparse.Namespace, runtime: Runtime, workspace_id: str, params: dict[str, str]
) -> list[float]:
    """GET /api/v1/insights through the app in process: auth, the report, JSON."""
    async with runtime.db.transaction() as session:
        issued = await create_api_key(session, workspace_id, "insights bench")
    app = create_app(runtime.settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {issued.key}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def get() -> None:
            response = await client.get("/api/v1/insights", params=params, headers=headers)
            response.raise_for_status()

        times, _ = await timed(get, args.runs)
    return times


async def measure(
    args: argparse.Namespace, runtime: Runtime, workspace_id: str, agent_id: str
) -> dict[str, Any]:
    first_day = (LAST_DAY - timedelta(days=args.days - 1)).isoformat()
    period = parse_period(first_day, LAST_DAY.isoformat(), args.tz, datetime.now(UTC))
    scope = queries.Scope(workspace_id, agent_id, period.start, period.end)
    statements = StatementCounter(runtime)

    def report(with_gaps: bool) -> Awaitable[InsightsOut]:
        return service.build_report(
            runtime.db, runtime.get_embedder, workspace_id, agent_id, period, with_gaps
        )

    out: dict[str, Any] = {}
    (out["full_first_ms"],), _ = await timed(lambda: report(True), 1)
    with statements.counting():
        out["full_ms"], full = await timed(lambda: report(True), args.runs)
    out["statements_full"] = statements.count // args.runs
    with statements.counting():
        out["no_gaps_ms"], _ = await timed(lambda: report(False), args.runs)
    out["statements_no_gaps"] = statements.count // args.runs
    out.update(await measure_parts(args, runtime, scope))
    params = {"agent_id": agent_id, "from": first_day, "to": LAST_DAY.isoformat(), "tz": args.tz}
    out["api_ms"] = await time_api(args, runtime, workspace_id, params)
    out["report"] = {
        "conversations": full.conversations,
        "handoffs": full.handoffs,
        "resolved_by_ai": full.resolved_by_ai,
        "first_human_reply_median_s": full.first_human_reply_s.median,
        "csat": full.csat.count,
        "thumbs": [full.feedback.up, full.feedback.down],
        "knowledge_gaps": len(full.knowledge_gaps),
        "largest_gaps": [[gap.question, gap.count] for gap in full.knowledge_gaps[:5]],
    }
    return out


# --------------------------------------------------------------------------- output


def median(values: list[float]) -> float:
    return statistics.median(values)


def show(data: dict[str, int], seeded: dict[str, Any], result: dict[str, Any]) -> None:
    base = median(result["baseline_ms"])
    report = result["report"]
    print(
        f"\ndata: {data['conversations']:,} conversations, {data['messages']:,} messages "
        f"({data.get('visitor_messages', 0):,} visitor, {data.get('ai_messages', 0):,} AI, "
        f"{data.get('member_messages', 0):,} member, {data.get('system_messages', 0):,} system), "
        f"{data['handoff_notes']:,} handoffs, {data['gap_answers']:,} gap answers"
    )
    if seeded.get("seed_s") is not None:
        per_s = data["conversations"] / seeded["seed_s"]
        print(f"seeded in {seeded['seed_s']:.1f} s ({per_s:.0f} conversations/s)")
    else:
        print("seeded by an earlier run (--reuse)")
    print(
        f"report: {report['conversations']:,} counted, {report['handoffs']:,} handed off, "
        f"{report['resolved_by_ai']:,} resolved by AI, {report['knowledge_gaps']} gap groups "
        f"from {result['gap_questions']} questions ({result['gap_texts']} distinct texts)"
    )
    print(f"\n  {'':<38}{'median ms':>10}{'vs baseline':>13}")

    def line(name: str, ms: float) -> None:
        print(f"  {name:<38}{ms:10.1f}{ms / base:12.1f}x")

    line("baseline: count(*) GROUP BY c.id", base)
    line("full report, first run (loads model)", result["full_first_ms"])
    line("full report", median(result["full_ms"]))
    line("report without knowledge gaps", median(result["no_gaps_ms"]))
    line("GET /api/v1/insights (ASGI)", median(result["api_ms"]))
    print("  the gap part alone:")
    line("  gap_questions (SQL)", median(result["queries_ms"]["gap_questions"]))
    line(f"  embed {result['gap_texts']} texts", median(result["embed_ms"]))
    line(f"  group into {result['gap_groups']} gaps", median(result["group_ms"]))
    print("  each query alone:")
    for name, times in result["queries_ms"].items():
        line(f"  {name}", median(times))
    print(
        f"\n  SQL statements per report: {result['statements_full']} "
        f"({result['statements_no_gaps']} without gaps); baseline: 1 "
        f"({result['baseline_rows']:,} rows)"
    )
    print("  largest gaps: " + "; ".join(f"{q!r} x{n}" for q, n in report["largest_gaps"]))


# --------------------------------------------------------------------------- main


async def prepare(args: argparse.Namespace) -> tuple[Runtime, str, dict[str, Any]]:
    """The runtime over the seeded database, seeding it first unless a matching one is kept."""
    data_dir = args.work / "data"
    marker = args.work / "seed.json"
    wanted = {
        k: getattr(args, k) for k in ("conversations", "days", "gaps", "tz", "seed", "processes")
    }
    kept = json.loads(marker.read_text()) if marker.exists() and args.reuse else {}
    if kept.get("params") != wanted:
        # Only what this benchmark makes: --work may be a folder that holds other things.
        for folder in [data_dir, *args.work.glob("part[0-9]*")]:
            shutil.rmtree(folder, ignore_errors=True)
        marker.unlink(missing_ok=True)
        kept = {}
    runtime = Runtime(Settings(data_dir=data_dir))
    workspace = await runtime.start()
    if kept:
        return runtime, workspace.id, {"agent_id": kept["agent_id"], "seed_s": None}
    print(
        f"seeding {args.conversations:,} conversations over {args.days} days "
        f"in {args.processes} processes ..."
    )
    seeded = await seed(args, runtime, workspace.id)
    marker.write_text(json.dumps({"params": wanted, "agent_id": seeded["agent_id"]}))
    return runtime, workspace.id, seeded


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runtime, workspace_id, seeded = await prepare(args)
    try:
        data = await describe_data(runtime)
        result = await measure(args, runtime, workspace_id, seeded["agent_id"])
    finally:
        await runtime.close()
    show(data, seeded, result)
    return {"data": data, "seed_s": seeded["seed_s"], **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--gaps", type=int, default=500, help="AI answers with gap=true")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measurement")
    parser.add_argument("--tz", default="Europe/Paris", help="time zone of the report's days")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="seeding processes"
    )
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "insights")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a run with the same parameters left (seeding code and "
        "product changes since are not in it)",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    report = run_loop(run(args))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Knowledge-gap titles by the agent's model ("Towing capacity of trucks"), kept per group.

A report never waits for a model: it shows the titles already kept and the group's central
question for the others, and asks the agent's model for those in the background, one group
after another; the next load shows them. A title is kept under the hash of the group's
distinct questions, so the same group is titled once, and a group that gains a question is
titled again. An agent without a model (extractive) keeps the central question, and a model
that fails is asked again on a later load.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.answering.generators.base import Chat, Generator, GeneratorFailed
from frontdesk.conversations.summary import clip
from frontdesk.db.base import insert_for
from frontdesk.db.engine import Database
from frontdesk.insights.gaps import Gap, normalised
from frontdesk.insights.models import GapTitle
from frontdesk.tasks import BackgroundTasks
from frontdesk.usage import meter

log = logging.getLogger(__name__)

MAX_TOKENS = 24
MAX_TITLE = 80
MAX_SHOWN = 8  # phrasings of a group the model reads
SYSTEM = """\
You name topics in a report of questions a support assistant could not answer. Reply with \
one title of two to six words saying what the questions ask about, in the questions' \
language, like "Towing capacity of trucks". Reply with the title only."""
# "Title:", list marks, quotes and markdown around the title itself.
_LABEL = re.compile(r"^(?:topic|title)\s*:\s*", re.I)
_WRAP = "\"'“”‘’*#`_-• "


@dataclass(frozen=True)
class Group:
    """A gap of one agent, as its title is asked for and kept."""

    agent_id: str
    central: str
    questions: tuple[str, ...]  # distinct phrasings, the central one first

    @property
    def key(self) -> str:
        texts = sorted({normalised(text) for text in self.questions})
        return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def group_of(agent_id: str, gap: Gap) -> Group:
    seen: dict[str, str] = {normalised(gap.question): gap.question}
    for item in gap.questions:
        seen.setdefault(normalised(item.text), item.text.strip())
    return Group(agent_id, gap.question, tuple(seen.values()))


def title_chat(group: Group) -> Chat:
    shown = "\n".join(f"- {clip(text, 200)}" for text in group.questions[:MAX_SHOWN])
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Questions:\n{shown}\n\nTitle:"},
    ]


def tidy_title(text: str) -> str:
    """The first line of the model's reply, without label, quotes or a final stop."""
    line = next((line for line in text.splitlines() if line.strip(_WRAP)), "")
    line = _LABEL.sub("", line.strip(_WRAP)).strip(_WRAP).rstrip(".:;,!")
    return clip(line, MAX_TITLE)


async def keep_title(
    session: AsyncSession, agent_id: str, key: str, title: str, generator: str
) -> None:
    """Keep a group's title. Another process may have titled the group meanwhile (each
    asks for the groups it has not seen titled): the first title stays."""
    await session.execute(
        insert_for(session, GapTitle)
        .values(agent_id=agent_id, key=key, title=title, generator=generator)
        .on_conflict_do_nothing()
    )


class GapTitles:
    def __init__(self, db: Database, generator_for: Callable[[Agent], Generator]):
        self.db = db
        self.generator_for = generator_for
        self._tasks = BackgroundTasks(log)
        self._asking: set[tuple[str, str]] = set()  # (agent id, key) being titled

    async def titles(self, groups: Sequence[Group]) -> list[str | None]:
        """Each group's kept model title (None: none yet, or the agent has no model); the
        missing ones of agents with a model are asked for in the background."""
        agent_ids = {group.agent_id for group in groups}
        async with self.db.session() as session:
            agents = await session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))
            models = {agent.id: agent for agent in agents if self.generator_for(agent).completes}
            wanted = [(g.agent_id, g.key) for g in groups if g.agent_id in models]
            kept: dict[tuple[str, str], str] = {}
            if wanted:
                rows = await session.execute(
                    select(GapTitle.agent_id, GapTitle.key, GapTitle.title).where(
                        tuple_(GapTitle.agent_id, GapTitle.key).in_(wanted)
                    )
                )
                kept = {(agent_id, key): title for agent_id, key, title in rows.all()}
        missing: dict[str, list[Group]] = {}
        for group in groups:
            at = (group.agent_id, group.key)
            if group.agent_id in models and at not in kept and at not in self._asking:
                self._asking.add(at)
                missing.setdefault(group.agent_id, []).append(group)
        for agent_id, todo in missing.items():
            self._tasks.spawn(self._ask(models[agent_id], todo), name=f"gap-titles-{agent_id}")
        return [kept.get((group.agent_id, group.key)) or None for group in groups]

    def __len__(self) -> int:
        """Agents whose gaps are being titled now."""
        return len(self._tasks)

    async def drain(self) -> None:
        await self._tasks.drain()

    async def close(self) -> None:
        await self._tasks.close()

    async def _ask(self, agent: Agent, groups: list[Group]) -> None:
        generator = self.generator_for(agent)
        try:
            for group in groups:
                # A page load that read the titles just before one was stored asks again:
                # what is stored already is not asked for twice.
                async with self.db.session() as session:
                    if await session.get(GapTitle, (agent.id, group.key)) is not None:
                        continue
                written = await generator.complete(title_chat(group), MAX_TOKENS)
                async with self.db.transaction() as session:
                    await meter.count_spent(session, agent.workspace_id, generator.name, written)
                    await keep_title(
                        session, agent.id, group.key, tidy_title(written.text), generator.name
                    )
                self._asking.discard((agent.id, group.key))
        except GeneratorFailed as exc:
            # Down or refusing: the rest would fail the same way; a later load asks again.
            log.warning(
                "knowledge gaps of agent %s keep their questions as titles: %s",
                agent.id,
                exc.message,
            )
        finally:
            self._asking.difference_update((agent.id, group.key) for group in groups)

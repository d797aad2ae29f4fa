"""What the agent says to a visitor message: the escalation rules first, then an answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from frontdesk.agent.answering import AnswerService, check_question
from frontdesk.agent.models import Agent
from frontdesk.agent.schemas import AnswerOut, Handoff
from frontdesk.knowledge.embedder import Embedder
from frontdesk.rules.config import RulesConfig
from frontdesk.rules.engine import RulesEngine

RULES = "rules"


class Replies:
    def __init__(
        self, answers: AnswerService, rules: RulesEngine, retrieval_embedder: Callable[[], Embedder]
    ):
        self.answers = answers
        self.rules = rules
        self.retrieval_embedder = retrieval_embedder

    async def respond(self, agent: Agent, question: str, visitor_messages: int = 1) -> AnswerOut:
        """A rule that fires hands off with the agent's handoff message; else the answer
        (which itself hands off when its confidence is below the agent's threshold)."""
        question = check_question(question)
        config = RulesConfig.model_validate(agent.rules or {})
        rules_embedder = self.rules.embedder
        vector = await asyncio.to_thread(rules_embedder.embed_query, question)
        verdict = await asyncio.to_thread(
            self.rules.evaluate, config, question, visitor_messages, vector
        )
        if verdict is None:
            # One embedding serves both when retrieval runs the same model.
            shared = self.retrieval_embedder().model_id == rules_embedder.model_id
            return await self.answers.ask(agent, question, vector if shared else None)
        return AnswerOut(
            answer=agent.handoff_message,
            citations=[],
            confidence=0.0,
            handoff=Handoff(
                triggered=True,
                trigger=verdict.trigger,
                reason=verdict.reason,
                priority=verdict.priority,
            ),
            generator=RULES,
        )

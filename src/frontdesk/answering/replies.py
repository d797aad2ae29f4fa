"""What the agent says to a visitor message: the escalation rules first, then an answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from frontdesk.agents.models import Agent
from frontdesk.answering.generators.base import Listener
from frontdesk.answering.generators.tools import ToolRunner
from frontdesk.answering.pipeline import AnswerService, Thread, check_question
from frontdesk.answering.schemas import AnswerOut, Handoff
from frontdesk.embedder.model import Embedder
from frontdesk.rules.config import RulesConfig
from frontdesk.rules.engine import RulesEngine, Verdict

RULES = "rules"
REPHRASE = (
    "I couldn't find that in our information. Could you rephrase it or add a detail, "
    "such as the model or what you are trying to do?"
)
SORRY = "Sorry that didn't help. Could you tell me a bit more about what you need?"


class Replies:
    def __init__(
        self, answers: AnswerService, rules: RulesEngine, retrieval_embedder: Callable[[], Embedder]
    ):
        self.answers = answers
        self.rules = rules
        self.retrieval_embedder = retrieval_embedder

    async def respond(
        self,
        agent: Agent,
        question: str,
        visitor_messages: int = 1,
        failed_before: int = 0,
        thread: Thread | None = None,
        listener: Listener | None = None,
        tools: ToolRunner | None = None,
    ) -> AnswerOut:
        """A rule that fires hands off with the agent's handoff message; else the answer
        (which itself hands off when its confidence is below the agent's threshold, or after
        ``rules.failed_attempts`` unanswered questions in a row when that is set).

        ``listener`` receives a model's reply as it is written, ``tools`` runs the tools the
        model calls (see ``AnswerService.draft``)."""
        question = check_question(question)
        config = RulesConfig.model_validate(agent.rules or {})
        rules_embedder = self.rules.embedder
        vector = await asyncio.to_thread(rules_embedder.embed_query, question)
        verdict = await asyncio.to_thread(
            self.rules.evaluate, config, question, visitor_messages, vector, failed_before
        )
        if verdict is not None and verdict.handoff:
            return _handoff(agent, verdict, config)
        if verdict is not None and verdict.unhelpful:
            answer = _not_answered(SORRY)
        else:
            # One embedding serves both when retrieval runs the same model.
            shared = self.retrieval_embedder().model_id == rules_embedder.model_id
            answer = await self.answers.ask(
                agent, question, vector if shared else None, thread, listener, tools
            )
            if answer.handoff.triggered:
                answer = _after_unanswered(agent, config, answer, failed_before)
        if verdict is not None:
            handoff = answer.handoff
            answer.handoff = handoff.model_copy(
                update={
                    "tags": [*verdict.tags, *handoff.tags],
                    "priority": handoff.priority or verdict.priority,
                    "team": handoff.team or verdict.team,
                }
            )
        return answer


def _handoff(agent: Agent, verdict: Verdict, config: RulesConfig) -> AnswerOut:
    return AnswerOut(
        answer=agent.handoff_message,
        citations=[],
        confidence=0.0,
        handoff=Handoff(
            triggered=True,
            trigger=verdict.trigger,
            reason=verdict.reason,
            priority=verdict.priority,
            tags=list(verdict.tags),
            collect=verdict.collect,
            team=verdict.team,
        ),
        generator=RULES,
        answered=False,
    )


def _not_answered(text: str, gap: bool = False) -> AnswerOut:
    return AnswerOut(
        answer=text,
        citations=[],
        confidence=0.0,
        handoff=Handoff(triggered=False),
        generator=RULES,
        answered=False,
        gap=gap,
    )


def _after_unanswered(
    agent: Agent, config: RulesConfig, answer: AnswerOut, failed_before: int
) -> AnswerOut:
    """Low confidence: hand off now, or (with failed_attempts) ask to rephrase first."""
    answer = answer.model_copy(update={"answered": False, "gap": True})
    if not config.failed_attempts:
        return answer
    failed = failed_before + 1
    # The rules' reply replaces the draft, whose model was still paid for: its usage stays.
    usage = {
        "model": answer.model,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
    }
    if failed < config.failed_attempts:
        return _not_answered(REPHRASE, gap=True).model_copy(update=usage)
    handoff = _handoff(
        agent,
        Verdict("failed_attempts", f"{failed} questions in a row the AI could not answer"),
        config,
    )
    return handoff.model_copy(update={"gap": True, **usage})

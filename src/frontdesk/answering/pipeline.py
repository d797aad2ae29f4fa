"""The answer pipeline: retrieve -> generate -> cite -> decide whether to refuse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.answering.confidence import Evidence, confidence, evidence
from frontdesk.answering.generators.base import (
    Generation,
    GenerationRequest,
    Generator,
    GeneratorFailed,
    Listener,
)
from frontdesk.answering.generators.extractive import ExtractiveGenerator
from frontdesk.answering.generators.tools import ToolRunner, Tools, definitions
from frontdesk.answering.grounding import GuardedDraft, ungrounded
from frontdesk.answering.schemas import AnswerOut, Citation, Handoff
from frontdesk.db.engine import Database
from frontdesk.embedder.model import Embedder
from frontdesk.errors import InvalidInput
from frontdesk.knowledge import repository
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.search import HybridSearcher
from frontdesk.knowledge.units import stored_vectors, unit_key
from frontdesk.knowledge.vectors import Snapshot

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
RETRIEVE_K = 5
SNIPPET_CHARS = 300
NOT_FOUND = (
    "I'm sorry, I couldn't find an answer to that in our information, and I'd rather not guess."
)


@dataclass(frozen=True)
class Thread:
    """A conversation as the AI sees it when answering in it."""

    history: tuple[tuple[str, str], ...] = ()  # (author, text), oldest first
    replies: tuple[tuple[str, str], ...] = ()  # (member name, text) the team wrote publicly


@dataclass(frozen=True)
class Draft:
    hits: list[Hit]
    cited: list[Hit]
    generation: Generation | None
    evidence: Evidence
    generator: str
    question: str = ""
    # Why the agent's own generator did not write it (its model failed), if it did not.
    fallback: str = ""
    # The model of ``generator`` ("" for none): named even when no passage called for it.
    model: str = ""
    # A form the model offered by calling it as a tool.
    form: str | None = None


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


def _citation(hit: Hit) -> Citation:
    return Citation(
        source=hit.source,
        source_id=hit.source_id,
        title=hit.title,
        location=hit.location,
        url=hit.url,
        snippet=_snippet(hit.text),
        score=round(hit.score, 4),
    )


def known(agent: Agent, question: str) -> tuple[str, ...]:
    """Words a model may use that no passage needs to say: the agent's own and the question's."""
    return (agent.name, agent.instructions or "", question)


def _usage(draft: Draft) -> dict[str, Any]:
    """Who wrote the draft and what its model used: carried by a reply and by its refusal."""
    generation = draft.generation
    return {
        "generator": draft.generator,
        "model": generation.model if generation is not None else draft.model,
        "prompt_tokens": generation.prompt_tokens if generation is not None else 0,
        "completion_tokens": generation.completion_tokens if generation is not None else 0,
    }


def check_question(question: str) -> str:
    question = question.strip()
    if not question:
        raise InvalidInput("The question is empty.", field="question")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"The question is {len(question)} characters; the limit is {MAX_QUESTION_CHARS}.",
            field="question",
        )
    return question


class AnswerService:
    def __init__(
        self,
        db: Database,
        searcher: HybridSearcher,
        embedder: Callable[[], Embedder],
        generator_for: Callable[[Agent], Generator],
    ):
        self.db = db
        self.searcher = searcher
        self._embedder = embedder
        self.generator_for = generator_for
        # Answers when the agent's model cannot: no model, so nothing to fail.
        self.fallback = ExtractiveGenerator()

    async def draft(
        self,
        agent: Agent,
        question: str,
        query_vector: np.ndarray | None = None,
        thread: Thread | None = None,
        listener: Listener | None = None,
        tools: ToolRunner | None = None,
    ) -> Draft:
        """Retrieve and generate without deciding: what ``ask`` judges and calibration fits.

        ``thread``: the conversation so far; the team's replies in it count as passages.
        ``listener``: receives the reply as a model writes it — a draft that ``decide`` may
        still replace by the refusal.
        ``tools``: runs the agent's tools when its model calls one; their results count as
        passages."""
        question = check_question(question)
        hits, snapshot, query_vector = await self._retrieve(agent, question, query_vector)
        if thread is not None and thread.replies:
            hits = await self._with_replies(hits, thread, query_vector)
        terms = snapshot.terms
        generator = self.generator_for(agent)
        toolbox = self._tools(agent, generator, tools, len(hits))
        generation = None
        fallback = ""
        vectors = self._unit_vectors(hits)
        # A question no passage matches may still be one a tool answers (an order's status).
        if hits or toolbox is not None:
            request = GenerationRequest(
                question=question,
                passages=hits,
                instructions=agent.instructions,
                language=agent.language,
                query_vector=query_vector,
                terms=terms,
                history=thread.history if thread else (),
                tools=toolbox,
                embed=vectors,
            )
            # What the visitor watches is checked as it grows, as the reply is when done.
            guarded = None
            if listener is not None:
                # Tools' results join the passages as they come (the toolbox's own list).
                found_by_tools = toolbox.passages if toolbox is not None else []
                guarded = GuardedDraft(listener, hits, known(agent, question), found_by_tools)
            try:
                generation = await generator.write(request, guarded)
                if guarded is not None:
                    await guarded.finish()
            except GeneratorFailed as exc:
                # The extractive draft is judged like any other: sent when confident,
                # otherwise the refusal and handoff, with the model's failure as the reason.
                fallback = f"the {generator.name} generator failed: {exc.message}"
                log.warning("agent %s: %s; answering without it", agent.id, fallback)
                generator = self.fallback
                # What tools returned before the model failed is known: it may answer.
                passages = hits + (toolbox.passages if toolbox else [])
                if passages:
                    request = replace(request, passages=passages, tools=None)
                    generation = await generator.generate(request)
            if toolbox is not None and toolbox.passages:
                hits = hits + await self._scored(toolbox.passages, query_vector)
        cited = [hits[i] for i in generation.cited if 0 <= i < len(hits)] if generation else []
        answer = generation.text if generation else ""
        # The reply's own closeness to the question: one short embedding, off the loop; none
        # when the reply is a unit said as it was embedded at ingestion.
        similarity = 0.0
        if answer:
            vector = await vectors([answer])
            similarity = float(vector[0] @ query_vector)
        measured = generation.similarity if generation is not None else None
        found = evidence(question, hits, cited, answer, terms, similarity, measured)
        form = toolbox.form if toolbox is not None else None
        return Draft(
            hits,
            cited,
            generation,
            found,
            generator.name,
            question,
            fallback,
            generator.model,
            form,
        )

    async def _retrieve(
        self, agent: Agent, question: str, query_vector: np.ndarray | None
    ) -> tuple[list[Hit], Snapshot, np.ndarray]:
        """The passages for ``question``, the agent's snapshot and the question's vector.

        The question is embedded off the event loop (live sockets keep flowing meanwhile),
        before the search: running the keyword search during the embedding gained nothing
        on 2 cores (bench/latency.py, 10,000 chunks: p50 76.2 against 74.7 ms), the model
        using both."""
        if query_vector is None:
            query_vector = await asyncio.to_thread(self._embedder().embed_query, question)
        async with self.db.session() as session:
            snapshot = await self.searcher.vectors.snapshot(session, agent.id)
            hits = await self.searcher.search(
                session,
                agent.id,
                question,
                k=RETRIEVE_K,
                query_vector=query_vector,
                snapshot=snapshot,
            )
        return hits, snapshot, query_vector

    def _unit_vectors(self, hits: list[Hit]) -> Callable[[list[str]], Awaitable[np.ndarray]]:
        """Vectors of texts from the passages' units: those stored at ingestion (as search
        read them, or read once here), the others embedded."""
        chunk_ids = [hit.chunk_id for hit in hits if hit.chunk_id > 0 and hit.units is None]
        loaded: dict[bytes, np.ndarray] | None = None

        async def vectors(texts: list[str]) -> np.ndarray:
            nonlocal loaded
            embedder = self._embedder()
            keys = [unit_key(embedder.model_id, text) for text in texts]
            if loaded is None:
                loaded = {}
                for hit in hits:
                    loaded.update(hit.units or {})
                if chunk_ids:
                    async with self.db.session() as session:
                        blobs = await repository.unit_vectors_by_chunk(session, chunk_ids)
                    loaded.update(stored_vectors(list(blobs.values())))
            stored = loaded
            pairs = zip(keys, texts, strict=True)
            missing = {key: text for key, text in pairs if key not in stored}
            if missing:
                fresh = await asyncio.to_thread(embedder.embed, list(missing.values()))
                stored = {**stored, **dict(zip(missing, fresh, strict=True))}
            return np.array([stored[key] for key in keys], dtype=np.float32)

        return vectors

    def _tools(
        self, agent: Agent, generator: Generator, runner: ToolRunner | None, passages: int
    ) -> Tools | None:
        """The agent's tools for this reply, when there is a runner and its model calls tools."""
        if runner is None or not generator.calls_tools:
            return None
        offered = definitions(list(agent_actions(agent).values()))
        return Tools(offered, runner, passages) if offered else None

    async def _scored(self, passages: list[Hit], query_vector: np.ndarray) -> list[Hit]:
        """Tools' results with their closeness to the question, judged like any passage."""
        vectors = await asyncio.to_thread(
            self._embedder().embed, [f"{hit.title}\n{hit.text}" for hit in passages]
        )
        similarity = vectors @ query_vector
        return [
            replace(hit, score=float(s), vector_score=float(s))
            for hit, s in zip(passages, similarity, strict=True)
        ]

    async def _with_replies(
        self, hits: list[Hit], thread: Thread, query_vector: np.ndarray
    ) -> list[Hit]:
        """Rank the team's replies in this conversation among the retrieved passages."""
        texts = [text for _, text in thread.replies]
        vectors = await asyncio.to_thread(self._embedder().embed, texts)
        similarity = vectors @ query_vector
        replies = [
            Hit(
                chunk_id=-1 - i,
                source_id="conversation",
                source="conversation",
                title=f"{name} (team reply in this conversation)",
                location="",
                url=None,
                text=text,
                score=float(similarity[i]),
                vector_score=float(similarity[i]),
            )
            for i, (name, text) in enumerate(thread.replies)
        ]
        # Each reply goes before the first passage it is closer to the question than; the
        # passages keep their hybrid (words + meaning) order among themselves.
        merged = list(hits)
        for reply in sorted(replies, key=lambda hit: hit.vector_score, reverse=True):
            at = next(
                (i for i, hit in enumerate(merged) if hit.vector_score < reply.vector_score),
                len(merged),
            )
            merged.insert(at, reply)
        return merged[:RETRIEVE_K]

    async def ask(
        self,
        agent: Agent,
        question: str,
        query_vector: np.ndarray | None = None,
        thread: Thread | None = None,
        listener: Listener | None = None,
        tools: ToolRunner | None = None,
    ) -> AnswerOut:
        """``query_vector``: the question already embedded by the retrieval model, if at hand."""
        draft = await self.draft(agent, question, query_vector, thread, listener, tools)
        return self.decide(agent, draft)

    def decide(self, agent: Agent, draft: Draft) -> AnswerOut:
        """Send the draft, or refuse when its confidence is below the agent's threshold.

        A form the model offered is shown after the reply; after a refusal, it is what the
        handoff waits for (the team hears once the visitor answers it)."""
        answer = self._judged(agent, draft)
        if draft.form is None:
            return answer
        if answer.handoff.triggered:
            handoff = answer.handoff.model_copy(update={"collect": draft.form})
            return answer.model_copy(update={"handoff": handoff})
        return answer.model_copy(update={"form": draft.form})

    def _judged(self, agent: Agent, draft: Draft) -> AnswerOut:
        score = confidence(draft.evidence)
        generation = draft.generation
        if generation is None or not generation.text or score < agent.confidence_threshold:
            why = None
            if draft.fallback and draft.hits:
                why = (
                    f"{draft.fallback.rstrip('.')}, and the passages' own words have confidence "
                    f"{score:.2f}, below the agent's threshold {agent.confidence_threshold:.2f}"
                )
            return self._refusal(agent, score, draft, why=why)
        if draft.generator != "extractive":
            # A model wrote it: sent only if the cited passages back it (grounding.py).
            why = ungrounded(generation.text, draft.cited, known(agent, draft.question))
            if why is not None:
                return self._refusal(agent, score, draft, why=why)
        return AnswerOut(
            answer=generation.text,
            citations=[_citation(hit) for hit in draft.cited],
            confidence=score,
            threshold=agent.confidence_threshold,
            handoff=Handoff(triggered=False),
            **_usage(draft),
        )

    def _refusal(
        self, agent: Agent, score: float, draft: Draft, why: str | None = None
    ) -> AnswerOut:
        if why is None and draft.evidence.contradicted:
            why = "the passages found say another size or model than the question names"
        if why is None and draft.evidence.unpriced:
            why = "the question asks for a price and the passages found give none"
        why = why or (
            f"confidence {score:.2f} is below the agent's threshold "
            f"{agent.confidence_threshold:.2f}"
            if draft.hits
            else "nothing in the agent's knowledge matches the question"
        )
        return AnswerOut(
            answer=f"{NOT_FOUND} {agent.handoff_message}",
            citations=[],
            confidence=score,
            threshold=agent.confidence_threshold,
            handoff=Handoff(
                triggered=True, trigger="low_confidence", reason=f"Low confidence: {why}."
            ),
            answered=False,
            gap=True,
            **_usage(draft),
        )

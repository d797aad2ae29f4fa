"""The generator interface and the request it receives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field

import numpy as np

from frontdesk.answering.generators.tools import Tools
from frontdesk.errors import FrontdeskError
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.vectors import TermStats


class GeneratorFailed(FrontdeskError):
    """A model could not write this reply (down, slow, refused, garbled): answer without it."""

    status = 503
    code = "generator_failed"


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    passages: list[Hit]
    instructions: str = ""
    language: str = "en"
    query_vector: np.ndarray | None = None
    terms: TermStats | None = None
    # The conversation so far, oldest first: (author, text) with author visitor, ai or member.
    history: tuple[tuple[str, str], ...] = ()
    # What the model may call while it writes (only given to a generator that ``calls_tools``).
    tools: Tools | None = None
    # Embeds short texts with the retrieval model (as ``query_vector`` was), off the event
    # loop: a generator may compare the passages' sentences with the question by meaning.
    embed: Callable[[list[str]], Awaitable[np.ndarray]] | None = None


@dataclass(frozen=True)
class Generation:
    text: str
    cited: list[int] = field(default_factory=list)
    # What a model read and wrote (Anthropic's input and output tokens, OpenAI's prompt and
    # completion tokens); 0 for the extractive generator.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Which model wrote it, as the agent names it (a GGUF file's name for the local one);
    # "" when no model did.
    model: str = ""
    # The cosine between the question and the passage text the reply was taken from, when
    # the generator measured it (the extractive one does); None otherwise.
    similarity: float | None = None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Usage:
    """What a streamed reply came to, filled in when the stream ends: its token counts and
    the passages it cited (0-based)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cited: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# Receives a reply's visible text piece by piece while a model writes it.
Listener = Callable[[str], Awaitable[None]]
# Chat messages for a model: {"role": "system" | "user" | "assistant", "content": text}.
Chat = list[dict[str, str]]


class Generator(ABC):
    name: str
    # The model this generator runs, as its settings name it; "" for no model.
    model: str = ""
    # Whether ``stream`` hands out the reply as it is written (a model), rather than whole.
    streams: bool = False
    # Whether the model can call the agent's tools (request.tools) while it writes.
    calls_tools: bool = False
    # Whether ``complete`` has a model to ask (the extractive generator has none).
    completes: bool = False

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> Generation:
        """Compose a reply grounded in ``request.passages``; ``cited`` indexes them."""

    async def complete(self, chat: Chat, max_tokens: int) -> Generation:
        """A short text the model writes for ``chat`` (a summary, a title), with its retries,
        deadline and egress rules; nothing is cited. Without a model: GeneratorFailed."""
        raise GeneratorFailed(f"The {self.name} generator has no model to write with.")

    async def stream(self, request: GenerationRequest, usage: Usage) -> AsyncIterator[str]:
        """Yield the reply in pieces, citation markers left out; ``usage`` is filled in when
        the stream ends. Generators that cannot stream yield it whole."""
        generation = await self.generate(request)
        usage.prompt_tokens = generation.prompt_tokens
        usage.completion_tokens = generation.completion_tokens
        usage.cited = list(generation.cited)
        yield generation.text

    async def write(self, request: GenerationRequest, listener: Listener | None) -> Generation:
        """The reply; with a ``listener``, a model that streams hands it each piece as it
        writes it. Leaving early (cancelled) stops the model."""
        if listener is None or not self.streams:
            return await self.generate(request)
        usage = Usage()
        pieces: list[str] = []
        async with aclosing(self.stream(request, usage)) as stream:  # type: ignore[type-var]
            async for piece in stream:
                pieces.append(piece)
                await listener(piece)
        return Generation(
            text="".join(pieces),
            cited=usage.cited,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            model=self.model,
        )

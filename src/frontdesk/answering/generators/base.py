"""The generator interface and the request it receives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np

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


@dataclass(frozen=True)
class Generation:
    text: str
    cited: list[int] = field(default_factory=list)
    tokens: int = 0


@dataclass
class Usage:
    """A streamed reply's token counts, filled in when the stream ends (the prompt's and the
    reply's: Anthropic's input and output tokens, OpenAI's prompt and completion tokens)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Generator(ABC):
    name: str

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> Generation:
        """Compose a reply grounded in ``request.passages``; ``cited`` indexes them."""

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """Yield the reply in pieces; generators that cannot stream yield it whole."""
        yield (await self.generate(request)).text

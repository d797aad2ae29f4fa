"""When a generator was called, when each token or piece came, when it was done.

The generator the answer pipeline asks for is wrapped (``Timed``, installed through
``AnswerService.generator_for``) to note when it is called, each piece it streams and when
it ends. The pipeline asks for a reply with ``write``, which a model streams here as it does
to a visitor; the local model's own tokens are also noted where the model hands them out
(``watch_model``: the same ``LocalModel.pieces`` that bench/local_model.py reads). Nothing
in the product changes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """One call of a generator: when it began and ended, when each token or piece came."""

    begun: float = field(default_factory=time.perf_counter)
    ended: float | None = None
    tokens: list[float] = field(default_factory=list)  # the local model's own tokens
    pieces: list[float] = field(default_factory=list)  # pieces streamed to the pipeline

    @property
    def marks(self) -> list[float]:
        return self.tokens or self.pieces

    @property
    def first(self) -> float | None:
        return self.marks[0] - self.begun if self.marks else None

    @property
    def rate(self) -> float | None:
        """Tokens (or pieces) after the first, over the time they took."""
        marks = self.marks
        if len(marks) < 3 or marks[-1] <= marks[0]:
            return None
        return (len(marks) - 1) / (marks[-1] - marks[0])

    @property
    def total(self) -> float | None:
        return None if self.ended is None else self.ended - self.begun


class Stopwatch:
    """The timing of the generator call in progress; answers are written one at a time."""

    def __init__(self) -> None:
        self.current: Timing | None = None
        self._lock = threading.Lock()

    def begin(self) -> None:
        self.current = Timing()

    def end(self) -> None:
        if self.current is not None:
            self.current.ended = time.perf_counter()

    def token(self) -> None:  # called from the model's worker thread
        with self._lock:
            if self.current is not None:
                self.current.tokens.append(time.perf_counter())

    def piece(self) -> None:
        if self.current is not None:
            self.current.pieces.append(time.perf_counter())

    def take(self) -> Timing | None:
        """The last call's timing (None when no generator was called: nothing retrieved)."""
        timing, self.current = self.current, None
        return timing


class Timed:
    """The agent's generator, unchanged, with the stopwatch around its calls.

    Not a Generator subclass: whatever else the pipeline asks of a generator is passed
    through untouched, so a changed interface needs no change here."""

    def __init__(self, inner: Any, watch: Stopwatch):
        self.inner = inner
        self.watch = watch

    async def generate(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.watch.begin()
        try:
            return await self.inner.generate(request, *args, **kwargs)
        finally:
            self.watch.end()

    async def stream(self, request: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.watch.begin()
        try:
            async for piece in self.inner.stream(request, *args, **kwargs):
                self.watch.piece()
                yield piece
        finally:
            self.watch.end()

    async def write(self, request: Any, listener: Any = None) -> Any:
        """As the pipeline asks for a reply: always streamed here (a model streams to a
        visitor's widget), each piece noted as it comes."""
        self.watch.begin()

        async def noted(piece: str) -> None:
            self.watch.piece()
            if listener is not None:
                await listener(piece)

        try:
            return await self.inner.write(request, noted)
        finally:
            self.watch.end()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def timed_generators(runtime: Any, watch: Stopwatch) -> Callable[[], None]:
    """Time every generator the answer pipeline asks for; returns what undoes it."""
    answers = runtime.answers
    product = answers.generator_for
    answers.generator_for = lambda agent: Timed(product(agent), watch)

    def undo() -> None:
        answers.generator_for = product

    return undo


def watch_model(path: str, watch: Stopwatch) -> None:
    """Note each token the local model at ``path`` hands out (loads it, as its first use would)."""
    from frontdesk.answering.generators.local import load_model

    model = load_model(path)
    pieces = model.pieces
    if getattr(pieces, "watched", False):
        return

    def watched(*args: Any, **kwargs: Any) -> Iterator[str]:
        with contextlib.closing(pieces(*args, **kwargs)) as inner:
            for piece in inner:
                watch.token()
                yield piece

    watched.watched = True  # type: ignore[attr-defined]
    model.pieces = watched  # type: ignore[method-assign]

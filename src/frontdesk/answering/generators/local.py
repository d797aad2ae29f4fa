"""The `local` generator: the owner's GGUF model run on the CPU by llama.cpp (cyllama).

A model is loaded once per file and process and shared by every agent that names it: the
weights are the process's memory, not an agent's. llama.cpp's context is not thread-safe,
so one generation runs at a time per model; each runs in a worker thread, never on the
event loop, and hands its pieces to the loop as they come. A consumer that stops reading
stops the generation at the next token.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontdesk.agents.generators import INSTALL_LOCAL
from frontdesk.answering.generators.base import (
    Chat,
    Generation,
    GenerationRequest,
    Generator,
    GeneratorFailed,
    Usage,
)
from frontdesk.answering.generators.prompt import Message, ReplyReader, messages
from frontdesk.errors import FrontdeskError

DEFAULT_THREADS = 2
DEFAULT_MAX_TOKENS = 256


class GeneratorUnavailable(FrontdeskError):
    status = 503
    code = "generator_unavailable"


@dataclass
class Run:
    """One generation's counts, filled in by the worker thread."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class LocalModel:
    """A loaded GGUF model; ``pieces`` runs one generation at a time."""

    def __init__(self, path: Path):
        # Read by the OpenMP runtime when llama.cpp loads: without it 2 threads on a busy
        # 2-core box spin-wait against each other and run 5-10 times slower.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            from cyllama import LLM
        except ImportError as exc:
            raise GeneratorUnavailable(
                f"The local generator needs llama.cpp: {INSTALL_LOCAL}", field="generator"
            ) from exc

        class Llm(LLM):
            """cyllama's LLM with the thread count applied to every context it makes.

            cyllama 0.2.18 (pinned) has no thread setting and llama.cpp defaults to 4."""

            threads = DEFAULT_THREADS
            run = Run()

            def _ensure_context(self, prompt_length: int, config: Any) -> Any:
                ctx = super()._ensure_context(prompt_length, config)
                ctx.set_n_threads(self.threads, self.threads)
                self.run.prompt_tokens = prompt_length
                return ctx

        self.path = path
        self._llm = Llm(str(path), temperature=0.0, max_tokens=DEFAULT_MAX_TOKENS)
        self._lock = threading.Lock()

    def pieces(
        self,
        chat: list[Message],
        threads: int,
        max_tokens: int,
        temperature: float,
        run: Run,
        stop: threading.Event,
    ) -> Iterator[str]:
        """The reply token by token, until done or ``stop`` is set (blocking: call it from a
        worker thread)."""
        from cyllama import GenerationConfig

        config = GenerationConfig(max_tokens=max_tokens, temperature=temperature)
        with self._lock:
            if stop.is_set():
                return
            self._llm.threads, self._llm.run = threads, run
            stream = self._llm.chat(chat, config=config, stream=True)
            try:
                for piece in stream:
                    run.completion_tokens += 1
                    yield piece
                    if stop.is_set():
                        break
            finally:
                stream.close()  # releases cyllama's own busy lock if we stopped early


_models: dict[Path, LocalModel] = {}
_loading = threading.Lock()


def load_model(path: str | Path) -> LocalModel:
    """The model at ``path``, loaded on first use and kept for the life of the process."""
    key = Path(path).resolve()
    with _loading:
        if key not in _models:
            _models[key] = LocalModel(key)
        return _models[key]


class LocalGenerator(Generator):
    name = "local"
    streams = completes = True

    def __init__(
        self,
        model_path: str | Path,
        threads: int = DEFAULT_THREADS,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0,
    ):
        self.model_path = Path(model_path)
        self.model = self.model_path.name
        self.threads = threads
        self.max_tokens = max_tokens
        self.temperature = temperature

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LocalGenerator:
        """From an agent's ``generator_config`` (checked when the agent was saved)."""
        return cls(
            config["model_path"],
            threads=config.get("threads", DEFAULT_THREADS),
            max_tokens=config.get("max_tokens", DEFAULT_MAX_TOKENS),
            temperature=config.get("temperature", 0.0),
        )

    async def generate(self, request: GenerationRequest) -> Generation:
        reader = ReplyReader(len(request.passages))
        run = Run()
        async with aclosing(self._raw(messages(request), self.max_tokens, run)) as pieces:
            async for piece in pieces:
                reader.feed(piece)
        reader.close()
        return Generation(
            text=reader.text,
            cited=reader.cited,
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
            model=self.model,
        )

    async def stream(self, request: GenerationRequest, usage: Usage) -> AsyncIterator[str]:
        """The reply as it is written, citation markers left out."""
        reader = ReplyReader(len(request.passages))
        run = Run()
        # Closed with this stream, at once: a reader that leaves stops the model.
        async with aclosing(self._raw(messages(request), self.max_tokens, run)) as pieces:
            async for piece in pieces:
                if text := reader.feed(piece):
                    yield text
        if text := reader.close():
            yield text
        usage.prompt_tokens, usage.completion_tokens = run.prompt_tokens, run.completion_tokens
        usage.cited = reader.cited

    async def complete(self, chat: Chat, max_tokens: int) -> Generation:
        run = Run()
        async with aclosing(self._raw(chat, max_tokens, run)) as pieces:
            text = "".join([piece async for piece in pieces]).strip()
        if not text:
            raise GeneratorFailed("The local model wrote nothing.")
        return Generation(
            text=text,
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
            model=self.model,
        )

    async def _raw(self, chat: Chat, max_tokens: int, run: Run) -> AsyncGenerator[str, None]:
        """The model's own pieces, produced in a worker thread and handed to this loop."""
        model = await asyncio.to_thread(load_model, self.model_path)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for piece in model.pieces(
                    chat, self.threads, max_tokens, self.temperature, run, stop
                ):
                    loop.call_soon_threadsafe(queue.put_nowait, piece)
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except BaseException as exc:
                loop.call_soon_threadsafe(queue.put_nowait, exc)

        worker = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            await asyncio.shield(worker)

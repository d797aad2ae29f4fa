"""The `local` generator running the packaged SmolLM2 model on the CPU.

SmolLM2-135M is too weak to judge answers by: these tests check the protocol (a reply,
streamed in pieces, tokens counted, citations that exist) and leave quality to the gate.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from frontdesk.answering.generators.base import Usage
from frontdesk.answering.generators.local import LocalGenerator, LocalModel, load_model
from llm_fixtures import REQUEST


async def test_answers_from_two_passages_streaming_what_it_returns(
    local_generator: LocalGenerator,
) -> None:
    usage = Usage()
    pieces = [piece async for piece in local_generator.stream(REQUEST, usage)]
    generation = await local_generator.generate(REQUEST)

    assert generation.text.strip()
    assert len(pieces) > 1, pieces
    # Greedy decoding: the streamed reply is the reply, markers left out of both.
    assert "".join(pieces) == generation.text
    assert all(0 <= i < len(REQUEST.passages) for i in generation.cited)
    assert len(set(generation.cited)) == len(generation.cited)
    assert "[" not in generation.text or "]" not in generation.text
    # The prompt (instructions, two passages, the question) and the reply are counted.
    assert generation.tokens > 100
    # Which model wrote it: the GGUF file's name.
    assert generation.model == local_generator.model_path.name
    # The stream ends with what the plain call returns: citations and counts.
    assert usage.cited == generation.cited
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        generation.prompt_tokens,
        generation.completion_tokens,
    )


async def test_one_model_per_file_and_process(
    packaged_model: LocalModel, local_generator: LocalGenerator
) -> None:
    assert load_model(local_generator.model_path) is packaged_model
    assert load_model(str(packaged_model.path)) is packaged_model


async def test_generation_runs_off_the_event_loop(local_generator: LocalGenerator) -> None:
    """While the model writes, the loop keeps serving: a ticker runs between its pieces."""
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    await local_generator.generate(REQUEST)
    took = time.monotonic() - started
    done.set()
    await task
    assert took > 0.05
    assert len(ticks) >= 3
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < took / 2


async def test_a_reader_that_stops_early_stops_the_model(
    packaged_model: LocalModel, local_generator: LocalGenerator
) -> None:
    """Leaving the stream ends the generation; the model is free for the next one at once."""
    long = LocalGenerator(packaged_model.path, max_tokens=400)
    stream = long.stream(REQUEST, Usage())
    first = await anext(stream)
    assert first
    await stream.aclose()
    # Closed means stopped: the model is not writing the other 399 tokens for nobody.
    assert packaged_model._lock.acquire(blocking=False)
    packaged_model._lock.release()

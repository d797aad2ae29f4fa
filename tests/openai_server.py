"""An OpenAI-compatible server for tests: the packaged SmolLM2 behind /v1/chat/completions.

Real model, real HTTP, OpenAI's wire format (JSON, and SSE chunks ending in ``data: [DONE]``).
A test sets ``behaviour`` to make it misbehave as real servers do: HTTP 429 with Retry-After
for the first calls, 500, no answer at all, or a reply cut off mid-JSON.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from frontdesk.answering.generators.local import LocalModel, Run
from support import ServerThread

MODEL = "smollm2-135m-instruct"
API_KEY = "sk-test-9f2c4e7a1b3d5f60"


@dataclass
class Behaviour:
    rate_limited: int = 0  # the first N calls get 429 with Retry-After
    retry_after: str = "1"
    failing: int = 0  # the first N calls (after the rate-limited ones) get 500
    hang: bool = False  # no answer until the client gives up
    malformed: bool = False  # the reply is cut off in the middle of its JSON
    pace_s: float = 0.0  # a slow server: this long between streamed pieces


@dataclass
class Seen:
    """One request as the server received it."""

    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class OpenAIServer:
    model: LocalModel
    api_key: str = API_KEY
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[Seen] = field(default_factory=list)
    url: str = ""
    # Set when a client left a stream before its end (the model is then stopped).
    stream_cut: threading.Event = field(default_factory=threading.Event)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.completions, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"]),
            ]
        )

    def reset(self) -> None:
        self.behaviour = Behaviour()
        self.requests.clear()
        self.stream_cut.clear()

    async def models(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        model = {"id": MODEL, "object": "model", "created": 0, "owned_by": "tests"}
        return JSONResponse({"object": "list", "data": [model]})

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(Seen(dict(request.headers), body))
        if denied := self._denied(request):
            return denied
        calls, rules = len(self.requests), self.behaviour
        if calls <= rules.rate_limited:
            return _error(429, "rate_limit_exceeded", {"Retry-After": rules.retry_after})
        if calls <= rules.rate_limited + rules.failing:
            return _error(500, "server_error")
        if rules.hang:
            while not await request.is_disconnected():
                await asyncio.sleep(0.05)
            return Response(status_code=499)
        chat = body["messages"]
        max_tokens = int(body.get("max_tokens") or 64)
        temperature = float(body.get("temperature", 1.0))
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = self._chunks(chat, max_tokens, temperature, usage)
            return StreamingResponse(chunks, media_type="text/event-stream")
        if rules.malformed:
            return Response(
                '{"id": "chatcmpl-1", "choices": [{"mess', media_type="application/json"
            )
        run = Run()
        text = "".join(
            [piece async for piece in _generate(self.model, chat, max_tokens, temperature, run)]
        )
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "length"
                        if run.completion_tokens >= max_tokens
                        else "stop",
                    }
                ],
                "usage": _usage(run),
            }
        )

    async def _chunks(
        self, chat: list[dict[str, str]], max_tokens: int, temperature: float, usage: bool
    ) -> AsyncIterator[str]:
        stamp = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk"}
        stamp |= {"created": int(time.time()), "model": MODEL}

        def chunk(delta: dict[str, str], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return f"data: {json.dumps({**stamp, 'choices': [choice]})}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        if self.behaviour.malformed:
            yield 'data: {"id": "chatcmpl-1", "choices": [{"delta": {"cont\n\n'
            return
        run = Run()
        ended = False
        try:
            async for piece in _generate(self.model, chat, max_tokens, temperature, run):
                yield chunk({"content": piece})
                if self.behaviour.pace_s:
                    await asyncio.sleep(self.behaviour.pace_s)
            ended = True
        finally:
            if not ended:
                self.stream_cut.set()
        yield chunk({}, "length" if run.completion_tokens >= max_tokens else "stop")
        if usage:
            yield f"data: {json.dumps({**stamp, 'choices': [], 'usage': _usage(run)})}\n\n"
        yield "data: [DONE]\n\n"

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_api_key")
        return None


def _usage(run: Run) -> dict[str, int]:
    total = run.prompt_tokens + run.completion_tokens
    return {
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "total_tokens": total,
    }


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> Response:
    error = {"message": code.replace("_", " "), "type": code, "code": code, "param": None}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def _generate(
    model: LocalModel, chat: list[dict[str, str]], max_tokens: int, temperature: float, run: Run
) -> AsyncIterator[str]:
    """The model's pieces, written in a worker thread; a client that leaves stops it."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for piece in model.pieces(chat, 2, max_tokens, temperature, run, stop):
                loop.call_soon_threadsafe(queue.put_nowait, piece)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        while (piece := await queue.get()) is not None:
            yield piece
    finally:
        stop.set()
        await asyncio.shield(worker)


def answer_through(
    client: httpx.Client, accounts: Any, agent: dict[str, Any], server: OpenAIServer, **more: Any
) -> None:
    """Set ``agent`` to answer through ``server`` as its admin would: the key stored as a
    workspace secret, the loopback host allowed, the agent's generator changed."""
    stored = client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY})
    assert stored.status_code in (200, 201), stored.text
    accounts.allow_hosts(server.url.removeprefix("http://"))
    config = {"base_url": f"{server.url}/v1", "model": MODEL, "api_key_secret": "LLM_KEY", **more}
    changed = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"generator": "openai", "generator_config": config}
    )
    assert changed.status_code == 200, changed.text


@pytest.fixture(scope="session")
def openai_server_thread(packaged_model: LocalModel) -> Iterator[OpenAIServer]:
    served = OpenAIServer(packaged_model)
    with ServerThread(served.app(), lifespan="off") as thread:
        served.url = thread.url
        yield served


@pytest.fixture
def openai_server(openai_server_thread: OpenAIServer) -> Iterator[OpenAIServer]:
    """The server, well-behaved and with no requests seen, for one test to configure."""
    openai_server_thread.reset()
    yield openai_server_thread
    openai_server_thread.reset()

"""An OpenAI-compatible server for tests: the packaged SmolLM2 behind /v1/chat/completions.

Real model, real HTTP, OpenAI's wire format (JSON, and SSE chunks ending in ``data: [DONE]``).
A test sets ``behaviour`` to make it misbehave as real servers do: HTTP 429 with Retry-After
for the first calls, 500, no answer at all, or a reply cut off mid-JSON.

Tools: a request that lists ``tools`` (``tool_choice`` not "none") and holds no tool result
since the user's last message is answered with a tool call (``finish_reason`` "tool_calls"),
which the model writes under a grammar (tests/tool_calls.py); any other request gets text.
SmolLM2-135M cannot cite what a tool returned, so a test that needs a capable model's
answer sets ``behaviour.quote_tool_results``: a request ending in a tool result is then
answered with that result's lines and its passage marker, e.g. "status: shipped [2]";
``behaviour.keep_calling`` makes it call a tool whenever ``tool_choice`` allows.
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
from tool_calls import CallWriter, WrittenCall

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
    quote_tool_results: bool = False  # answer a tool result by quoting it with its marker
    keep_calling: bool = False  # call a tool whenever tool_choice allows, results or not


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
    _writer: CallWriter | None = None

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
        chat = _chat(body["messages"])
        max_tokens = int(body.get("max_tokens") or 64)
        temperature = float(body.get("temperature", 1.0))
        tools = [t["function"] for t in body.get("tools") or []]
        answered = _tool_answered(body) and not rules.keep_calling
        if tools and body.get("tool_choice", "auto") != "none" and not answered:
            if self._writer is None:
                self._writer = CallWriter(self.model.path)
            call = await asyncio.to_thread(self._writer.write, chat, tools)
            return self._tool_call(call, bool(body.get("stream")))
        quoted = _quoted(body["messages"]) if rules.quote_tool_results else None
        if quoted is not None:
            return self._text(quoted, bool(body.get("stream")))
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

    def _tool_call(self, call: WrittenCall, stream: bool) -> Response:
        stamp = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": MODEL}
        usage = {
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": call.completion_tokens,
            "total_tokens": call.prompt_tokens + call.completion_tokens,
        }
        arguments = json.dumps(call.arguments)
        function = {"name": call.name, "arguments": arguments}
        tool_call = {
            "id": f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": function,
        }
        if not stream:
            message = {"role": "assistant", "content": None, "tool_calls": [tool_call]}
            choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
            body = {**stamp, "object": "chat.completion", "choices": [choice], "usage": usage}
            return JSONResponse(body)
        half = len(arguments) // 2
        deltas: list[dict[str, Any]] = [
            {"role": "assistant", "content": None},
            # The call's name first, its arguments in two pieces: as OpenAI streams one.
            {
                "tool_calls": [
                    {**tool_call, "index": 0, "function": {"name": call.name, "arguments": ""}}
                ]
            },
            {"tool_calls": [{"index": 0, "function": {"arguments": arguments[:half]}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]},
        ]
        chunk = {**stamp, "object": "chat.completion.chunk"}
        lines = [
            {**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            for delta in deltas
        ]
        lines.append(
            {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
        )
        lines.append({**chunk, "choices": [], "usage": usage})
        events = "".join(f"data: {json.dumps(line)}\n\n" for line in lines) + "data: [DONE]\n\n"
        return Response(events, media_type="text/event-stream")

    def _text(self, text: str, stream: bool) -> Response:
        """A reply written here, not by the model (see the module's docstring)."""
        stamp = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": MODEL}
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        if not stream:
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return JSONResponse(
                {**stamp, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
        chunk = {**stamp, "object": "chat.completion.chunk"}
        lines = [
            {
                **chunk,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": text},
                        "finish_reason": None,
                    }
                ],
            },
            {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
        events = "".join(f"data: {json.dumps(line)}\n\n" for line in lines) + "data: [DONE]\n\n"
        return Response(events, media_type="text/event-stream")

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_api_key")
        return None


def _chat(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The messages as the model's chat template takes them: role and text only."""
    chat = []
    for message in messages:
        content = message.get("content") or ""
        if not isinstance(content, str):
            content = "".join(part.get("text", "") for part in content)
        calls = message.get("tool_calls") or []
        called = [
            {"name": c["function"]["name"], "arguments": c["function"]["arguments"]} for c in calls
        ]
        if called:
            content = "\n".join(filter(None, [content, json.dumps(called)]))
        chat.append({"role": message["role"], "content": content})
    return chat


def _tool_answered(body: dict[str, Any]) -> bool:
    """Whether a tool result came after the user's last message."""
    roles = [message["role"] for message in body["messages"]]
    last_user = max((i for i, role in enumerate(roles) if role == "user"), default=-1)
    return "tool" in roles[last_user + 1 :]


def _quoted(messages: list[dict[str, Any]]) -> str | None:
    """ "[2] Order system\nstatus: shipped" -> "status: shipped [2]", if the chat ends so."""
    last = messages[-1]
    if last["role"] != "tool":
        return None
    head, _, rest = str(last["content"]).partition("\n")
    marker = head.split(" ", 1)[0]
    if not (marker.startswith("[") and marker.endswith("]")):
        return None
    return f"{'; '.join(line for line in rest.splitlines() if line)} {marker}."


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


def endpoint_config(base_url: str, **more: Any) -> dict[str, Any]:
    """An agent's ``generator_config`` for the server at ``base_url`` (key: secret LLM_KEY)."""
    return {
        "base_url": f"{base_url}/v1",
        "model": MODEL,
        "api_key_secret": "LLM_KEY",
        "max_tokens": 24,
        **more,
    }


def answer_through(
    client: httpx.Client, accounts: Any, agent: dict[str, Any], server: OpenAIServer, **more: Any
) -> None:
    """Set ``agent`` to answer through ``server`` as its admin would: the key stored as a
    workspace secret, the loopback host allowed, the agent's generator changed."""
    stored = client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY})
    assert stored.status_code in (200, 201), stored.text
    accounts.allow_hosts(server.url.removeprefix("http://"))
    config = endpoint_config(server.url, **more)
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

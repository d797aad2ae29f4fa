"""A stand-in for Anthropic's Messages API: the real wire format, the real small model.

POST /v1/messages answers as api.anthropic.com does — JSON, or server-sent events in the
API's order (message_start, content_block_start, ping, content_block_delta..., then
content_block_stop, message_delta with the usage, message_stop) — with text written by the
packaged SmolLM2 through LocalModel; nothing is canned. It checks x-api-key and
anthropic-version like the real API and answers errors in its shape. A test sets what the
next requests meet (a 429 with Retry-After, a 529 overload, a hang, a broken stream) and
reads what each request carried.

Tools: a request that lists ``tools`` (``tool_choice`` not "none") and holds no tool result
since the user's last words is answered with a ``tool_use`` block (stop_reason "tool_use",
streamed as input_json_delta pieces), which the model writes under a grammar
(tests/tool_calls.py); any other request gets text. SmolLM2-135M cannot cite what a tool
returned, so a test that needs a capable model's answer sets
``behaviour.quote_tool_results``: a request ending in a tool result is then answered with
that result's lines and its passage marker, e.g. "status: shipped [2]".
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

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from frontdesk.answering.generators.local import LocalModel, Run
from support import ServerThread
from tool_calls import CallWriter, WrittenCall

MAX_TOKENS = 40  # the test model is small but not instant: replies stay short
# The API version from which sampling settings are refused (the SDK 2.x default).
SAMPLING_REFUSED = "2026-10-21"


@dataclass
class Seen:
    """One request as it arrived, and the usage it was answered with."""

    at: float
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    text: str = ""


@dataclass
class Behaviour:
    rate_limited: int = 0  # the next n requests get 429 with `retry_after`
    retry_after: str = "1"
    overloaded: int = 0  # the next n requests get 529
    hang: bool = False  # requests get no answer (until the server stops)
    malformed: bool = False  # replies are cut: a JSON body mid-way, a stream after one piece
    quote_tool_results: bool = False  # answer a tool result by quoting it with its marker


def _error(status: int, kind: str, message: str, **headers: str) -> JSONResponse:
    body = {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": f"req_{uuid.uuid4().hex[:24]}",
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _text(content: Any) -> str:
    """A turn's text for the model: its words, tool calls as JSON, tool results as text."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if block.get("type") == "text":
            parts.append(block["text"])
        elif block.get("type") == "tool_use":
            parts.append(json.dumps({"name": block["name"], "arguments": block["input"]}))
        elif block.get("type") == "tool_result":
            parts.append(_text(block.get("content") or ""))
    return "\n".join(parts)


def _tool_answered(messages: list[dict[str, Any]]) -> bool:
    """Whether a tool result came after the user's last words."""
    for message in reversed(messages):
        content = message["content"]
        blocks = [{"type": "text"}] if isinstance(content, str) else content
        if message["role"] == "user" and any(b.get("type") == "tool_result" for b in blocks):
            return True
        if message["role"] == "user" and any(b.get("type") == "text" for b in blocks):
            return False
    return False


def _quoted(messages: list[dict[str, Any]]) -> str | None:
    """ "[2] Order system\nstatus: shipped" -> "status: shipped [2]", if the chat ends so."""
    content = messages[-1]["content"]
    results = (
        [] if isinstance(content, str) else [b for b in content if b.get("type") == "tool_result"]
    )
    if messages[-1]["role"] != "user" or not results:
        return None
    head, _, rest = _text(results[-1].get("content") or "").partition("\n")
    marker = head.split(" ", 1)[0]
    if not (marker.startswith("[") and marker.endswith("]")):
        return None
    return f"{'; '.join(line for line in rest.splitlines() if line)} {marker}."


class AnthropicServer:
    def __init__(self, model: LocalModel, api_key: str):
        self.model = model
        self.api_key = api_key
        self.behaviour = Behaviour()
        self.seen: list[Seen] = []
        self._writer: CallWriter | None = None
        self._released = threading.Event()
        self.app = Starlette(routes=[Route("/v1/messages", self.messages, methods=["POST"])])

    def __enter__(self) -> AnthropicServer:
        # A hanging request must not hold the server's shutdown for long.
        self._thread = ServerThread(self.app, lifespan="off", timeout_graceful_shutdown=1)
        self._thread.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._thread.__exit__(*exc)

    @property
    def url(self) -> str:
        return self._thread.url

    @property
    def host(self) -> str:
        """What a workspace admin allows for this server: ``127.0.0.1:port``."""
        return f"127.0.0.1:{self._thread.port}"

    async def messages(self, request: Request) -> Response:
        body = await request.json()
        seen = Seen(time.monotonic(), dict(request.headers), body)
        self.seen.append(seen)
        response = await self._answer(request, body, seen)
        seen.status = response.status_code
        return response

    async def _answer(self, request: Request, body: dict[str, Any], seen: Seen) -> Response:
        if request.headers.get("x-api-key") != self.api_key:
            return _error(401, "authentication_error", "invalid x-api-key")
        version = request.headers.get("anthropic-version", "")
        if not version:
            return _error(400, "invalid_request_error", "anthropic-version: header is required")
        if "temperature" in body and version >= SAMPLING_REFUSED:
            return _error(
                400, "invalid_request_error", "temperature: Extra inputs are not permitted"
            )
        behaviour = self.behaviour
        if behaviour.rate_limited:
            behaviour.rate_limited -= 1
            return _error(
                429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit.",
                **{"retry-after": behaviour.retry_after},
            )
        if behaviour.overloaded:
            behaviour.overloaded -= 1
            return _error(529, "overloaded_error", "Overloaded")
        if behaviour.hang:
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return _error(500, "api_error", "released")
        chat = [{"role": "system", "content": _text(body.get("system", ""))}]
        chat += [{"role": m["role"], "content": _text(m["content"])} for m in body["messages"]]
        max_tokens = min(int(body["max_tokens"]), MAX_TOKENS)
        temperature = 0.0  # greedy whatever was asked, so that tests can compare replies
        tools = [
            {
                "name": t["name"],
                "description": t.get("description", ""),
                "parameters": t["input_schema"],
            }
            for t in body.get("tools") or []
        ]
        choice = (body.get("tool_choice") or {}).get("type", "auto")
        if tools and choice != "none" and not _tool_answered(body["messages"]):
            if self._writer is None:
                self._writer = CallWriter(self.model.path)
            call = await asyncio.to_thread(self._writer.write, chat, tools)
            return self._tool_use(body["model"], call, bool(body.get("stream")), seen)
        quoted = _quoted(body["messages"]) if behaviour.quote_tool_results else None
        if quoted is not None:
            return self._written(body["model"], quoted, bool(body.get("stream")), seen)
        if body.get("stream"):
            events = self._events(body["model"], chat, max_tokens, temperature, seen)
            return StreamingResponse(events, media_type="text/event-stream")
        if behaviour.malformed:
            return Response(
                '{"id": "msg_1", "type": "message", "content": [{"ty',
                200,
                media_type="application/json",
            )
        run = Run()
        pieces = await asyncio.to_thread(
            lambda: list(self._pieces(chat, max_tokens, temperature, run))
        )
        seen.text = "".join(pieces)
        seen.usage = {"input_tokens": run.prompt_tokens, "output_tokens": run.completion_tokens}
        return JSONResponse(
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": seen.text}],
                "stop_reason": "max_tokens" if run.completion_tokens >= max_tokens else "end_turn",
                "stop_sequence": None,
                "usage": seen.usage,
            }
        )

    def _tool_use(self, model: str, call: WrittenCall, stream: bool, seen: Seen) -> Response:
        seen.usage = {"input_tokens": call.prompt_tokens, "output_tokens": call.completion_tokens}
        block = {
            "type": "tool_use",
            "id": f"toolu_{uuid.uuid4().hex[:24]}",
            "name": call.name,
            "input": call.arguments,
        }
        seen.text = json.dumps({"name": call.name, "arguments": call.arguments})
        return self._message(model, [block], "tool_use", stream, seen.usage)

    def _written(self, model: str, text: str, stream: bool, seen: Seen) -> Response:
        """A reply written here, not by the model (see the module's docstring)."""
        seen.usage, seen.text = {"input_tokens": 0, "output_tokens": 0}, text
        return self._message(
            model, [{"type": "text", "text": text}], "end_turn", stream, seen.usage
        )

    def _message(
        self,
        model: str,
        blocks: list[dict[str, Any]],
        stop: str,
        stream: bool,
        usage: dict[str, int],
    ) -> Response:
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        if not stream:
            return JSONResponse(message)
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {**usage, "output_tokens": 1},
        }
        events = [_sse("message_start", {"type": "message_start", "message": start})]
        for index, block in enumerate(blocks):
            if block["type"] == "tool_use":
                opened = {**block, "input": {}}
                whole = json.dumps(block["input"])
                half = len(whole) // 2
                deltas = [
                    {"type": "input_json_delta", "partial_json": p}
                    for p in (whole[:half], whole[half:])
                ]
            else:
                opened = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": block["text"]}]
            events.append(
                _sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": opened},
                )
            )
            events += [
                _sse(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": d},
                )
                for d in deltas
            ]
            events.append(
                _sse("content_block_stop", {"type": "content_block_stop", "index": index})
            )
        events.append(
            _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            )
        )
        events.append(_sse("message_stop", {"type": "message_stop"}))
        return Response("".join(events), media_type="text/event-stream")

    def _pieces(
        self, chat: list[dict[str, str]], max_tokens: int, temperature: float, run: Run
    ) -> Iterator[str]:
        return self.model.pieces(chat, 2, max_tokens, temperature, run, threading.Event())

    async def _events(
        self,
        model: str,
        chat: list[dict[str, str]],
        max_tokens: int,
        temperature: float,
        seen: Seen,
    ) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        run = Run()

        def work() -> None:
            for piece in self._pieces(chat, max_tokens, temperature, run):
                loop.call_soon_threadsafe(queue.put_nowait, piece)
            loop.call_soon_threadsafe(queue.put_nowait, None)

        worker = asyncio.ensure_future(asyncio.to_thread(work))
        first = await queue.get()  # the prompt is counted once the model has read it
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": run.prompt_tokens, "output_tokens": 1},
        }
        yield _sse("message_start", {"type": "message_start", "message": message})
        block = {"type": "text", "text": ""}
        yield _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        yield _sse("ping", {"type": "ping"})
        piece = first
        while piece is not None:
            seen.text += piece
            delta = {"type": "text_delta", "text": piece}
            yield _sse(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
            if self.behaviour.malformed:
                yield 'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
                await worker
                return
            piece = await queue.get()
        await worker
        seen.usage = {"input_tokens": run.prompt_tokens, "output_tokens": run.completion_tokens}
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        stop = "max_tokens" if run.completion_tokens >= max_tokens else "end_turn"
        yield _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": run.completion_tokens},
            },
        )
        yield _sse("message_stop", {"type": "message_stop"})

"""The `anthropic` generator: Claude through the Messages API, with the official SDK.

Retries are ours, not the SDK's: a rate limit (429), an overload (529) or a server error is
tried again at most ``RETRIES`` times, after the wait the API asks for when it is short
enough for a visitor who is waiting, else not at all. A timeout is not retried: it already
cost the whole wait. Anything else that goes wrong is a ``GeneratorFailed``.

Tools (``request.tools``) are offered as ``tools`` with ``tool_choice`` auto; a turn with
``tool_use`` blocks has them run and answered with ``tool_result`` blocks in a user turn, and
the model is asked again, with tool_choice none once the tools' bounds are reached (tools.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any, TypeVar, cast

import anthropic
import httpx2
from anthropic.lib.streaming import AsyncMessageStream

from frontdesk.answering.generators.base import (
    Chat,
    Generation,
    GenerationRequest,
    Generator,
    GeneratorFailed,
    Usage,
)
from frontdesk.answering.generators.prompt import Message, ReplyReader, messages, parse_reply
from frontdesk.answering.generators.remote import Access, AccessFor
from frontdesk.answering.generators.tools import ToolCall, Tools
from frontdesk.net.checked import checked_client2
from frontdesk.net.egress import DestinationBlocked
from frontdesk.vault.redact import redacting_logs, scrub

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_TOKENS = 512
RETRIES = 2
# A longer Retry-After is not waited for: the visitor gets the fallback answer instead.
MAX_RETRY_WAIT_S = 10.0
BACKOFF_S = 0.5


def conversation(chat: Chat) -> tuple[str, list[Message]]:
    """The system prompt, and turns that start with the visitor and alternate.

    The Messages API takes the system prompt apart and refuses two turns of one role in a
    row: consecutive turns are joined, and what the AI said before the visitor's first
    message (its greeting) is left out."""
    turns: list[Message] = []
    for message in chat[1:]:
        role = message["role"]
        if not turns and role != "user":
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] = f"{turns[-1]['content']}\n\n{message['content']}"
        else:
            turns.append(dict(message))
    return chat[0]["content"], turns


def _retry_wait(exc: anthropic.APIStatusError, attempt: int) -> float | None:
    """Seconds to wait before trying again, or None when this failure is final."""
    status = exc.status_code
    if attempt >= RETRIES or not (status in (408, 429) or status >= 500):
        return None
    headers = exc.response.headers
    try:
        if "retry-after-ms" in headers:
            asked = float(headers["retry-after-ms"]) / 1000
        elif "retry-after" in headers:
            asked = float(headers["retry-after"])
        else:
            return BACKOFF_S * 2**attempt
    except ValueError:
        return BACKOFF_S * 2**attempt
    return max(asked, 0.0) if asked <= MAX_RETRY_WAIT_S else None


def _blocked(exc: BaseException) -> DestinationBlocked | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DestinationBlocked):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _status_reason(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    kind = f" {error['type']}" if isinstance(error, dict) and error.get("type") else ""
    return f"HTTP {exc.status_code}{kind}"


def _uses(content: Any) -> list[Any]:
    return [block for block in content if block.type == "tool_use"]


async def _call(turns: list[dict[str, Any]], tools: Tools, content: Any) -> None:
    """Run the tools a turn called; the turn and the results join the conversation."""
    said = [
        {"type": "text", "text": block.text}
        if block.type == "text"
        else {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
        for block in content
        if block.type in ("text", "tool_use") and (block.type != "text" or block.text)
    ]
    turns.append({"role": "assistant", "content": said})
    uses = _uses(content)
    results = await tools.run([ToolCall(use.name, use.input) for use in uses])
    turns.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": use.id, "content": result}
                for use, result in zip(uses, results, strict=True)
            ],
        }
    )


class AnthropicGenerator(Generator):
    name = "anthropic"
    streams = completes = True
    calls_tools = True

    def __init__(
        self,
        model: str,
        api_key_secret: str,
        access: AccessFor,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float | None = None,
    ):
        self.model = model
        self.api_key_secret = api_key_secret
        self.access = access
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.temperature = temperature

    @classmethod
    def from_config(cls, config: dict[str, Any], access: AccessFor) -> AnthropicGenerator:
        """From an agent's ``generator_config`` (checked when the agent was saved)."""
        return cls(
            config["model"],
            config["api_key_secret"],
            access,
            base_url=config.get("base_url", DEFAULT_BASE_URL),
            timeout_s=config.get("timeout_s", DEFAULT_TIMEOUT_S),
            max_tokens=config.get("max_tokens", DEFAULT_MAX_TOKENS),
            temperature=config.get("temperature"),
        )

    def _params(
        self,
        system: str,
        turns: list[dict[str, Any]],
        tools: Tools | None = None,
        offer: bool = False,
        max_tokens: int | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "system": system,
            "messages": turns,
            "max_tokens": max_tokens or self.max_tokens,
        }
        if tools is not None:
            # Once offered they stay listed (the turns hold calls), "none" when it must answer.
            params["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in tools.offered
            ]
            params["tool_choice"] = {"type": "auto" if offer else "none"}
        if self.temperature is not None:
            # Not a parameter of the SDK any more: the API version it speaks refuses sampling
            # settings, but an older endpoint behind a proxy may still take one.
            params["extra_body"] = {"temperature": self.temperature}
        return params

    async def complete(self, chat: Chat, max_tokens: int) -> Generation:
        system, turns = conversation(chat)
        params = self._params(system, list(turns), max_tokens=max_tokens)
        async with self._client() as (client, access):

            async def create() -> anthropic.types.Message:
                async with asyncio.timeout(self.timeout_s):
                    return await client.messages.create(**params)

            reply = await self._attempts(create, access)
        text = "".join(block.text for block in reply.content if block.type == "text").strip()
        if not text:
            raise GeneratorFailed("Anthropic could not answer: the reply was empty.")
        return Generation(
            text=text,
            prompt_tokens=reply.usage.input_tokens,
            completion_tokens=reply.usage.output_tokens,
            model=self.model,
        )

    async def generate(self, request: GenerationRequest) -> Generation:
        system, chat = conversation(messages(request))
        turns: list[dict[str, Any]] = list(chat)
        tools = request.tools
        raw, usage = "", Usage()
        async with self._client() as (client, access):
            while True:
                offer = tools is not None and tools.open
                params = self._params(system, turns, tools, offer)

                async def create(params: dict[str, Any] = params) -> anthropic.types.Message:
                    async with asyncio.timeout(self.timeout_s):
                        return await client.messages.create(**params)

                reply = await self._attempts(create, access)
                usage.prompt_tokens += reply.usage.input_tokens
                usage.completion_tokens += reply.usage.output_tokens
                # What the model said before a call is part of its reply, as when streamed.
                raw += "".join(block.text for block in reply.content if block.type == "text")
                if tools is None or not offer or not _uses(reply.content):
                    break
                await _call(turns, tools, reply.content)
        text, cited = parse_reply(raw, tools.count if tools else len(request.passages))
        return Generation(
            text=text,
            cited=cited,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            model=self.model,
        )

    async def stream(self, request: GenerationRequest, usage: Usage) -> AsyncIterator[str]:
        """The reply as the API streams it, citation markers left out; ``usage`` gets the
        citations and the token counts once the stream has ended."""
        reader = ReplyReader(len(request.passages))
        system, chat = conversation(messages(request))
        turns: list[dict[str, Any]] = list(chat)
        tools = request.tools
        async with self._client() as (client, access):
            while True:
                offer = tools is not None and tools.open
                params = self._params(system, turns, tools, offer)

                async def opened(params: dict[str, Any] = params) -> AsyncMessageStream[None]:
                    # A new request each attempt: a stream manager sends its request once.
                    async with asyncio.timeout(self.timeout_s):
                        return await client.messages.stream(**params).__aenter__()

                events = await self._attempts(opened, access)
                # The whole turn has the one deadline; a silent server trips the read timeout.
                deadline = asyncio.get_running_loop().time() + self.timeout_s
                ended: list[Any] = []
                try:
                    pieces = self._pieces(events, access, deadline, usage, ended)
                    async with aclosing(pieces):
                        async for piece in pieces:
                            if text := reader.feed(piece):
                                yield text
                finally:
                    await events.close()
                content = ended[0].content if ended else []
                if tools is None or not offer or not _uses(content):
                    break
                await _call(turns, tools, content)
                reader.passages = tools.count
        if text := reader.close():
            yield text
        usage.cited = reader.cited

    async def _pieces(
        self,
        events: AsyncMessageStream[None],
        access: Access,
        deadline: float,
        usage: Usage,
        ended: list[Any],
    ) -> AsyncGenerator[str, None]:
        """The text pieces; ``ended`` gets the whole message. A stream that breaks, lingers or
        ends early fails."""
        loop = asyncio.get_running_loop()
        try:
            async for event in events:
                if event.type == "text":
                    yield event.text
                elif event.type == "message_stop":
                    usage.prompt_tokens += event.message.usage.input_tokens
                    usage.completion_tokens += event.message.usage.output_tokens
                    ended.append(event.message)
                    return
                if loop.time() > deadline:
                    raise TimeoutError
            raise ValueError("the stream ended before message_stop")
        except Exception as exc:
            raise self._failed(exc, access) from None

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[tuple[anthropic.AsyncAnthropic, Access]]:
        access = await self.access()
        if not access.api_key:
            raise GeneratorFailed(f"the workspace has no secret {self.api_key_secret}")
        client = anthropic.AsyncAnthropic(
            api_key=access.api_key,
            # The key goes in x-api-key, the API key's own header, and in no other.
            default_headers=cast(
                "dict[str, str]", {"x-api-key": access.api_key, "Authorization": anthropic.omit}
            ),
            base_url=self.base_url,
            timeout=self.timeout_s,
            max_retries=0,  # ours, bounded (see _attempts)
            http_client=checked_client2(access.allowed_hosts, self.timeout_s),
            open_telemetry=False,
        )
        try:
            yield client, access
        finally:
            await client.close()

    async def _attempts(self, call: Callable[[], Awaitable[T]], access: Access) -> T:
        """``call`` until it succeeds, retried as the module docstring says."""
        secrets = {self.api_key_secret: access.api_key or ""}
        for attempt in range(RETRIES + 1):
            try:
                # The HTTP libraries' log lines hide the key while the request is made.
                with redacting_logs(secrets):
                    return await call()
            except anthropic.APIStatusError as exc:
                wait = _retry_wait(exc, attempt)
                if wait is None:
                    raise self._failed(exc, access) from None
                log.info("Anthropic answered %s; trying again in %.1f s", _status_reason(exc), wait)
                await asyncio.sleep(wait)
            except anthropic.APIConnectionError as exc:
                if _blocked(exc) is not None or isinstance(exc, anthropic.APITimeoutError):
                    raise self._failed(exc, access) from None
                if attempt >= RETRIES:
                    raise self._failed(exc, access) from None
                await asyncio.sleep(BACKOFF_S * 2**attempt)
            except Exception as exc:
                raise self._failed(exc, access) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, exc: BaseException, access: Access) -> GeneratorFailed:
        blocked = _blocked(exc)
        if blocked is not None:
            reason = blocked.message
        elif isinstance(exc, anthropic.APITimeoutError | TimeoutError | httpx2.TimeoutException):
            reason = f"no answer within {self.timeout_s:g} s"
        elif isinstance(exc, anthropic.APIStatusError):
            reason = _status_reason(exc)
            if exc.status_code in (401, 403):
                reason += f" (check the key in the secret {self.api_key_secret})"
        elif isinstance(exc, anthropic.APIConnectionError):
            reason = f"could not connect to {httpx2.URL(self.base_url).host}"
        else:
            reason = f"the reply could not be read ({type(exc).__name__}: {exc})"
        message = scrub(
            f"Anthropic could not answer: {reason}.", {self.api_key_secret: access.api_key or ""}
        )
        log.warning("%s", message)
        return GeneratorFailed(message)

"""The `openai` generator: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama).

The agent stores where to call and the NAME of the secret holding the key; the key and the
hosts the workspace allows are read on every call through ``access``, a callable the runtime
gives, so a changed key or allow-list applies at once and no key sits in an agent or a log.
Every request the SDK sends passes the egress check (net/checked.py): a blocked destination is
refused before a connection is made. Whatever goes wrong — blocked, down, slow, refused,
garbled — is raised as a GeneratorFailed saying what, and the pipeline answers without the
model. HTTP 429 and 5xx are retried, waiting what Retry-After asks within a bounded total.

Tools (``request.tools``) are offered as ``tools`` with ``tool_choice`` "auto"; a turn that
ends in ``tool_calls`` (whole, or joined from streamed pieces) has them run and answered with
``tool`` messages, and the model is asked again, with "none" once the tools' bounds are
reached (tools.py). Each turn has its own deadline; the tools' own time is theirs.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit

import openai

from frontdesk.agents.generators import OpenAIConfig
from frontdesk.answering.generators.base import (
    Chat,
    Generation,
    GenerationRequest,
    Generator,
    Usage,
)
from frontdesk.answering.generators.base import GeneratorFailed as GeneratorFailed
from frontdesk.answering.generators.prompt import ReplyReader, messages
from frontdesk.answering.generators.remote import AccessFor
from frontdesk.answering.generators.tools import ToolCall, Tools
from frontdesk.errors import FrontdeskError
from frontdesk.net.checked import checked_client
from frontdesk.net.egress import DestinationBlocked
from frontdesk.vault.redact import redacting_logs

log = logging.getLogger(__name__)

RETRIED = {429, 500, 502, 503, 504}
FIRST_BACKOFF_S = 0.5
# Sent when the endpoint needs no key (Ollama, a local vLLM): the SDK insists on one.
NO_KEY = "none"


class EndpointBlocked(GeneratorFailed):
    code = "generator_blocked"


class EndpointTimeout(GeneratorFailed):
    code = "generator_timeout"


class EndpointUnreachable(GeneratorFailed):
    code = "generator_unreachable"


class EndpointRefused(GeneratorFailed):
    code = "generator_refused"


class MalformedReply(GeneratorFailed):
    code = "generator_malformed"


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms``, or Retry-After in seconds or a date."""
    if ms := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class OpenAIChatGenerator(Generator):
    name = "openai"
    streams = completes = True
    calls_tools = True

    def __init__(self, config: OpenAIConfig, access: AccessFor):
        self.config = config
        self.model = config.model
        self.access = access
        self.host = urlsplit(config.base_url).netloc

    @classmethod
    def from_config(cls, config: dict[str, Any], access: AccessFor) -> OpenAIChatGenerator:
        """From an agent's ``generator_config`` (checked when the agent was saved)."""
        return cls(OpenAIConfig.model_validate(config), access)

    async def generate(self, request: GenerationRequest) -> Generation:
        reader = ReplyReader(len(request.passages))
        usage = Usage()
        chat: list[dict[str, Any]] = list(messages(request))
        tools = request.tools
        async with self._client() as client:
            while True:
                offer = tools is not None and tools.open
                with self._failures():
                    async with asyncio.timeout(self._deadline()):
                        completion = await self._create(client, chat, False, tools, offer)
                with self._failures():
                    content, calls = self._reply(completion, usage)
                # What the model said before a call is part of its reply, as when streamed.
                reader.feed(content)
                if tools is None or not offer or not calls:
                    break
                await self._call(chat, tools, content, calls)
                reader.passages = tools.count
        reader.close()
        if not reader.text:
            raise MalformedReply(f"{self.host} sent an empty reply.")
        return Generation(
            text=reader.text,
            cited=reader.cited,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            model=self.model,
        )

    async def complete(self, chat: Chat, max_tokens: int) -> Generation:
        usage = Usage()
        async with self._client() as client:
            with self._failures():
                async with asyncio.timeout(self._deadline()):
                    completion = await self._create(
                        client, list(chat), stream=False, max_tokens=max_tokens
                    )
            with self._failures():
                content, _ = self._reply(completion, usage)
        if not content.strip():
            raise MalformedReply(f"{self.host} sent an empty reply.")
        return Generation(
            text=content.strip(),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            model=self.model,
        )

    def _reply(self, completion: Any, usage: Usage) -> tuple[str, list[dict[str, str]]]:
        """The text of a completion and the tools it calls (id, name, arguments)."""
        if isinstance(completion, str) or not getattr(completion, "choices", None):
            raise MalformedReply(f"{self.host} sent no chat completion.")
        message = completion.choices[0].message
        calls = [
            {"id": c.id or "", "name": c.function.name, "arguments": c.function.arguments}
            for c in message.tool_calls or []
            if c.type == "function"
        ]
        content = message.content
        if not isinstance(content, str) and not (content is None and calls):
            raise MalformedReply(f"{self.host} sent a completion without text.")
        if completion.usage:
            usage.prompt_tokens += completion.usage.prompt_tokens or 0
            usage.completion_tokens += completion.usage.completion_tokens or 0
        return content or "", calls

    async def stream(self, request: GenerationRequest, usage: Usage) -> AsyncIterator[str]:
        """The reply as the endpoint writes it, citation markers left out; ``usage`` gets the
        citations, and the token counts from the last chunk when the endpoint reports them."""
        reader = ReplyReader(len(request.passages))
        chat: list[dict[str, Any]] = list(messages(request))
        tools = request.tools
        async with self._client() as client:
            while True:
                offer = tools is not None and tools.open
                deadline = asyncio.get_running_loop().time() + self._deadline()
                with self._failures():
                    async with asyncio.timeout_at(deadline):
                        chunks = await self._create(client, chat, True, tools, offer)
                if not isinstance(chunks, openai.AsyncStream):
                    raise MalformedReply(f"{self.host} sent no stream.")
                pieces, said = aiter(chunks), len(reader.raw)
                calls: dict[int, dict[str, str]] = {}
                try:
                    while True:
                        # A deadline per piece, never across a yield: the timer would fire in
                        # the consumer's task, whatever it was doing then.
                        with self._failures():
                            async with asyncio.timeout_at(deadline):
                                try:
                                    chunk = await anext(pieces)
                                except StopAsyncIteration:
                                    break
                            piece = self._piece(chunk, usage, calls)
                        if piece and (text := reader.feed(piece)):
                            yield text
                finally:
                    await chunks.close()
                if tools is None or not offer or not calls:
                    break
                await self._call(chat, tools, reader.raw[said:], list(calls.values()))
                reader.passages = tools.count
        if text := reader.close():
            yield text
        if not reader.text:
            raise MalformedReply(f"{self.host} sent an empty reply.")
        usage.cited = reader.cited

    def _piece(self, chunk: Any, usage: Usage, calls: dict[int, dict[str, str]]) -> str:
        """A chunk's text; the pieces of tool calls it carries are joined into ``calls``."""
        if getattr(chunk, "usage", None):
            usage.prompt_tokens += chunk.usage.prompt_tokens or 0
            usage.completion_tokens += chunk.usage.completion_tokens or 0
        choices = chunk.choices
        if not isinstance(choices, list):
            raise MalformedReply(f"{self.host} sent a chunk without choices.")
        if not choices:
            return ""
        delta = choices[0].delta
        for part in delta.tool_calls or []:
            call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = part.id or call["id"]
            if part.function is not None:
                call["name"] += part.function.name or ""
                call["arguments"] += part.function.arguments or ""
        content = delta.content
        if content is not None and not isinstance(content, str):
            raise MalformedReply(f"{self.host} sent a chunk whose text is not text.")
        return content or ""

    async def _call(
        self,
        chat: list[dict[str, Any]],
        tools: Tools,
        content: str,
        calls: list[dict[str, str]],
    ) -> None:
        """Run the tools a turn called; the turn and the results join the chat."""
        ids = [call["id"] or f"call_{tools.calls + i}" for i, call in enumerate(calls)]
        chat.append(
            {
                "role": "assistant",
                "content": content or None,
                "tool_calls": [
                    {
                        "id": id_,
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                    for id_, call in zip(ids, calls, strict=True)
                ],
            }
        )
        results = await tools.run([ToolCall(call["name"], call["arguments"]) for call in calls])
        for id_, result in zip(ids, results, strict=True):
            chat.append({"role": "tool", "tool_call_id": id_, "content": result})

    def _deadline(self) -> float:
        # Each attempt has timeout_s (the HTTP client's own timeouts); the waits between
        # attempts are bounded on their own.
        return self.config.timeout_s * (self.config.retries + 1) + self.config.max_retry_wait_s

    async def _create(
        self,
        client: openai.AsyncOpenAI,
        chat: list[dict[str, Any]],
        stream: bool,
        tools: Tools | None = None,
        offer: bool = False,
        max_tokens: int | None = None,
    ) -> Any:
        """The completion (or its stream), retrying 429 and 5xx within the retry budget;
        ``max_tokens`` defaults to the agent's.

        Once tools were offered they stay listed (a chat that holds calls needs them), with
        ``tool_choice`` "none" when the model must answer."""
        config = self.config
        extra: dict[str, Any] = {"stream_options": {"include_usage": True}} if stream else {}
        if tools is not None:
            extra["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in tools.offered
            ]
            extra["tool_choice"] = "auto" if offer else "none"
        waited = 0.0
        for attempt in range(config.retries + 1):
            try:
                return await client.chat.completions.create(
                    model=config.model,
                    messages=chat,  # type: ignore[arg-type]  # plain dicts of the wire format
                    max_tokens=max_tokens or config.max_tokens,
                    temperature=config.temperature,
                    stream=stream,
                    **extra,
                )
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRIED or attempt == config.retries:
                    raise
                asked = retry_after(exc.response.headers)
                delay = asked if asked is not None else FIRST_BACKOFF_S * 2**attempt
                if waited + delay > config.max_retry_wait_s:
                    raise
                status = exc.status_code
            log.info(
                "openai generator: HTTP %s from %s, retrying in %.1f s",
                status,
                self.host,
                delay,
            )
            await asyncio.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[openai.AsyncOpenAI]:
        """An SDK client for one call, on a checked HTTP client, with the key hidden in logs."""
        try:
            access = await self.access()
        except FrontdeskError as exc:
            raise GeneratorFailed(exc.message, field="generator_config") from None
        secrets = {access.secret_name or "API_KEY": access.api_key} if access.api_key else {}
        with redacting_logs(secrets):
            async with checked_client(access.allowed_hosts, self.config.timeout_s) as http:
                client = openai.AsyncOpenAI(
                    api_key=access.api_key or NO_KEY,
                    base_url=self.config.base_url,
                    max_retries=0,  # retried here, within this agent's bounds
                    timeout=self.config.timeout_s,
                    # The SDK takes httpx's client as well as its own fork's (httpx2); ours
                    # is httpx, whose URL reading the egress check shares.
                    http_client=http,  # type: ignore[arg-type]
                )
                # The SDK fills these from the server's environment (OPENAI_ORG_ID...): one
                # workspace's endpoint must not receive the operator's OpenAI identity.
                client.organization = client.project = client.admin_api_key = None
                yield client

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """Whatever the endpoint or the network does, as a GeneratorFailed saying what."""
        try:
            yield
        except GeneratorFailed:
            raise
        except (TimeoutError, openai.APITimeoutError):
            raise EndpointTimeout(
                f"{self.host} did not answer within {self.config.timeout_s:g} s."
            ) from None
        except openai.APIConnectionError as exc:
            cause = exc.__cause__
            if isinstance(cause, FrontdeskError):  # the egress check, or a URL it cannot judge
                raise EndpointBlocked(f"blocked: {cause.message}") from None
            raise EndpointUnreachable(f"Could not connect to {self.host}.") from None
        except DestinationBlocked as exc:
            raise EndpointBlocked(f"blocked: {exc.message}") from None
        except openai.APIStatusError as exc:
            raise EndpointRefused(f"HTTP {exc.status_code} from {self.host}.") from None
        except (openai.OpenAIError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Named, not quoted: what a server sends back may echo the key.
            raise MalformedReply(
                f"{self.host} sent a reply that is not a chat completion ({type(exc).__name__})."
            ) from None

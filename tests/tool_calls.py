"""The packaged model writing a tool call, for the test servers that speak OpenAI's and
Anthropic's wire formats.

SmolLM2-135M never calls a tool on its own (asked in plain words, it answers in prose), so
the servers decide WHEN a call is made (see their docstrings) and the model writes WHICH
tool and WITH WHAT: its output is held to a GBNF grammar made from the offered tools' own
JSON schemas (cyllama's json_schema_to_grammar), greedy, so the same request gives the same
call. Asked "Where is my order 10452?" with a five-digit `order_number` parameter, it writes
{"name": "order_status", "arguments": {"order_number": "10452"}}.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_TOKENS = 96
SHOP_TOKEN = "shop-live-7c1d93e08b2f"
# What the business's order system answers; `internal` is never read by the model.
ORDER = {"order": {"status": "shipped", "delivery_date": "2026-11-25"}, "internal": "x"}


def order_tool(url: str) -> dict[str, Any]:
    """An order lookup as an agent file declares it: the model fills {tool.order_number}."""
    return {
        "name": "order_status",
        "kind": "http",
        "method": "GET",
        "url": url,
        "headers": {"Authorization": "Bearer ${secret:SHOP_TOKEN}"},
        "result_fields": ["order.status", "order.delivery_date"],
        "retries": 0,
        "tool": {
            "label": "Order system",
            "description": "Look up the status and delivery date of an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {
                    "order_number": {
                        "type": "string",
                        "description": "The order number, five digits",
                        "pattern": "^[0-9]{5}$",
                    }
                },
                "required": ["order_number"],
            },
        },
    }


@dataclass(frozen=True)
class WrittenCall:
    name: str
    arguments: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int


class CallWriter:
    def __init__(self, path: Path):
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        from cyllama.agents.constrained import GrammarConstrainedLLM

        class Llm(GrammarConstrainedLLM):
            def _ensure_context(self, prompt_length: int, config: Any) -> Any:
                ctx = super()._ensure_context(prompt_length, config)
                ctx.set_n_threads(2, 2)  # llama.cpp's 4 would crawl on this 2-core box
                return ctx

        self._llm = Llm(str(path))
        self._lock = threading.Lock()

    def write(self, chat: list[dict[str, str]], tools: list[dict[str, Any]]) -> WrittenCall:
        """The call the model writes for ``chat``, one of ``tools`` ({name, description,
        parameters}); blocking, so call it from a worker thread."""
        from cyllama.api import GenerationConfig
        from cyllama.utils.json_schema_to_grammar import json_schema_to_grammar

        schema = {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"name": {"const": t["name"]}, "arguments": t["parameters"]},
                    "required": ["name", "arguments"],
                    "additionalProperties": False,
                }
                for t in tools
            ]
        }
        listed = "\n".join(json.dumps(t) for t in tools)
        told = (
            f"You may call one of these tools:\n{listed}\n"
            'Reply with the call as JSON: {"name": tool name, "arguments": {...}}.'
        )
        if chat and chat[0]["role"] == "system":
            chat = [{"role": "system", "content": f"{chat[0]['content']}\n\n{told}"}, *chat[1:]]
        else:
            chat = [{"role": "system", "content": told}, *chat]
        config = GenerationConfig(max_tokens=MAX_TOKENS, temperature=0.0)
        with self._lock:
            prompt = self._llm._apply_template(chat)
            text = self._llm.generate_with_grammar(
                prompt, json_schema_to_grammar(schema), config=config
            )
            used = len(self._llm.vocab.tokenize(prompt, add_special=True, parse_special=True))
            wrote = len(self._llm.vocab.tokenize(text, add_special=False, parse_special=False))
        call = json.loads(text)
        return WrittenCall(call["name"], call["arguments"], used, wrote)

"""YAML as agent files may write it: plain data only, so a small file never grows in memory.

Anchors and aliases are refused as the parser meets them, before any node or object is built:
nested aliases let a 1 KB file expand into gigabytes (the "billion laughs"). Tags beyond the
plain data types, deep nesting and files over ``MAX_FILE_BYTES`` are refused for the same reason.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from frontdesk.errors import InvalidInput, PayloadTooLarge

# An agent file is settings, not data: the demo's is 1.5 KB, so 256 KB leaves ample room.
MAX_FILE_BYTES = 256 * 1024
# Deep enough for any agent setting (an action's body nests a few levels), far below Python's
# recursion limit, which the composer's recursion would otherwise hit (a 500, not a 422).
MAX_DEPTH = 32
_CORE = "tag:yaml.org,2002:"
SAFE_TAGS = frozenset(
    _CORE + name for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map")
)


class _AgentFileLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors, aliases, unsafe tags and deep nesting."""

    def __init__(self, text: str):
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise InvalidInput(
                f"line {line}: YAML anchors and aliases (&, *) are not allowed in agent files."
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in SAFE_TAGS:
            raise InvalidInput(f"line {line}: the YAML tag {tag} is not allowed in agent files.")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise InvalidInput(
                    f"line {line}: nested more than {MAX_DEPTH} levels deep; "
                    "agent files are not that deep."
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A well-formed scalar can still fail to convert (an impossible date, an int of 5,000
        # digits): those raise ValueError, which must become a 422 that names the line.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            kind = node.tag.removeprefix(_CORE)
            shown = str(node.value)[:40]
            reason = str(exc).split(":")[0]
            raise InvalidInput(
                f"line {node.start_mark.line + 1}: '{shown}' is not a valid {kind} ({reason})."
            ) from None


# YAML 1.1 reads "1:30" as the base-60 number 90, so "9:30" in a file would become 570 and a
# long "1:1:1:…" costs seconds of big-number arithmetic. Numbers are read as YAML 1.2 does.
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"""
)
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"""
    r"""|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"""
)
_AgentFileLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_CORE + "int", _CORE + "float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_AgentFileLoader.add_implicit_resolver(_CORE + "int", _INT, list("-+0123456789"))
_AgentFileLoader.add_implicit_resolver(_CORE + "float", _FLOAT, list("-+0123456789."))


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise PayloadTooLarge(
            f"An agent file can be at most {MAX_FILE_BYTES // 1024} KB.", field="file"
        )


def load(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data; InvalidInput if refused."""
    check_size(len(text))  # characters first: a huge text is refused without encoding it
    check_size(len(text.encode("utf-8")))
    try:
        loader = _AgentFileLoader(text)  # reads ahead: a control character fails here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise InvalidInput(
            f"line {line}: not valid YAML (character #x{exc.character:04x} is not allowed)."
        ) from exc
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InvalidInput(f"{where}not valid YAML ({getattr(exc, 'problem', exc)}).") from exc
    finally:
        loader.dispose()
    return root, data

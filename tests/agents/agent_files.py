"""Agent files for tests: hostile ones, and any settings written as YAML."""

from __future__ import annotations

from typing import Any

import yaml


def billion_laughs(levels: int = 10) -> str:
    """The classic alias bomb inside an action's body: 10**levels 'lol's from about 600 bytes."""
    lines = ["name: Bomb", "actions:", "  - name: t", "    kind: http", "    url: https://x.test/"]
    lines += ["    body:", "      l0: &l0 lol"]
    for level in range(1, levels):
        lines.append(f"      l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


class _NoAliases(yaml.SafeDumper):
    """Writes a repeated object out again instead of as an alias (agent files refuse them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def as_file(settings: dict[str, Any]) -> str:
    """Settings as an agent file, each value written out in full."""
    return yaml.dump(settings, Dumper=_NoAliases, sort_keys=False, width=10_000)

"""`frontdesk --help` loads no models, SDKs or ORM: the command modules import lazily."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Each of these costs from a tenth of a second (the ORM) to seconds (the SDKs, the model
# runtimes); none is needed to print help.
HEAVY = (
    "onnxruntime",
    "llama_cpp",
    "anthropic",
    "openai",
    "sqlalchemy.orm",
    "uvicorn",
    "frontdesk.runtime",
    "frontdesk.app",
    "frontdesk.db.base",
    "frontdesk.accounts.models",
    "frontdesk.knowledge.models",
    "frontdesk.conversations.models",
)

# Run the real entry point, then report what got imported.
PROBE = """
import json, sys
from frontdesk.cli import main
sys.argv = ["frontdesk", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded(*args: str) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "100"},
        check=False,
    )
    *text, last = done.stdout.strip().splitlines()
    report = json.loads(last)
    return report["code"], set(report["modules"]), "\n".join(text)


@pytest.mark.parametrize(
    "args",
    [("--help",), ("ask", "--help"), ("serve", "--help"), ("users", "create", "--help")],
    ids=" ".join,
)
def test_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    code, modules, text = loaded(*args)
    assert code == 0
    assert "Usage: frontdesk" in text
    assert sorted(modules.intersection(HEAVY)) == []


def test_the_probe_sees_heavy_imports_when_a_command_runs(tmp_path) -> None:
    """The check above can fail: a command that does work does load the runtime."""
    code, modules, _ = loaded("--data-dir", str(tmp_path), "agents", "list", "--json")
    assert code in (0, None)
    assert {"frontdesk.runtime", "sqlalchemy.orm"} <= modules
    # An extractive agent (or none) needs neither a language-model SDK nor llama.cpp.
    assert sorted(modules.intersection({"anthropic", "openai", "llama_cpp"})) == []

"""Run a bench against the product at another git revision, measured in the same run."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_at(ref: str, command: Sequence[str]) -> None:
    """Run ``command`` with the product at ``ref`` (a temporary git worktree) on PYTHONPATH.

    The command is this tree's bench script: only the product's code is the revision's.
    """
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), ref],
            check=True,
        )
        try:
            env = {**os.environ, "PYTHONPATH": str(tree / "src")}
            subprocess.run(list(command), check=True, env=env)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True
            )

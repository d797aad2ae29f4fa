"""A bounded soak (bench/soak.py) in the suite: a mixed load for a while, nothing failing,
memory and descriptors not growing. The bench's own run reports the ten-minute figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What the server may gain between the end of the first half and the end of the run.
RSS_GROWTH_MB = 60
FD_GROWTH = 20


@pytest.mark.slow
def test_a_mixed_load_fails_nothing_and_grows_nothing(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "soak.py"),
            "--minutes",
            "1.5",
            "--visitors",
            "40",
            "--members",
            "5",
            "--json",
            str(out),
        ],
        check=True,
        timeout=600,
    )
    report = json.loads(out.read_text())
    counts = report["counts"]
    assert counts["visitor_messages"] > 100 and counts["member_calls"] > 0
    assert counts.get("5xx", 0) == 0 and counts.get("failed", 0) == 0, counts
    assert sum(row["sends"] for row in report["per_minute"]) == counts["visitor_messages"]
    assert report["rss_mb"]["growth"] < RSS_GROWTH_MB, report["rss_mb"]
    assert report["fds"]["growth"] < FD_GROWTH, report["fds"]

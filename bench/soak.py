"""Soak: a mixed load on the default (one process, SQLite) for minutes, watching for growth.

    python bench/soak.py [--minutes 10] [--visitors 200] [--members 20] [--pause 5 15] [--json FILE]

Starts `frontdesk serve` on a fresh data dir (an agent with a little Q&A content). Visitors
(each with a widget socket) ask questions every few seconds, some ask for a person; members
(each with an inbox socket) take waiting conversations over, reply and hand them back or
close them; a document is uploaded every 30 s. Every 5 s the server's resident memory and
open file descriptors are sampled. Printed: per minute, the visitor send latency (p50, p99)
and the server's memory and descriptors; the last minute against the first (ratios, same
run); failed requests. `--json` writes the report (the soak test reads it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import free_port, percentile, start_server, stop_server

QUESTIONS = [
    "When is the service department open?",
    "Do you offer financing?",
    "How much is winter storage?",
    "Can I book a test ride on Saturday?",
    "Do you sell used snowmobiles?",
]
FAQ = [
    {
        "question": "When is the service department open?",
        "answer": "The service department is open Tuesday to Friday from 8:00 to 17:30.",
    },
    {
        "question": "Do you offer financing?",
        "answer": "Yes, through Summit Credit Union with terms from 24 to 72 months.",
    },
    {
        "question": "How much is winter storage?",
        "answer": "Indoor winter storage costs 45 dollars a month from November to March.",
    },
]
DOCUMENT = "# Test rides\n\nTest rides run on Saturdays from 10:00 to 15:00 by appointment.\n"
SAMPLE_S = 5.0


class Soak:
    def __init__(self, args: argparse.Namespace, url: str, api_key: str, public_key: str):
        self.args = args
        self.url = url
        self.ws_url = url.replace("http://", "ws://")
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.public_key = public_key
        self.start = time.monotonic()
        self.deadline = self.start + args.minutes * 60
        self.latencies: dict[int, list[float]] = defaultdict(list)  # minute -> send seconds
        self.samples: list[dict[str, float]] = []
        self.counts: dict[str, int] = defaultdict(int)

    def minute(self) -> int:
        return int((time.monotonic() - self.start) // 60)

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    async def visitor(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        started = await http.post(f"/api/v1/widget/{self.public_key}/conversations", json={})
        if started.status_code != 201:
            self.counts["failed"] += 1
            return
        conversation = started.json()
        token = {"X-Visitor-Token": conversation["visitor_token"]}
        async with connect(f"{self.ws_url}/api/v1/widget/ws") as socket:
            await socket.send(json.dumps({"type": "hello", "token": conversation["visitor_token"]}))
            drain = asyncio.create_task(_drain(socket))
            try:
                await asyncio.sleep(rng.uniform(0, 10))
                while self.running():
                    path = f"/api/v1/widget/conversations/{conversation['id']}"
                    body = {"text": rng.choice(QUESTIONS), "client_id": f"soak-{rng.random()}"}
                    began = time.monotonic()
                    sent = await self._post(http, f"{path}/messages", json=body, headers=token)
                    self._count(sent, "visitor_messages")
                    if sent.status_code in (200, 201):
                        self.latencies[self.minute()].append(time.monotonic() - began)
                    if rng.random() < 0.05:
                        self._count(await http.post(f"{path}/handoff", headers=token), "handoffs")
                    await asyncio.sleep(rng.uniform(*self.args.pause))
            finally:
                drain.cancel()

    async def member(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        async with connect(f"{self.ws_url}/api/v1/inbox/ws", additional_headers=self.headers) as s:
            drain = asyncio.create_task(_drain(s))
            try:
                while self.running():
                    await asyncio.sleep(rng.uniform(2, 6))
                    found = await http.get(
                        "/api/v1/conversations", params={"status": "waiting", "limit": 5}
                    )
                    self._count(found, "inbox_reads")
                    waiting = found.json().get("conversations", []) if found.is_success else []
                    if not waiting:
                        continue
                    path = f"/api/v1/conversations/{rng.choice(waiting)['id']}"
                    for action, body in (
                        ("takeover", None),
                        ("messages", {"text": "Hi, Sam from the team here."}),
                        (rng.choice(["handback", "close"]), None),
                    ):
                        self._count(await http.post(f"{path}/{action}", json=body), "member_calls")
            finally:
                drain.cancel()

    async def uploads(self, http: httpx.AsyncClient, agent_id: str) -> None:
        n = 0
        while self.running():
            await asyncio.sleep(30)
            n += 1
            files = {"file": (f"rides-{n}.md", DOCUMENT.encode())}
            self._count(
                await http.post(f"/api/v1/agents/{agent_id}/sources/files", files=files), "uploads"
            )

    async def sampler(self, pid: int) -> None:
        while self.running():
            self.samples.append({"t": time.monotonic() - self.start, **_process(pid)})
            await asyncio.sleep(SAMPLE_S)
        self.samples.append({"t": time.monotonic() - self.start, **_process(pid)})

    async def _post(self, http: httpx.AsyncClient, path: str, **options: Any) -> httpx.Response:
        """As the widget does: a send whose connection broke is sent again (same client_id).

        A pooled keep-alive connection can be closed by the server just as it is reused; such
        breaks are counted, and a second one in a row is a failure.
        """
        try:
            return await http.post(path, **options)
        except httpx.TransportError:
            self.counts["connection_breaks"] += 1
        return await http.post(path, **options)

    def _count(self, response: httpx.Response, what: str) -> None:
        self.counts[what] += 1
        if response.status_code >= 500:
            self.counts["5xx"] += 1

    def report(self) -> dict[str, Any]:
        minutes = sorted(self.latencies)
        per_minute = []
        for minute in minutes:
            window = [s for s in self.samples if minute * 60 <= s["t"] < (minute + 1) * 60]
            values = [v * 1000 for v in self.latencies[minute]]
            per_minute.append(
                {
                    "minute": minute + 1,
                    "sends": len(values),
                    "p50_ms": round(percentile(values, 50), 1),
                    "p99_ms": round(percentile(values, 99), 1),
                    "rss_mb": round(max((s["rss_mb"] for s in window), default=float("nan")), 1),
                    "fds": max((s["fds"] for s in window), default=0),
                }
            )
        # After the first minute (models loaded, caches warm) against the end.
        settled = [s for s in self.samples if s["t"] >= min(60.0, self.samples[-1]["t"] / 2)]
        first, last = settled[0], self.samples[-1]
        return {
            "minutes": self.args.minutes,
            "visitors": self.args.visitors,
            "members": self.args.members,
            "pause_s": list(self.args.pause),
            "counts": dict(self.counts),
            "per_minute": per_minute,
            "rss_mb": {
                "settled": first["rss_mb"],
                "end": last["rss_mb"],
                "growth": round(last["rss_mb"] - first["rss_mb"], 1),
            },
            "fds": {
                "settled": first["fds"],
                "end": last["fds"],
                "growth": last["fds"] - first["fds"],
            },
            "p99_last_over_first": round(per_minute[-1]["p99_ms"] / per_minute[0]["p99_ms"], 2)
            if per_minute
            else None,
        }


async def _drain(socket: Any) -> None:
    with contextlib.suppress(Exception):
        async for _ in socket:
            pass


def _process(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return {"rss_mb": rss_kb / 1024, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    server = start_server(data_dir, free_port(), "warning")
    assert server.process is not None
    try:
        limits = httpx.Limits(max_connections=args.visitors + args.members + 10)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            soak = Soak(args, server.url, server.api_key, server.public_key)
            headers = soak.headers
            agents = (await http.get("/api/v1/agents", headers=headers)).json()
            agent_id = agents[0]["id"] if isinstance(agents, list) else agents["agents"][0]["id"]
            qa = await http.post(
                f"/api/v1/agents/{agent_id}/sources/qa", json={"pairs": FAQ}, headers=headers
            )
            qa.raise_for_status()
            member_http = httpx.AsyncClient(
                base_url=server.url, timeout=60, limits=limits, headers=headers
            )
            rng = random.Random(args.seed)
            tasks = [soak.visitor(http, random.Random(rng.random())) for _ in range(args.visitors)]
            tasks += [
                soak.member(member_http, random.Random(rng.random())) for _ in range(args.members)
            ]
            member_http.headers.update(headers)
            tasks += [soak.uploads(member_http, agent_id), soak.sampler(server.process.pid)]
            await asyncio.gather(*tasks)
            await member_http.aclose()
            return soak.report()
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--pause",
        type=float,
        nargs=2,
        default=(5.0, 15.0),
        metavar=("LOW", "HIGH"),
        help="seconds a visitor waits between questions (uniform; default 5 15)",
    )
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="frontdesk-soak-") as tmp:
        report = asyncio.run(run(args, Path(tmp)))
    print(
        f"soak: {args.minutes:g} min, {args.visitors} visitors, {args.members} members, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(f"{'minute':>6} {'sends':>6} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>8} {'fds':>5}")
    for row in report["per_minute"]:
        print(
            f"{row['minute']:>6} {row['sends']:>6} {row['p50_ms']:>8} {row['p99_ms']:>8} "
            f"{row['rss_mb']:>8} {row['fds']:>5}"
        )
    print(
        f"memory after the first minute {report['rss_mb']['settled']:.0f} MB, at the end "
        f"{report['rss_mb']['end']:.0f} MB (growth {report['rss_mb']['growth']:+.0f} MB); "
        f"descriptors {report['fds']['settled']} -> {report['fds']['end']}; "
        f"p99 last/first minute {report['p99_last_over_first']}"
    )
    print(f"requests: {report['counts']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

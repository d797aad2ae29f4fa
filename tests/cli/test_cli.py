"""The `frontdesk` command, run in-process with click's runner and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.cli import cli

SERVICE = """# Service department

## Hours
The service department is open Tuesday to Friday from 8:00 to 17:30 and on Saturday
from 9:00 to 14:00. It is closed on Sunday and Monday.
"""

INVENTORY = """Model,Type,Price
Glacier 850,Snowmobile,"$12,999"
Trailhawk 570,ATV,"$8,499"
"""


@pytest.fixture
def run(tmp_path: Path):
    data_dir = tmp_path / "data"

    def invoke(*args: str, ok: bool = True):
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], obj={})
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        return result

    return invoke


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "service.md").write_text(SERVICE)
    (folder / "inventory.csv").write_text(INVENTORY)
    (folder / "notes.bin").write_bytes(b"\x00\x01")
    return folder


@pytest.mark.usefixtures("database")
def test_agents_create_json_and_list(run) -> None:
    created = json.loads(run("agents", "create", "Ridgeline", "--json").output)
    assert set(created) >= {"id", "name", "public_key"}
    assert created["name"] == "Ridgeline"
    listed = json.loads(run("agents", "list", "--json").output)
    assert [a["id"] for a in listed] == [created["id"]]
    duplicate = run("agents", "create", "Ridgeline", ok=False)
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output


@pytest.mark.usefixtures("database")
def test_ingest_folder_then_ask_json(run, docs: Path) -> None:
    run("agents", "create", "Ridgeline")
    result = run("ingest", "--agent", "Ridgeline", str(docs))
    assert "service.md" in result.output and "inventory.csv" in result.output
    assert "unsupported" in result.output  # notes.bin was skipped, not fatal
    again = run("ingest", "--agent", "Ridgeline", str(docs))
    assert again.output.count("unchanged") == 2

    answer = json.loads(
        run("ask", "--agent", "Ridgeline", "What does the Glacier 850 cost?", "--json").output
    )
    assert "$12,999" in answer["answer"]
    assert isinstance(answer["confidence"], float)
    assert answer["handoff"]["triggered"] is False and answer["handoff"]["reason"] is None
    assert {"source", "title", "snippet"} <= set(answer["citations"][0])

    refusal = json.loads(
        run("ask", "--agent", "Ridgeline", "What is the capital of Peru?", "--json").output
    )
    assert refusal["handoff"]["triggered"] is True
    assert "confidence" in refusal["handoff"]["reason"].lower()


@pytest.mark.usefixtures("database")
def test_sources_list_resync_delete(run, docs: Path) -> None:
    run("agents", "create", "Ridgeline")
    run("ingest", "--agent", "Ridgeline", str(docs / "service.md"))
    sources = json.loads(run("sources", "list", "--agent", "Ridgeline", "--json").output)
    assert len(sources) == 1 and sources[0]["status"] == "ready" and sources[0]["chunks"] > 0
    source_id = sources[0]["id"]
    assert "unchanged" in run("sources", "resync", source_id).output
    (docs / "service.md").write_text(SERVICE.replace("17:30", "18:00"))
    assert "updated" in run("sources", "resync", source_id).output
    run("agents", "create", "Second")
    run("ingest", "--agent", "Second", str(docs / "service.md"))
    [second] = json.loads(run("sources", "list", "--agent", "Second", "--json").output)
    every = run("sources", "resync", "--all").output.splitlines()
    assert sorted(every) == sorted(
        f"{sid}: unchanged, {chunks} chunks"
        for sid, chunks in ((source_id, sources[0]["chunks"]), (second["id"], second["chunks"]))
    )
    for wrong in ((), (source_id, "--all")):
        refused = run("sources", "resync", *wrong, ok=False)
        assert refused.exit_code == 2
        assert "Name one source id, or --all for every source." in refused.output
    answer = json.loads(
        run("ask", "--agent", "Ridgeline", "service hours on friday?", "--json").output
    )
    assert "18:00" in answer["answer"]
    run("sources", "delete", source_id)
    assert json.loads(run("sources", "list", "--agent", "Ridgeline", "--json").output) == []


@pytest.mark.usefixtures("database")
def test_failed_file_is_reported_and_others_still_ingest(run, docs: Path, tmp_path: Path) -> None:
    run("agents", "create", "Ridgeline")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 definitely not a zip")
    result = run(
        "ingest", "--agent", "Ridgeline", str(broken), str(docs / "inventory.csv"), ok=False
    )
    assert result.exit_code == 1
    sources = {
        s["title"]: s
        for s in json.loads(run("sources", "list", "--agent", "Ridgeline", "--json").output)
    }
    assert sources["broken.docx"]["status"] == "failed" and sources["broken.docx"]["error"]
    assert sources["inventory.csv"]["status"] == "ready"


@pytest.mark.usefixtures("database")
def test_unknown_agent_is_a_clear_error(run) -> None:
    result = run("ask", "--agent", "Nobody", "hello?", ok=False)
    assert result.exit_code == 1 and "No agent named 'Nobody'" in result.output


@pytest.mark.sqlite  # the data directory holds the SQLite file
def test_console_script_and_env_data_dir(tmp_path: Path) -> None:
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(tmp_path / "envdata")}
    exe = Path(sys.executable).with_name("frontdesk")
    out = subprocess.run(
        [str(exe), "agents", "create", "Env", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["name"] == "Env"
    assert (tmp_path / "envdata" / "frontdesk.db").exists()


@pytest.mark.usefixtures("database")
def test_demo_seeds_a_dealership_agent_that_answers(run) -> None:
    result = run("demo", "--no-serve")
    assert "Ridgeline Powersports" in result.output
    sources = json.loads(
        run("sources", "list", "--agent", "Ridgeline Powersports", "--json").output
    )
    assert len(sources) >= 5 and all(s["status"] == "ready" for s in sources)
    answer = json.loads(
        run(
            "ask", "--agent", "Ridgeline Powersports", "What does the Glacier 850 cost?", "--json"
        ).output
    )
    assert "12,999" in answer["answer"] and not answer["handoff"]["triggered"]
    assert "demo@frontdesk.local / frontdesk-demo" in result.output
    assert "/inbox" in result.output
    again = run("demo", "--no-serve")  # idempotent: nothing re-embedded, no duplicate agent
    assert again.output.count("unchanged") >= 5
    assert len(json.loads(run("agents", "list", "--json").output)) == 1
    assert run("users", "list").output.count("demo@frontdesk.local") == 1


def test_demo_refuses_to_listen_beyond_loopback(run) -> None:
    refused = run("demo", "--host", "0.0.0.0", ok=False)
    assert refused.exit_code == 2 and "only listens on loopback" in refused.output


@pytest.mark.usefixtures("database")
def test_users_and_api_keys(run, tmp_path: Path) -> None:
    made = run("users", "create", "--email", "Olive@Ridgeline.test", "--password", "long enough pw")
    assert "owner" in made.output and "olive@ridgeline.test" in made.output
    short = run("users", "create", "--email", "b@ridgeline.test", "--password", "short", ok=False)
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    dup = run("users", "create", "--email", "olive@ridgeline.test", "--password", "x" * 9, ok=False)
    assert dup.exit_code == 1 and "already an account" in dup.output
    run(
        "users", "create", "--email", "sam@ridgeline.test", "--password", "x" * 9, "--role", "agent"
    )
    listing = run("users", "list").output
    assert "sam@ridgeline.test" in listing and "agent" in listing

    key = json.loads(run("apikeys", "create", "--json").output)["key"]
    assert key.startswith("fd_")
    plain = run("apikeys", "create", "--name", "zapier")
    assert plain.output.splitlines()[0].startswith("fd_")
    listed = run("apikeys", "list").output
    assert "zapier" in listed and key not in listed and key[:10] in listed
    revoked = run("apikeys", "revoke", "key_nope", ok=False)
    assert revoked.exit_code == 1 and "no API key" in revoked.output


def test_worker_needs_redis_to_take_jobs_from(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTDESK_REDIS_URL", raising=False)
    result = run("worker", ok=False)
    assert result.exit_code == 2
    assert "set FRONTDESK_REDIS_URL" in result.output


@pytest.mark.parametrize(
    ("args", "env"), [(["--workers", "2"], {}), ([], {"FRONTDESK_WORKERS": "3"})], ids=str
)
def test_serve_refuses_several_processes_without_redis(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    """Each process would hear only its own events: the command says so and starts nothing."""
    environment = {k: v for k, v in os.environ.items() if k != "FRONTDESK_REDIS_URL"}
    environment.update(env, FRONTDESK_DATA_DIR=str(tmp_path / "data"))
    exe = Path(sys.executable).with_name("frontdesk")
    done = subprocess.run(
        [str(exe), "serve", *args], env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "needs FRONTDESK_REDIS_URL" in message
    assert "would not reach inbox and widget sockets connected to another" in message
    assert not (tmp_path / "data").exists()


def test_serve_help_tells_what_several_processes_need(run) -> None:
    text = " ".join(run("serve", "--help").output.split())
    assert "--workers INTEGER RANGE Server processes sharing the port" in text
    assert "More than one needs FRONTDESK_REDIS_URL" in text

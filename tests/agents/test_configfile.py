"""Agent files: validation with line numbers, import creates or updates, export round-trips."""

from __future__ import annotations

import json
import time
import tracemalloc
from importlib import resources
from pathlib import Path

import httpx
import pytest
from agent_files import billion_laughs
from click.testing import CliRunner

from frontdesk.agents import safeyaml
from frontdesk.agents.configfile import parse_agent_file
from frontdesk.cli import cli
from frontdesk.errors import InvalidInput, PayloadTooLarge

AGENT_FILE = """\
name: Ridgeline Powersports
greeting: Hi! Ask me about sleds, quads and service.
handoff_message: Let me connect you with a specialist who can help further.
confidence_threshold: 0.45
theme_color: "#aa3300"
allowed_origins: [https://ridgeline.example]
rules:
  explicit_request: true
  keywords:
    - {phrase: accident, priority: urgent}
    - emergency
  topics:
    - name: financing
      examples: ["what rate can I get", "monthly payment", "apply for a loan"]
      collect: lead
      tags: [financing]
  failed_attempts: 2
  max_visitor_messages: 12
  negative_sentiment: true
business_hours:
  timezone: America/Chicago
  weekly: {tue-fri: "08:00-17:30", sat: "09:00-14:00"}
  closed_message: Our team is back Tuesday at 8:00; leave your details and we'll call you.
actions:
  - name: lead
    kind: form
    fields:
      - {name: name, type: text, required: true}
      - {name: phone, type: phone, required: true}
      - {name: unit, type: text, label: Unit of interest}
      - {name: when, type: datetime, label: Preferred appointment time}
    then: [ticket]
  - name: ticket
    kind: http
    method: POST
    url: https://helpdesk.example.com/api/tickets
    headers: {Authorization: "Bearer ${secret:HELPDESK_TOKEN}"}
    body: {subject: "Chat {conversation.id}", phone: "{lead.phone}"}
    timeout_s: 5
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed", "line 1: not valid YAML"),
        ("greeting: hi\n", "name: is required"),
        ("name: A\nconfidence_threshold: high\n", "line 2: confidence_threshold:"),
        ("name: A\nwelcome: hi\n", "line 2: welcome:"),
        (
            "name: A\nrules:\n  keywords:\n    - accident\n    - {phrase: fire, priority: asap}\n",
            "line 5: rules.keywords.1.priority:",
        ),
        ("- just\n- a list\n", "a mapping"),
        (
            "name: A\nactions:\n  - {name: t, kind: http, url: 'https://x.test/{lead}'}\n"
            "  - {name: u, kind: http, url: 'https://x.test/{visitor.ip}'}\n",
            "line 4: actions.1: Value error, unknown placeholder {visitor.ip}",
        ),
        (
            "name: A\nactions:\n  - name: f\n    kind: form\n    fields: []\n",
            "line 5: actions.0.fields:",
        ),
        (
            "name: A\nactions:\n  - {name: f, kind: form, fields: [{name: a}], then: [f]}\n",
            "actions: Value error, action 'f': then 'f' is not an HTTP action",
        ),
    ],
)
def test_bad_files_name_the_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_agent_file(text)
    assert expected in error.value.message


def test_import_creates_then_updates_and_export_round_trips(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/yaml"}
    created = client.post("/api/v1/agents/import", content=AGENT_FILE, headers=headers)
    assert created.status_code == 201, created.text
    agent = created.json()
    assert agent["theme_color"] == "#aa3300"
    assert [a["name"] for a in agent["actions"]] == ["lead", "ticket"]
    assert agent["actions"][1]["headers"] == {"Authorization": "Bearer ${secret:HELPDESK_TOKEN}"}
    assert agent["rules"]["topics"][0]["collect"] == "lead"
    assert agent["rules"]["keywords"] == [
        {"phrase": "accident", "priority": "urgent", "tags": [], "collect": None, "team": None},
        {"phrase": "emergency", "priority": None, "tags": [], "collect": None, "team": None},
    ]
    partial = "name: Ridgeline Powersports\ngreeting: Howdy!\n"
    updated = client.post("/api/v1/agents/import", content=partial, headers=headers)
    assert updated.status_code == 200 and updated.json()["id"] == agent["id"]
    assert updated.json()["greeting"] == "Howdy!"
    assert updated.json()["confidence_threshold"] == 0.45  # left out: kept

    exported = client.get(f"/api/v1/agents/{agent['id']}/export")
    assert exported.status_code == 200 and "yaml" in exported.headers["content-type"]
    client.delete(f"/api/v1/agents/{agent['id']}")
    again = client.post("/api/v1/agents/import", content=exported.text, headers=headers).json()
    ignore = {"id", "public_key", "created_at", "updated_at"}
    assert {k: v for k, v in again.items() if k not in ignore} == {
        k: v for k, v in updated.json().items() if k not in ignore
    }

    bad = client.post("/api/v1/agents/import", content="name: X\nposition: top\n", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("line 2: position")
    huge = client.post("/api/v1/agents/import", content="#" * 300_000, headers=headers)
    assert huge.status_code == 413


@pytest.mark.usefixtures("database")
def test_cli_import_and_export(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    source = tmp_path / "agent.yaml"
    source.write_text(AGENT_FILE)
    runner = CliRunner()
    first = runner.invoke(cli, [*data, "agents", "import", str(source)], obj={})
    assert first.exit_code == 0 and "Created agent" in first.output
    out = tmp_path / "out.yaml"
    exported = runner.invoke(
        cli, [*data, "agents", "export", "Ridgeline Powersports", "-o", str(out)], obj={}
    )
    assert exported.exit_code == 0
    assert parse_agent_file(out.read_text()) == parse_agent_file(
        runner.invoke(cli, [*data, "agents", "export", "Ridgeline Powersports"], obj={}).output
    )
    second = runner.invoke(cli, [*data, "agents", "import", str(out)], obj={})
    assert second.exit_code == 0 and "Updated agent" in second.output
    source.write_text("name: Broken\nconfidence_threshold: 7\n")
    broken = runner.invoke(cli, [*data, "agents", "import", str(source)], obj={})
    assert broken.exit_code == 1 and "line 2: confidence_threshold" in broken.output


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = billion_laughs()
    assert len(bomb) < 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InvalidInput) as error:
            parse_agent_file(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 0.5
    assert peak < 2_000_000
    assert error.value.message == (
        "line 7: YAML anchors and aliases (&, *) are not allowed in agent files."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: A\ngreeting: &hi Hello\n", "line 2: YAML anchors and aliases (&, *) are not"),
        ("name: A\ngreeting: *hi\n", "line 2: YAML anchors and aliases (&, *) are not"),
        ("name: !!python/object/apply:os.getpid []\n", "line 1: the YAML tag tag:yaml.org,"),
        ("name: A\ngreeting: !!binary aGk=\n", "line 2: the YAML tag tag:yaml.org,2002:binary"),
        ("name: A\nallowed_origins: !!set {a}\n", "line 2: the YAML tag tag:yaml.org,2002:set"),
        ("name: A\ngreeting: !custom hi\n", "line 2: the YAML tag !custom is not allowed"),
        ("name: A\nrules: " + "[" * 100_000 + "\n", "line 2: nested more than 32 levels"),
        ("name: A\nlanguage: " + "9" * 5000 + "\n", "line 2: '9999999999"),
        (
            "name: A\nbusiness_hours: {timezone: UTC, holidays: [2024-13-45]}\n",
            "line 2: '2024-13-45' is not a valid timestamp",
        ),
    ],
)
def test_only_plain_yaml_data_is_read(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_agent_file(text)
    assert error.value.message.startswith(expected), error.value.message


def test_plain_tags_still_read() -> None:
    spec = parse_agent_file("name: !!str 2024\nconfidence_threshold: !!float 0.5\n")
    assert (spec.name, spec.confidence_threshold) == ("2024", 0.5)


@pytest.mark.usefixtures("database")
def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    text = "name: A\n" + "# padding\n" * 30_000
    with pytest.raises(PayloadTooLarge, match="at most 256 KB"):
        parse_agent_file(text)
    source = tmp_path / "agent.yaml"
    source.write_text(text)
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "data"), "agents", "import", str(source)], obj={}
    )
    assert result.exit_code == 1 and "at most 256 KB" in result.output


@pytest.mark.usefixtures("database")
def test_cli_refuses_an_alias_bomb(tmp_path: Path) -> None:
    source = tmp_path / "agent.yaml"
    source.write_text(billion_laughs())
    data = ["--data-dir", str(tmp_path / "data")]
    result = CliRunner().invoke(cli, [*data, "agents", "import", str(source)], obj={})
    assert result.exit_code == 1 and "anchors and aliases" in result.output
    listed = CliRunner().invoke(cli, [*data, "agents", "list", "--json"], obj={})
    assert listed.exit_code == 0 and json.loads(listed.output) == []


def test_the_demo_agent_file_still_reads() -> None:
    text = (resources.files("frontdesk.demo") / "agent.yaml").read_text(encoding="utf-8")
    assert parse_agent_file(text).name == "Ridgeline Powersports"


def test_numbers_follow_yaml_1_2_so_a_time_stays_text() -> None:
    _, data = safeyaml.load("open: 9:30\nlimit: 12\nhex: 0x1f\nrate: 1.5\n")
    assert data == {"open": "9:30", "limit": 12, "hex": 31, "rate": 1.5}

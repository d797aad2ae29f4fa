"""`frontdesk usage`: the same report on the command line, for any workspace by its slug."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.accounts.service import create_workspace
from frontdesk.agents.service import create_agent
from frontdesk.cli import cli
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from frontdesk.usage import meter


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(data_dir: Path):
    def invoke(*args: str, ok: bool = True):
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "usage", *args], obj={})
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        return result

    return invoke


def _chat_in_new_workspace(data_dir: Path, name: str, messages: int) -> None:
    async def main() -> None:
        db = Database(Settings(data_dir=data_dir).sqlalchemy_url)
        try:
            async with db.transaction() as session:
                workspace = await create_workspace(session, name)
                agent = await create_agent(session, workspace.id, "Desk")
                conversation = (await lifecycle.start_conversation(session, agent)).conversation
                for n in range(messages):
                    await post_visitor_message(session, conversation, f"hi {n}", f"c{n}", 4000)
        finally:
            await db.dispose()

    asyncio.run(main())


@pytest.mark.usefixtures("database")
def test_usage_of_the_default_and_of_a_named_workspace(run, data_dir: Path) -> None:
    empty = json.loads(run("--json").output)  # migrates the new data directory
    assert len(empty["months"]) == 12
    assert empty["totals"] == {
        "conversations": 0,
        "visitor_messages": 0,
        "ai_answers": 0,
        "tokens": 0,
        "models": [],
    }
    _chat_in_new_workspace(data_dir, "Harbor Marine", 3)

    harbor = json.loads(run("--workspace", "harbor-marine", "--json").output)
    assert harbor["current"]["conversations"] == 1
    assert harbor["current"]["visitor_messages"] == 3
    assert json.loads(run("--json").output)["totals"] == empty["totals"]

    table = run("--workspace", "harbor-marine", "--from", harbor["current"]["month"]).output
    assert harbor["current"]["month"] in table and "visitor messages" in table
    assert "total" in table


@pytest.mark.usefixtures("database")
def test_unknown_workspace_and_bad_month_are_errors(run) -> None:
    unknown = run("--workspace", "nope", ok=False)
    assert unknown.exit_code == 1 and "No workspace 'nope'" in unknown.output
    assert "default" in unknown.output  # names the workspaces there are
    bad = run("--from", "2026-1", ok=False)
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output


@pytest.mark.usefixtures("database")
def test_the_table_lists_answers_by_model(run, data_dir: Path) -> None:
    run("--json")  # migrates the new data directory

    async def main() -> None:
        db = Database(Settings(data_dir=data_dir).sqlalchemy_url)
        try:
            async with db.transaction() as session:
                workspace = await create_workspace(session, "Harbor Marine")
                for model, tokens in (("gpt-4o-mini", (1200, 80)), ("[bold]odd[/]", (5, 1))):
                    await meter.count_answer(session, workspace.id, None, "openai", model, *tokens)
        finally:
            await db.dispose()

    asyncio.run(main())
    harbor = json.loads(run("--workspace", "harbor-marine", "--json").output)
    assert [(m["model"], m["tokens"]) for m in harbor["totals"]["models"]] == [
        ("gpt-4o-mini", 1280),
        ("[bold]odd[/]", 6),
    ]
    table = run("--workspace", "harbor-marine").output
    assert "AI answers by model" in table and "gpt-4o-mini" in table and "1,200" in table
    assert "[bold]odd[/]" in table  # a model's name is printed as written, never as markup

"""Create (or refresh) the demo agent and ingest the bundled dealership content."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import select

from frontdesk.accounts.models import Member, Workspace
from frontdesk.accounts.service import create_member
from frontdesk.agents import service
from frontdesk.agents.configfile import import_agent, parse_agent_file
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import AgentIn
from frontdesk.errors import NotFound
from frontdesk.knowledge.pipeline import IngestResult
from frontdesk.runtime import Runtime
from frontdesk.teams.schemas import TeamIn
from frontdesk.teams.service import create_team, team_named

AGENT_NAME = "Ridgeline Powersports"


def content_dir() -> Path:
    return Path(str(resources.files("frontdesk.demo") / "content"))


def agent_file() -> AgentIn:
    """The demo agent's settings: greeting, escalation rules, a lead form."""
    text = (resources.files("frontdesk.demo") / "agent.yaml").read_text(encoding="utf-8")
    return parse_agent_file(text)


DEMO_EMAIL = "demo@frontdesk.local"
# The demo binds to loopback and holds sample data only, so a known password is fine here.
DEMO_PASSWORD = "frontdesk-demo"


# The teams the demo agent's rules route to; Dana is in each, and Finance auto-assigns.
DEMO_TEAMS = (
    TeamIn(name="Sales", route_tags=["sales"]),
    TeamIn(name="Service", route_tags=["safety"]),
    TeamIn(name="Finance", route_tags=["financing"], auto_assign=True),
)


async def seed_member(runtime: Runtime, workspace_id: str) -> None:
    """The demo's team member (owner) and the teams, created once."""
    async with runtime.db.transaction() as session:
        if await session.scalar(select(Member.id).where(Member.email == DEMO_EMAIL)):
            return
        dana = await create_member(
            session, workspace_id, DEMO_EMAIL, DEMO_PASSWORD, role="owner", name="Dana (demo)"
        )
        for team in DEMO_TEAMS:
            if await team_named(session, workspace_id, team.name) is None:
                await create_team(
                    session, workspace_id, team.model_copy(update={"members": [dana.id]})
                )


async def seed_demo(runtime: Runtime, workspace_id: str) -> tuple[Agent, list[IngestResult]]:
    """Idempotent: a second run finds the agent and skips unchanged files."""
    async with runtime.db.transaction() as session:
        workspace = await session.get(Workspace, workspace_id)
        if workspace is not None and workspace.name == "Default workspace":
            workspace.name = "Demo"
        try:
            agent = await service.find_agent(session, workspace_id, AGENT_NAME)
        except NotFound:
            spec = agent_file()
            threshold = runtime.settings.default_confidence_threshold
            agent, _ = await import_agent(session, workspace_id, spec, threshold)
        files = sorted(p for p in content_dir().iterdir() if p.is_file())
        sources = [await runtime.knowledge.add_path(session, agent, path) for path in files]
    results = [await runtime.knowledge.ingest(source.id) for source in sources]
    await seed_member(runtime, workspace_id)
    return agent, results

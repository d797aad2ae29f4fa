"""The `frontdesk` command: serve, worker, demo, agents, ingest, sources, ask, users, ..."""

from __future__ import annotations

import click

from frontdesk import __version__
from frontdesk.cli import accounts, agents, ask, knowledge, secrets, serve, transfer, usage, worker
from frontdesk.cli.common import data_dir_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="frontdesk")
@data_dir_option
def cli() -> None:
    """Frontdesk: an AI support agent that answers from your own content."""


cli.add_command(serve.serve)
cli.add_command(serve.demo)
cli.add_command(worker.worker)
cli.add_command(agents.agents)
cli.add_command(knowledge.ingest)
cli.add_command(knowledge.sources)
cli.add_command(ask.ask)
cli.add_command(accounts.users)
cli.add_command(accounts.apikeys)
cli.add_command(secrets.secrets)
cli.add_command(secrets.workspace)
cli.add_command(usage.usage)
cli.add_command(transfer.export)
cli.add_command(transfer.import_)


def main() -> None:
    cli(obj={})

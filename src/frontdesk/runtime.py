"""Everything a process needs, built from Settings: database, embedder, services, jobs."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Workspace
from frontdesk.accounts.service import get_or_create_workspace
from frontdesk.agents.models import Agent
from frontdesk.alerts.dispatcher import AlertDispatcher
from frontdesk.answering.generators.base import Generator, GeneratorFailed
from frontdesk.answering.generators.extractive import ExtractiveGenerator, unit_texts
from frontdesk.answering.generators.remote import Access, AccessFor
from frontdesk.answering.pipeline import AnswerService
from frontdesk.answering.replies import Replies
from frontdesk.conversations import lifecycle
from frontdesk.conversations.actions import ActionRunner
from frontdesk.conversations.responder import Responder
from frontdesk.conversations.summarizer import Summarizer
from frontdesk.conversations.thread import record_touched
from frontdesk.conversations.tools import ConversationTools
from frontdesk.conversations.wait_watch import WaitWatcher
from frontdesk.db.engine import Database
from frontdesk.db.migrate import upgrade
from frontdesk.embedder.model import Embedder, OnnxMiniLM, OpenAIEmbedder
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.events.broker import Broker, InProcessBroker
from frontdesk.events.store import changes
from frontdesk.insights.titles import GapTitles
from frontdesk.jobs.queue import OUTBOUND, Jobs
from frontdesk.knowledge.ingestion import Ingestion
from frontdesk.knowledge.search import HybridSearcher
from frontdesk.knowledge.service import KnowledgeService
from frontdesk.rules.engine import RulesEngine
from frontdesk.settings import Settings
from frontdesk.teams.presence import Presence
from frontdesk.teams.sockets import SharedSockets, Sockets
from frontdesk.vault.cipher import Cipher, load_key
from frontdesk.vault.hosts import allowed_hosts
from frontdesk.vault.service import resolve

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

GENERATORS = ("extractive", "local", "openai", "anthropic")
# Rate limits and presence wait this long for Redis at most, then go on without it.
SHARED_TIMEOUT_S = 2.0
# Webhooks, emails and HTTP action runs a process sends at once.
OUTBOUND_SLOTS = 16


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "openai":
        if not settings.embedding_url:
            raise InvalidInput(
                "FRONTDESK_EMBEDDING_URL must be set when FRONTDESK_EMBEDDER=openai.",
                field="embedding_url",
            )
        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
        return OpenAIEmbedder(
            settings.embedding_url,
            settings.embedding_model,
            api_key=key,
            batch_size=settings.embedding_batch_size,
        )
    return OnnxMiniLM(batch_size=settings.embedding_batch_size, threads=settings.embedding_threads)


def redis_url(settings: Settings) -> str | None:
    """FRONTDESK_REDIS_URL, checked; None runs everything in this process."""
    if settings.redis_url is None:
        return None
    url = settings.redis_url.get_secret_value()
    if url.partition("://")[0] not in ("redis", "rediss", "unix"):
        raise InvalidInput(
            "FRONTDESK_REDIS_URL must start with redis://, rediss:// or unix://.",
            field="redis_url",
        )
    return url


class Runtime:
    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.db = Database(settings.sqlalchemy_url)
        # Each write transaction describes the conversations it changed once, at the end.
        self.db.before_commit.append(record_touched)
        self._embedder = embedder
        self.searcher = HybridSearcher(self.get_embedder)
        self.knowledge = KnowledgeService(self.db, settings, self.get_embedder, unit_texts)
        self.answers = AnswerService(self.db, self.searcher, self.get_embedder, self.generator_for)
        # Jobs run where settings say (serve, or `frontdesk worker`); started by whoever runs them.
        self.jobs = Jobs(settings, concurrency=settings.ingest_workers)
        self.ingestion = Ingestion(self.knowledge, self.jobs)
        # Calls to other systems (webhooks, emails, HTTP actions) queue apart from ingestion.
        self.outbound = Jobs(settings, concurrency=OUTBOUND_SLOTS, queue=OUTBOUND)
        # Several server processes share Redis: events wake each other, presence and rate
        # limits are counted once. Without it, all of that lives in this process.
        self.redis: Redis | None = None
        self.broker: Broker = InProcessBroker()
        if (url := redis_url(settings)) is not None:
            from frontdesk.events.redis_broker import RedisBroker, connect  # the [redis] extra

            self.redis = connect(url, retries=1, socket_timeout=SHARED_TIMEOUT_S)
            self.broker = RedisBroker(url)
        self.rules = RulesEngine(self.get_embedder)
        self.replies = Replies(self.answers, self.rules, self.get_embedder)
        self.actions = ActionRunner(
            self.db,
            self.broker,
            lambda: self.cipher,
            settings.inbox_link,
            self.outbound,
            settings.jobs_sweep_s,
        )
        self.responder = Responder(
            self.db,
            self.broker,
            self.replies,
            lambda agent, conversation_id: ConversationTools(self.actions, agent, conversation_id),
        )
        self.summaries = Summarizer(self.db, self.broker, self.generator_for)
        self.gap_titles = GapTitles(self.db, self.generator_for)
        # Started by servers and workers (start_jobs); CLI commands never send alerts.
        self.alerts = AlertDispatcher(
            self.db, self.broker, settings, lambda: self.cipher, self.outbound
        )
        # Started by the server only: offers the offline form when a wait for a person runs out.
        self.waits = WaitWatcher(self.reads, self.changes, self.broker)
        sockets = SharedSockets(self.redis, settings.presence_expiry_s) if self.redis else Sockets()
        self.presence = Presence(self.db, self.changes, lifecycle.fill_teams_of, sockets)

    def changes(self, *, bulk: bool = False) -> AbstractAsyncContextManager[AsyncSession]:
        """The one way to write: a transaction whose events are published once it commits.

        On SQLite it holds the database's only write lock from the start, so whatever can be
        checked before (authentication, origin, rate limits, input) is checked before.
        ``bulk``: it may write or delete thousands of rows (Database.transaction_of).
        """
        return changes(self.db, self.broker, bulk=bulk)

    def reads(self, *, lookups: bool = False) -> AbstractAsyncContextManager[AsyncSession]:
        """The one way to read: a session with no write lock that refuses to write (it never
        commits either); every read in it sees the same moment (Database.snapshot).

        ``lookups``: it only finds a few rows by index, as a request's checks do (a token,
        an id); on SQLite those run at once on the event loop's thread."""
        return self.db.snapshot(lookups=lookups)

    def get_embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    @cached_property
    def cipher(self) -> Cipher:
        key = self.settings.secret_key
        return Cipher(load_key(key.get_secret_value() if key else None, self.settings.data_dir))

    @cached_property
    def extractive(self) -> ExtractiveGenerator:
        return ExtractiveGenerator()

    def generator_for(self, agent: Agent) -> Generator:
        # Each imported when an agent uses it: the SDKs and llama.cpp take seconds to load.
        if agent.generator == "local":
            from frontdesk.answering.generators.local import LocalGenerator

            return LocalGenerator.from_config(agent.generator_config)
        if agent.generator == "anthropic":
            from frontdesk.answering.generators.anthropic_messages import AnthropicGenerator

            secret = agent.generator_config.get("api_key_secret")
            return AnthropicGenerator.from_config(
                agent.generator_config, self.endpoint_access(agent.workspace_id, secret)
            )
        if agent.generator == "openai":
            from frontdesk.answering.generators.openai_chat import OpenAIChatGenerator

            secret = agent.generator_config.get("api_key_secret")
            return OpenAIChatGenerator.from_config(
                agent.generator_config, self.endpoint_access(agent.workspace_id, secret)
            )
        return self.extractive

    def endpoint_access(self, workspace_id: str, secret: str | None) -> AccessFor:
        """What a call to a model endpoint may use, read from the workspace at each call."""

        async def access() -> Access:
            async with self.reads() as session:
                hosts = await allowed_hosts(session, workspace_id)
                try:
                    keys = await resolve(
                        session, self.cipher, workspace_id, [secret] if secret else []
                    )
                except NotFound as exc:  # the secret was deleted after the agent named it
                    raise GeneratorFailed(exc.message) from None
            return Access(tuple(hosts), keys.get(secret) if secret else None, secret)

        return access

    async def start(self) -> Workspace:
        """Create the data directory, migrate the schema, make sure a workspace exists."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        await upgrade(self.db)
        async with self.db.transaction() as session:
            return await get_or_create_workspace(session)

    async def start_jobs(self, consume: bool) -> None:
        """Queue alerts and send the jobs of what is due; with ``consume``, also run jobs
        here (in-process jobs always run) and sweep for lost ones."""
        await self.outbound.start(consume)
        await self.alerts.start()
        await self.ingestion.start(consume)
        await self.actions.start(consume)

    async def close(self) -> None:
        await self.alerts.stop()  # first, what sends jobs; then the jobs in hand
        await self.actions.stop()
        await self.waits.stop()
        await self.presence.close()
        await self.responder.close()
        await self.summaries.close()
        await self.gap_titles.close()
        await self.ingestion.stop()
        await self.outbound.close()
        await self.alerts.release()
        await self.actions.close()
        await self.jobs.close()
        await self.broker.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()

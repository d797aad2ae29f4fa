"""The background sender: tails the event log, fills the outbox, sends the jobs of what is due.

It follows each workspace's event stream from a stored position (the last ``seq`` turned into
deliveries). Streams are numbered in commit order without holes, so reading after the
position never misses an event another process commits later; the position moves in the
transaction that queues the deliveries, so none is queued twice.

Woken by the broker when events are published (in this process, or in any process sharing
Redis), and every ``alerts_poll_s`` otherwise (events whose wake-up was lost, retries coming
due). Each attempt is a job (``JOB``, carrying the delivery's id) run wherever jobs run: in
this process by default, or by a server with run_jobs or `frontdesk worker` through Redis;
the outbox row decides whether there is anything to do (alerts/outbox.py). Sending never
holds a database transaction, so a slow or failing endpoint cannot hold up conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select

from frontdesk.accounts.models import Workspace
from frontdesk.alerts import fanout, mail, outbox, signing, transport
from frontdesk.alerts.models import Delivery, Webhook
from frontdesk.alerts.outbox import Outcome
from frontdesk.alerts.webhooks import secret_of
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.events.broker import ALL_EVENTS, Broker, Subscription
from frontdesk.jobs.queue import Jobs
from frontdesk.settings import Settings
from frontdesk.tasks import BackgroundTasks
from frontdesk.vault.cipher import Cipher

log = logging.getLogger(__name__)

BATCH = 500
JOB = "alerts.deliver"
# With nothing to queue, positions live in memory and are stored this often (and on stop);
# re-reading those events after a crash queues nothing that was not queued before.
PERSIST_EVERY_S = 30.0
# Rounds start at most this often: an event on a quiet desk is read at once, while under load
# one round reads the events of many messages (not three queries per message).
ROUND_EVERY_S = 0.1


class AlertDispatcher:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        settings: Settings,
        cipher: Callable[[], Cipher],
        jobs: Jobs,
    ):
        self.db = db
        self.broker = broker
        self.settings = settings
        self._cipher = cipher
        self.jobs = jobs
        jobs.register(JOB, self.deliver)
        self._wake = asyncio.Event()
        # Per workspace with events after its stored position: how far this process read,
        # and the position as stored.
        self._read: dict[str, int] = {}
        self._stored: dict[str, int] = {}
        self._stored_at = 0.0
        self._round_started = -ROUND_EVERY_S
        self._loops = BackgroundTasks(log)
        self._in_flight: set[str] = set()  # ids of the deliveries being sent
        # Set by wake(): ask the outbox for due deliveries on the next round, whatever else.
        self._check_due = True
        # In-process jobs died with the last process: the first round sends every due one.
        self._resend_all = jobs.in_process
        self._subscription: Subscription | None = None
        self._client: httpx.AsyncClient | None = None
        self.lease_s = max(settings.webhook_timeout_s, settings.smtp_timeout_s * 2) + 30

    async def start(self) -> None:
        """Fan out events and send the jobs of due deliveries (the jobs run where jobs run)."""
        self._subscription = self.broker.subscribe(ALL_EVENTS)
        self._loops.spawn(self._listen(), name="alerts-listen")
        self._loops.spawn(self._run(), name="alerts-dispatch")

    def wake(self) -> None:
        """Look for new events and due deliveries now (after a commit that queued one)."""
        self._check_due = True
        self._wake.set()

    async def stop(self) -> None:
        """Stop queueing and sending jobs (the jobs in hand are stopped with the queue)."""
        await self._loops.close()
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        try:
            if self._unsaved():
                await self._store_positions()
        except Exception:
            log.exception("could not save the alert dispatcher's position")

    async def release(self) -> None:
        """After the queue stopped: attempts cut short are due again at once (not when their
        leases run out)."""
        interrupted = list(self._in_flight)
        self._in_flight.clear()
        try:
            if interrupted:
                async with self.db.transaction() as session:
                    await outbox.release(session, interrupted)
        except Exception:
            log.exception("could not give back the deliveries cut short")
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _listen(self) -> None:
        while self._subscription is not None:
            event = await self._subscription.get()
            if event is None:  # fell behind: listen afresh; the log has whatever was missed
                self._subscription.close()
                self._subscription = self.broker.subscribe(ALL_EVENTS)
                self.wake()
            elif event.id is not None:
                self._wake.set()  # new events: the outbox is asked only if they queue some

    async def _run(self) -> None:
        due_at = 0.0  # monotonic time the outbox is next asked for due deliveries
        while True:
            await asyncio.sleep(self._round_started + ROUND_EVERY_S - time.monotonic())
            self._round_started = time.monotonic()
            self._wake.clear()
            try:
                queued = await self.fan_out()
                if queued or self._check_due or time.monotonic() >= due_at:
                    self._check_due = False
                    due_at = time.monotonic() + min(
                        self.settings.alerts_poll_s, await self.send_due()
                    )
            except Exception:
                due_at = time.monotonic() + self.settings.alerts_poll_s
                log.exception(
                    "alert dispatch failed; trying again in %ss", self.settings.alerts_poll_s
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, due_at - time.monotonic()))

    async def fan_out(self) -> int:
        """Queue deliveries for every event after the workspaces' positions; returns how many."""
        queued = 0
        while True:
            # One read per batch, run at once on the loop's thread (Database.snapshot): under
            # load a round starts ten times a second, and handing each of its statements to
            # the connection's thread and back cost the server as much as the messages did.
            async with self.db.snapshot(lookups=True) as session:
                lags = await fanout.lagging(session)
                self._stored = {lag.workspace_id: lag.stored for lag in lags}
                self._read = {
                    lag.workspace_id: max(lag.stored, self._read.get(lag.workspace_id, 0))
                    for lag in lags
                }
                after = {
                    lag.workspace_id: self._read[lag.workspace_id]
                    for lag in lags
                    if lag.last_seq > self._read[lag.workspace_id]
                }
                chunk = dict(itertools.islice(after.items(), fanout.WORKSPACES_PER_BATCH))
                batch = await fanout.wanted_after(session, chunk, BATCH, self.settings)
            if batch.wanted:
                async with self.db.transaction() as session:
                    queued += await fanout.queue_batch(session, batch, self.settings)
                self._stored.update(batch.positions)
                self._stored_at = time.monotonic()
            self._read.update(batch.positions)
            if batch.count == 0 or (batch.count < BATCH and len(chunk) == len(after)):
                break
            await asyncio.sleep(0)  # a backlog of many batches lets the server serve between
        if self._unsaved() and time.monotonic() - self._stored_at > PERSIST_EVERY_S:
            await self._store_positions()
            await self._prune()
        return queued

    def _unsaved(self) -> dict[str, int]:
        return {w: seq for w, seq in self._read.items() if seq > self._stored.get(w, 0)}

    async def _prune(self) -> None:
        before = utcnow() - timedelta(days=self.settings.alerts_log_days)
        async with self.db.transaction() as session:
            removed = await outbox.prune(session, before)
        if removed:
            log.info("removed %d finished alert deliveries older than %s", removed, before)

    async def _store_positions(self) -> None:
        unsaved = self._unsaved()
        async with self.db.transaction() as session:
            await fanout.store_positions(session, unsaved)
        self._stored.update(unsaved)
        self._stored_at = time.monotonic()

    async def send_due(self) -> float:
        """Send the jobs of due deliveries; returns seconds until the next one is due."""
        # A job not taken within a lease is lost (its process was killed, Redis was down);
        # after a restart in-process, every job the last process sent is.
        lost_before = utcnow() - timedelta(seconds=0 if self._resend_all else self.lease_s)
        self._resend_all = False
        while True:
            async with self.db.transaction() as session:
                due = await outbox.mark_due(session, BATCH, lost_before)
            for number, delivery_id in enumerate(due):
                try:
                    await self.jobs.send(JOB, delivery_id)
                except Exception:
                    async with self.db.transaction() as session:
                        await outbox.unmark(session, due[number:])
                    raise
            if len(due) < BATCH:
                break
        async with self.db.session() as session:
            next_at = await outbox.next_due(session)
        if next_at is None:
            return self.settings.alerts_poll_s
        return max(0.0, (next_at - utcnow()) / timedelta(seconds=1))

    async def deliver(self, delivery_id: str) -> None:
        """The job: make the due attempt of this delivery, unless it is done or taken."""
        async with self.db.transaction() as session:
            delivery = await outbox.claim(session, delivery_id, self.lease_s)
        if delivery is None:
            return
        self._in_flight.add(delivery.id)
        # Cut short (stopping), it stays in flight and release() makes it due again at once.
        await self._attempt(delivery)
        self._in_flight.discard(delivery.id)

    async def _attempt(self, delivery: Delivery) -> None:
        email = delivery.channel == "email"
        delays = (
            self.settings.email_retry_delays_s if email else self.settings.webhook_retry_delays_s
        )
        try:
            if email:
                outcome = await mail.send(self.settings, fanout.email_of(delivery))
            else:
                outcome = await self._post(delivery)
        except Exception as exc:
            # A bug or a wrong server key, not the receiver: say so, do not retry blindly.
            log.exception("alert %s crashed", delivery.id)
            error = f"Internal error ({type(exc).__name__}); see the server log."
            outcome = Outcome(ok=False, error=error, permanent=True)
        async with self.db.transaction() as session:
            saved = await outbox.record(session, delivery.id, outcome, delays)
        self._log(delivery, outcome, saved)
        self.wake()

    async def _post(self, delivery: Delivery) -> Outcome:
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(Webhook, Workspace.allowed_hosts)
                    .join(Workspace, Workspace.id == Webhook.workspace_id)
                    .where(Webhook.id == delivery.webhook_id)
                )
            ).first()
        if found is None:
            return Outcome(ok=False, error="The webhook was deleted.", permanent=True)
        webhook, allowed_hosts = found
        if not webhook.active:
            return Outcome(ok=False, error="The webhook is paused.", permanent=True)
        secret = secret_of(self._cipher(), webhook)
        headers = signing.headers(secret, delivery.id, int(time.time()), delivery.body)
        if self._client is None:
            self._client = transport.new_client()
        return await transport.post(
            self._client,
            webhook.url,
            allowed_hosts or [],
            headers,
            delivery.body,
            self.settings.webhook_timeout_s,
        )

    def _log(self, delivery: Delivery, outcome: Outcome, saved: Delivery | None) -> None:
        where = delivery.webhook_id or "email"
        if outcome.ok:
            log.info("alert %s (%s) to %s delivered", delivery.id, delivery.event_type, where)
        elif saved is not None:
            log.warning(
                "alert %s (%s) to %s: attempt %d failed, %s: %s",
                delivery.id,
                delivery.event_type,
                where,
                saved.attempts,
                "will retry" if saved.status == "pending" else "giving up",
                outcome.error,
            )

"""The notice worker: sends the replies queued for pool-number senders (pool/notices.py)
through the number's Graph API.

Notices live in the ``notices`` table with leases, like deliveries and media jobs: a crash
mid-send means the notice falls due again after its lease. A transient Graph error
(network, 5xx, throttling) is retried with a doubling backoff up to ``notice_attempts``
tries; anything Meta refuses outright fails the notice at once (its error is kept).
One recipient's notices go out one after another, in the order they were queued.

Fair sharing (shares.py, as media jobs do): at most ``notice_concurrency`` notices are sent
at once, at most ``notice_per_number_concurrency`` through one number, and a number at its
share has its notices left unclaimed; each notice is sent in a task of its own, so the
claiming goes on while a slow number's sends are under way, and other numbers' notices are
not held behind them.
"""

import asyncio
import logging

import orjson

from wahooks.background import Loop, Tasks
from wahooks.config import Settings
from wahooks.retry import exponential
from wahooks.send.graph import GraphClient, GraphError
from wahooks.send.messenger import addressee
from wahooks.shares import FairShares
from wahooks.store import Store
from wahooks.store.notice_ops import NoticeJob
from wahooks.store.notifier import Topic

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 3600.0
STOP_GRACE_S = 5.0
LEASE_MARGIN_S = 30.0


def backoff_s(first_s: float, attempt: int) -> float:
    """Delay after the ``attempt``-th failed try (1, 2, ...): first_s, doubling, capped."""
    return exponential(first_s, attempt, MAX_BACKOFF_S)


class NoticeWorker:
    def __init__(self, store: Store, graph: GraphClient, settings: Settings) -> None:
        self._store = store
        self._graph = graph
        self._settings = settings
        self._loop = Loop("pool-notices")
        self._inflight = Tasks(on_done=self._loop.wake)  # a finished send makes room
        self._shares = FairShares(
            settings.notice_concurrency, settings.notice_per_number_concurrency
        )
        # The last send of each recipient (number, wa_id): the next one waits for it.
        self._tails: dict[tuple[str, str], asyncio.Task[None]] = {}

    def wake(self) -> None:
        self._loop.wake()

    async def start(self) -> None:
        self._store.notifier.subscribe(Topic.NOTICES, lambda _tenants: self.wake())
        self._loop.start(self._run)

    async def stop(self) -> None:
        """Stop claiming; the sends under way get a few seconds to finish (each is bounded
        by the Graph timeout; one cut short is leased, so sent again later). Never cancelled
        mid-query: a cancelled query can spoil a pooled connection."""
        await self._loop.stop()
        await self._inflight.drain(STOP_GRACE_S)

    async def _run(self) -> None:
        # A notice waits at most for its recipient's earlier one, then sends: two requests.
        lease_s = 2 * self._graph.timeout_s + LEASE_MARGIN_S
        while not self._loop.stopping:
            free, claimed = self._shares.free, 0
            try:
                # One at a time, so that no number takes more than its share of the slots.
                while claimed < free and not self._loop.stopping:
                    jobs = await self._store.notices.claim(
                        limit=1, lease_s=lease_s, busy=self._shares.busy()
                    )
                    if not jobs:
                        break
                    self._start(jobs[0])
                    claimed += 1
            except Exception:
                log.exception("claiming notices failed; retrying shortly")
            if claimed and claimed == free:
                continue
            await self._loop.pause(self._settings.dispatch_poll_interval_s)

    def _start(self, job: NoticeJob) -> None:
        """Send ``job`` in a task of its own, after its recipient's earlier notice."""
        self._shares.take(job.number.id)
        recipient = (job.number.id, job.wa_id)
        before = self._tails.get(recipient)

        async def send() -> None:
            try:
                if before is not None:
                    await asyncio.wait([before])  # only the order matters, not its outcome
                await self._send(job)
            finally:
                self._shares.release(job.number.id)
                if self._tails.get(recipient) is task:
                    del self._tails[recipient]

        task = self._inflight.spawn(send())
        self._tails[recipient] = task

    async def _send(self, job: NoticeJob) -> None:
        number = job.number
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            # A sender known only by BSUID (the number withheld) is a ``recipient``.
            **addressee(job.wa_id),
            "type": "text",
            "text": {"body": job.text, "preview_url": False},
        }
        try:
            try:
                await self._graph.post_once(
                    number,
                    f"{number.phone_number_id}/messages",
                    orjson.dumps(body),
                    {"Content-Type": "application/json"},
                )
            except GraphError as exc:
                await self._failed(job, exc)
                return
            await self._store.notices.finish(job.seq, sent=True)
        except Exception:  # the store failed: the lease runs out and the notice is tried again
            log.exception("notice %d: recording its outcome failed", job.seq)

    async def _failed(self, job: NoticeJob, exc: GraphError) -> None:
        tries = job.attempts + 1
        error = f"{exc.code}: {exc.message}" if exc.code is not None else exc.message
        if exc.transient and tries < self._settings.notice_attempts:
            delay = backoff_s(self._settings.notice_backoff_s, tries)
            log.warning("notice %d (%s) to %s: %s; again in %gs", job.seq, job.kind, job.number.id,
                        error, delay)  # fmt: skip
            await self._store.notices.retry(job.seq, delay, error)
        else:
            log.warning("notice %d (%s) to %s failed: %s", job.seq, job.kind, job.number.id, error)
            await self._store.notices.finish(job.seq, sent=False, error=error)

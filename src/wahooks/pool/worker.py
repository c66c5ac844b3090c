"""The notice worker: sends the replies queued for pool-number senders (pool/notices.py)
through the number's Graph API.

Notices live in the ``notices`` table with leases, like deliveries and media jobs: a crash
mid-send means the notice falls due again after its lease. A transient Graph error
(network, 5xx, throttling) is retried with a doubling backoff up to ``notice_attempts``
tries; anything Meta refuses outright fails the notice at once (its error is kept).
One recipient's notices go out one after another, in the order they were queued.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence

import orjson

from wahooks.background import Loop
from wahooks.config import Settings
from wahooks.retry import exponential
from wahooks.send.graph import GraphClient, GraphError
from wahooks.send.messenger import addressee
from wahooks.store import Store
from wahooks.store.notice_ops import NoticeJob
from wahooks.store.notifier import Topic

log = logging.getLogger(__name__)

CLAIM_BATCH = 50
MAX_BACKOFF_S = 3600.0
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

    def wake(self) -> None:
        self._loop.wake()

    async def start(self) -> None:
        self._store.notifier.subscribe(Topic.NOTICES, lambda _tenants: self.wake())
        self._loop.start(self._run)

    async def stop(self) -> None:
        """Stop claiming; the batch being sent finishes (its sends are bounded by the Graph
        timeout). Never cancelled mid-query: a cancelled query can spoil a pooled connection."""
        await self._loop.stop()

    async def _run(self) -> None:
        lease_s = self._graph.timeout_s + LEASE_MARGIN_S
        while not self._loop.stopping:
            jobs: list[NoticeJob] = []
            try:
                jobs = await self._store.notices.claim(limit=CLAIM_BATCH, lease_s=lease_s)
            except Exception:
                log.exception("claiming notices failed; retrying shortly")
            if jobs:
                await self.send_all(jobs)
                if len(jobs) == CLAIM_BATCH:
                    continue
            await self._loop.pause(self._settings.dispatch_poll_interval_s)

    async def send_all(self, jobs: Sequence[NoticeJob]) -> None:
        """Recipients in parallel, each recipient's notices in order."""
        per_recipient: dict[tuple[str, str], list[NoticeJob]] = defaultdict(list)
        for job in jobs:
            per_recipient[(job.number.id, job.wa_id)].append(job)

        async def in_order(queue: list[NoticeJob]) -> None:
            for job in queue:
                await self._send(job)

        await asyncio.gather(*(in_order(q) for q in per_recipient.values()))

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

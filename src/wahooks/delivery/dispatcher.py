"""The dispatcher: claim due deliveries, send each, record every attempt.

Each attempt goes out by its destination's method (senders.py): a webhook's POST, or a
publish into a message bus (brokers/); the outcome is the same Answer either way.

One loop claims batches from the store (the only queue) while up to
``dispatch_concurrency`` attempts run; finished attempts are recorded in batches by a
second loop. Nothing is kept only in memory: a delivery is leased while it is sent, and if
this process dies the lease runs out and the delivery is claimed again (same webhook-id).
Per-conversation order is the claim query's job: it only hands out a conversation's oldest
active delivery (for destinations with ``ordered`` on). What an attempt's outcome does to
its delivery is decisions.py's; to its destination, circuit.py's (back off the destination,
not the message) and health.py's (automatic disabling), applied as attempts are recorded.
Per-destination rate and in-flight limits are pacing.py's.

A delivery's file gets its signed link (media/links.py) just before it is rendered.

Deliveries claimed together of a type the format batches go out in one POST (batches.py),
with the same outcome recorded on each. A reply in the answer (the whatspie format) is
handed to the reply sender, which sends it in the background (replies.py).
"""

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from wahooks.background import Loop, Tasks
from wahooks.config import Settings
from wahooks.delivery.batches import batches, webhook_id
from wahooks.delivery.context import with_conversation
from wahooks.delivery.decisions import circuit_policy, decide
from wahooks.delivery.health import HealthPolicy, health_update
from wahooks.delivery.pacing import Deferred, Pacer, Shares
from wahooks.delivery.replies import take_reply
from wahooks.delivery.retry import INTERNAL, UNRENDERABLE
from wahooks.delivery.senders import Senders
from wahooks.delivery.webhook import PreparedRequest, prepare, prepare_batch
from wahooks.formats.skip import SkipEvent
from wahooks.media.links import MediaLinks
from wahooks.metrics import Metrics
from wahooks.models import AttemptDecision, AttemptResult, ClaimedDelivery, Clock, Destination
from wahooks.send.replies import ReplySender
from wahooks.store import Store
from wahooks.store.notifier import Topic

log = logging.getLogger(__name__)


class Unrenderable(Exception):
    """The format could not render the event (a bug, or a shape it does not expect)."""


class Dispatcher:
    def __init__(
        self,
        store: Store,
        senders: Senders,
        settings: Settings,
        *,
        replies: ReplySender | None = None,
        clock: Clock = time.time,
        rand: Callable[[], float] = random.random,
        metrics: Metrics | None = None,
        links: MediaLinks | None = None,
        shares: Shares | None = None,
    ) -> None:
        """``shares``: this process's part of destinations' limits shared with other
        processes (peers.Peers); None: it is alone."""
        self._store = store
        self._links = links  # None: payloads carry no signed media links
        self._metrics = metrics
        self._senders = senders
        self._replies = replies  # None: replies in answers are not sent
        self._settings = settings
        self._clock = clock
        self._rand = rand
        self._claiming = Loop("dispatcher-claim")
        self._recording = Loop("dispatcher-record")  # woken when results are ready
        self._results: list[tuple[AttemptDecision, Destination]] = []
        self._inflight = Tasks()
        self._health = HealthPolicy(
            settings.destination_disable_after_failures,
            settings.destination_disable_after_s,
            alert_after=settings.alert_after_failures,
        )
        self._circuit = circuit_policy(settings)
        self._pacer = Pacer(
            default_max_in_flight=settings.default_max_in_flight,
            wait_limit_s=settings.lease_margin_s / 2,
            on_room=self.wake,
            shares=shares,
        )
        self._deferred: list[tuple[str, float]] = []  # handed back by pacing: (id, delay)

    def wake(self) -> None:
        self._claiming.wake()

    @property
    def running(self) -> bool:
        return self._claiming.running and self._recording.running

    async def start(self) -> None:
        released = await self._store.deliveries.release_leases()
        if released:
            log.info("released %d deliveries leased before a restart", released)
        self._store.notifier.subscribe(Topic.DELIVERIES, lambda _tenants: self.wake())
        self._claiming.start(self._claim_loop)
        self._recording.start(self._record_loop)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming, let running attempts finish (up to ``grace_s``), record them."""
        await self._claiming.stop()
        # Attempts still running after grace_s are cancelled: their leases expire and they
        # are sent again later.
        await self._inflight.drain(grace_s)
        await self._recording.stop()  # records what the attempts left, then ends
        if self._replies is not None:
            await self._replies.close(grace_s)

    # --- claim ------------------------------------------------------------------------

    @property
    def _lease_s(self) -> float:
        # Every request is capped at max_timeout_s, so one lease length fits them all: a
        # lease outlives its request, and a dead process's leases expire soon after.
        return self._settings.max_timeout_s + self._settings.lease_margin_s

    def _room(self) -> int:
        """How many deliveries one claim may take now."""
        free = self._settings.dispatch_concurrency - len(self._inflight)
        return max(0, min(free, self._settings.dispatch_batch))

    def _start(self, claimed: Sequence[ClaimedDelivery]) -> None:
        for group in batches(claimed):
            self._inflight.spawn(self._attempt(group))

    async def _claim_loop(self) -> None:
        while not self._claiming.stopping:
            limit = self._room()
            if limit > 0:
                claimed: list[ClaimedDelivery] = []
                started = time.perf_counter()
                try:
                    claimed = await self._store.deliveries.claim_due(
                        limit=limit, lease_s=self._lease_s, paused=self._pacer.saturated()
                    )
                    if self._metrics is not None:
                        self._metrics.claim_time.observe(time.perf_counter() - started)
                except Exception:
                    log.exception("claiming deliveries failed; retrying shortly")
                self._start(claimed)
                if len(claimed) == limit:
                    continue  # more may be due right now
            await self._claiming.pause(self._settings.dispatch_poll_interval_s)

    # --- send ---------------------------------------------------------------------------

    def _prepare(self, group: Sequence[ClaimedDelivery]) -> PreparedRequest:
        first = group[0]
        if len(group) == 1:
            request = prepare(first.destination, first.event, first.id, self._clock())
        else:
            events = [d.event for d in group]
            request = prepare_batch(first.destination, events, webhook_id(group), self._clock())
        return request.capped(self._settings.max_timeout_s)

    async def _attempt(self, group: Sequence[ClaimedDelivery]) -> None:
        """One POST (or publish) for the group (one delivery, or a batch), its outcome
        recorded on each."""
        first = group[0]
        # One request, one place in the destination's pacing, whatever the batch's size.
        slot = await self._pacer.admit(first.destination)
        if isinstance(slot, Deferred):  # no room: back to the queue, no attempt made
            self._deferred.extend((d.id, slot.delay_s) for d in group)
            self._recording.wake()
            return
        try:
            group = [await with_conversation(self._store, self._settings, d) for d in group]
            if self._links is not None:  # signed per attempt: a retry's link starts afresh
                now = self._clock()
                group = [replace(d, event=self._links.on_event(d.event, now)) for d in group]
            first = group[0]
            try:
                request = self._prepare(group)
            except SkipEvent:
                raise
            except Exception as exc:
                raise Unrenderable(f"{type(exc).__name__}: {exc}") from exc
            answer = await self._senders.exchange(first.destination, first.id, request)
            result = answer.result
            if self._replies is not None and len(group) == 1:
                result = take_reply(first, answer, self._replies)
        except SkipEvent as skip:  # the format has no shape for it: finished, nothing sent
            result = self._unsent(first, None, None, excerpt=f"skipped: {skip.reason}")
        except Unrenderable as exc:  # no retry renders it: failed alone, with the reason
            log.exception("deliveries %s cannot be rendered", [d.id for d in group])
            result = self._unsent(first, UNRENDERABLE, str(exc))
        except Exception as exc:  # a bug must not lose the delivery: record it as an attempt
            log.exception("deliveries %s could not be attempted", [d.id for d in group])
            result = self._unsent(first, INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            slot.release()
        self._observe(first, result)
        for delivery in group:
            own = replace(result, delivery_id=delivery.id)
            decision = decide(delivery, own, self._settings, self._clock(), self._rand)
            if decision.disable_destination:
                log.warning("destination %s answered 410 Gone: disabled", delivery.destination.id)
            self._results.append((decision, delivery.destination))
        self._recording.wake()

    def _unsent(
        self, delivery: ClaimedDelivery, error: str | None, detail: str | None, excerpt: str = ""
    ) -> AttemptResult:
        """The record of an attempt that sent nothing (skipped, or failed before sending)."""
        return AttemptResult(
            delivery_id=delivery.id,
            started_at=self._clock(),
            status_code=None,
            latency_ms=0.0,
            response_excerpt=excerpt,
            error=error,
            error_detail=detail,
        )

    def _observe(self, delivery: ClaimedDelivery, result: AttemptResult) -> None:
        """One log line per attempt (DEBUG when it succeeded, INFO otherwise), and the
        metrics."""
        fmt = delivery.destination.format
        skipped = result.error is None and result.response_excerpt.startswith("skipped: ")
        outcome = "skipped" if skipped else (result.error or "ok")
        level = logging.DEBUG if result.error is None else logging.INFO
        if log.isEnabledFor(level):
            self._log_attempt(level, outcome, delivery, result)
        if self._metrics is None:
            return
        self._metrics.attempts.labels(fmt, outcome).inc()
        if result.status_code is not None:
            self._metrics.attempt_latency.labels(fmt).observe(result.latency_ms / 1000)

    def _log_attempt(
        self, level: int, outcome: str, delivery: ClaimedDelivery, result: AttemptResult
    ) -> None:
        log.log(
            level,
            "delivery attempt: %s",
            outcome,
            extra={
                "tenant_id": delivery.destination.tenant_id,
                "destination_id": delivery.destination.id,
                "delivery_id": delivery.id,
                "event": delivery.event.event_type,
                "message_id": delivery.event.item.get("id"),
                "conversation_id": delivery.event.conversation_id or None,
                "attempt": delivery.attempts + 1,
                "status": result.status_code,
                "ms": round(result.latency_ms, 1),
                "error": result.error,
            },
        )

    # --- record -------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        while True:
            await self._recording.pause(None)
            if self._deferred:
                deferred, self._deferred = self._deferred, []
                try:
                    await self._store.deliveries.defer(deferred)
                except Exception:  # their leases expire, and they are claimed again
                    log.exception("handing back %d paced deliveries failed", len(deferred))
            if self._results:
                batch, self._results = self._results, []
                try:
                    failing = {dst.id for _, dst in batch if dst.consecutive_failures}
                    decisions = [(d, dst.id) for d, dst in batch]
                    healthy = {dst.id for _, dst in batch} - failing
                    health = health_update(decisions, self._health, healthy, self._circuit)
                    # What the finished ones let go (their conversations' next deliveries)
                    # is claimed in the same commit; stopping, nothing new is started.
                    limit = 0 if self._claiming.stopping else self._room()
                    claimed = await self._store.deliveries.record_and_claim(
                        decisions, health, limit=limit, lease_s=self._lease_s,
                        paused=self._pacer.saturated(),
                    )  # fmt: skip
                    self._start(claimed)
                    if len(claimed) == limit:
                        self.wake()  # more may be due than this claim had room for
                except Exception:
                    # Leases stay; the deliveries are attempted again when they expire.
                    log.exception("recording %d attempts failed", len(batch))
                    self.wake()
                offered = {dst.tenant_id for d, dst in batch if d.offer_to_socket}
                if offered:
                    self._store.notifier.publish(Topic.DELIVERIES, offered)
            # Stopped only after the attempts are drained: nothing more will come.
            if self._recording.stopping and not self._results and not self._deferred:
                return

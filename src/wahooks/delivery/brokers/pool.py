"""One connection per message-bus destination, dialled when first needed, kept while used
(for SQS, one client: its HTTPS connections come and go inside it).

- **Reconnects with backoff.** A lost connection is dropped and the next attempt dials
  again; a failed dial makes the next wait 0.1 s, 0.25 s, 0.5 s, 1 s, 2 s, 5 s, then 10 s
  (``DIAL_BACKOFF_S``), reset by a dial that works. Attempts that queued behind a dial
  that failed fail with it instead of dialling once each, and an attempt whose timeout
  ends before the next dial fails at once: attempts record only what the broker did.
- **Changes and deletion.** A destination whose method or broker config changed gets a new
  connection (the old one is closed); ``forget`` closes a deleted destination's; ``close``
  closes every one when the gateway stops. Connections of destinations this process has
  not used for ``idle_close_s`` are closed too, which is how another process's deletion
  reaches this one's pool.

Per-conversation order needs nothing here: the claim hands out a conversation's next
delivery only when the previous one is finished, that is, confirmed.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from aiohttp.abc import AbstractResolver

from wahooks.delivery.brokers.amqp import AmqpLink
from wahooks.delivery.brokers.base import (
    UNREACHABLE,
    BrokerFailure,
    BrokerLink,
    BrokerMessage,
    Endpoint,
    split_url,
    vetted,
)
from wahooks.delivery.brokers.nats import NatsLink
from wahooks.delivery.brokers.redis import RedisLink
from wahooks.delivery.brokers.sqs import SqsLink, endpoint_of
from wahooks.media.addresses import AddressPolicy
from wahooks.models import BrokerConfig, DeliveryMethod, Destination

log = logging.getLogger(__name__)

DIAL_BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
IDLE_CLOSE_S = 300.0
SWEEP_EVERY_S = 60.0

Opener = Callable[[BrokerConfig, Endpoint, float], Awaitable[BrokerLink]]
OPENERS: dict[str, Opener] = {
    DeliveryMethod.NATS.value: NatsLink.open,
    DeliveryMethod.REDIS.value: RedisLink.open,
    DeliveryMethod.AMQP.value: AmqpLink.open,
}
# Where a method connects when that is not the broker URL: SQS's queue URL names the queue;
# the requests go to its endpoint.
ADDRESSES: dict[str, Callable[[BrokerConfig], str]] = {DeliveryMethod.SQS.value: endpoint_of}


def scrubbed(failure: BrokerFailure, config: BrokerConfig) -> BrokerFailure:
    """The failure with the broker's password cut out of its detail: a client library's
    message may quote the URL it was given, and the detail is shown and logged."""
    detail = failure.detail
    for secret in (config.password, urlsplit(config.url).password, config.secret_access_key):
        if secret:
            detail = detail.replace(secret, "***")
            detail = detail.replace(quote(secret, safe=""), "***")
    return BrokerFailure(failure.kind, detail, drop=failure.drop)


@dataclass(eq=False)
class _Slot:
    """A destination's connection and its dialling state."""

    method: str
    config: BrokerConfig
    used_at: float
    link: BrokerLink | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dials: int = 0  # dials so far; an attempt that waited on the lock compares it
    failed_dials: int = 0  # in a row
    next_dial_at: float = 0.0
    last_failure: BrokerFailure | None = None
    busy: int = 0


class BrokerPool:
    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: AbstractResolver | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_s: tuple[float, ...] = DIAL_BACKOFF_S,
        idle_close_s: float = IDLE_CLOSE_S,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._clock = clock
        self._backoff_s = backoff_s
        self._idle_close_s = idle_close_s
        self._slots: dict[str, _Slot] = {}
        self._swept_at = clock()
        # SQS's client guards its own connections too, so it is handed the policy.
        self._openers = {**OPENERS, DeliveryMethod.SQS.value: SqsLink.opener(policy, resolver)}

    def __len__(self) -> int:
        """Open connections."""
        return sum(1 for s in self._slots.values() if s.link is not None)

    async def publish(self, destination: Destination, message: BrokerMessage) -> str:
        """Publish on the destination's connection (dialled if need be); what the broker
        said when it confirmed. Raises BrokerFailure."""
        if destination.broker is None:
            raise BrokerFailure(UNREACHABLE, "the destination has no broker configured")
        await self._sweep()
        slot = await self._slot(destination, destination.broker)
        slot.busy += 1
        try:
            link = await self._connected(slot, message.timeout_s)
            try:
                return await link.publish(message)
            except BrokerFailure as failure:
                if failure.drop or not link.usable:
                    await self._drop(slot, link)
                raise
        except BrokerFailure as failure:
            raise scrubbed(failure, destination.broker) from None
        finally:
            slot.busy -= 1
            slot.used_at = self._clock()

    async def forget(self, destination_id: str) -> None:
        """Close a destination's connection (it was deleted, or changed elsewhere)."""
        slot = self._slots.pop(destination_id, None)
        if slot is not None and slot.link is not None:
            await slot.link.close()

    async def close(self) -> None:
        slots, self._slots = self._slots, {}
        for slot in slots.values():
            if slot.link is not None:
                await slot.link.close()

    async def _slot(self, destination: Destination, config: BrokerConfig) -> _Slot:
        slot = self._slots.get(destination.id)
        if slot is not None and (slot.method, slot.config) == (destination.method, config):
            return slot
        if slot is not None:  # changed: the old connection goes
            await self.forget(destination.id)
        slot = _Slot(destination.method, config, used_at=self._clock())
        self._slots[destination.id] = slot
        return slot

    async def _connected(self, slot: _Slot, timeout_s: float) -> BrokerLink:
        seen = slot.dials
        async with slot.lock:
            if slot.link is not None and slot.link.usable:
                return slot.link
            if slot.link is not None:
                await self._drop(slot, slot.link)
            last = slot.last_failure
            if slot.dials != seen and last is not None:  # the dial it waited for failed
                raise BrokerFailure(last.kind, last.detail)
            wait = slot.next_dial_at - self._clock()
            if wait >= timeout_s:
                raise BrokerFailure(
                    last.kind if last else UNREACHABLE,
                    f"{last.detail if last else 'not connected'} (next dial in {wait:.1f} s)",
                )
            if wait > 0:
                await asyncio.sleep(wait)
            slot.link = await self._dial(slot, timeout_s - max(wait, 0.0))
            return slot.link

    async def _dial(self, slot: _Slot, timeout_s: float) -> BrokerLink:
        slot.dials += 1
        try:
            where = ADDRESSES.get(slot.method)
            address = where(slot.config) if where is not None else None
            endpoint = await vetted(split_url(slot.config, address), self._policy, self._resolver)
            async with asyncio.timeout(timeout_s):
                link = await self._openers[slot.method](slot.config, endpoint, timeout_s)
        except (BrokerFailure, TimeoutError) as exc:
            failure = (
                exc
                if isinstance(exc, BrokerFailure)
                else BrokerFailure(UNREACHABLE, f"no connection within {timeout_s:g} s")
            )
            slot.failed_dials += 1
            delay = self._backoff_s[min(slot.failed_dials, len(self._backoff_s)) - 1]
            slot.next_dial_at = self._clock() + delay
            slot.last_failure = failure
            log.debug("dialling %s failed: %s", slot.config.redacted_url, failure)
            raise failure from exc
        slot.failed_dials = 0
        slot.next_dial_at = 0.0
        slot.last_failure = None
        return link

    async def _drop(self, slot: _Slot, link: BrokerLink) -> None:
        if slot.link is link:
            slot.link = None
        await link.close()

    async def _sweep(self) -> None:
        now = self._clock()
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        idle = [
            destination_id
            for destination_id, slot in self._slots.items()
            if not slot.busy and now - slot.used_at >= self._idle_close_s
        ]
        for destination_id in idle:
            await self.forget(destination_id)

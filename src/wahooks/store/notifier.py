"""The store's wake-ups: who to tell, in this process and in others, that work is waiting.

Workers poll the database anyway; a wake-up only makes them look now instead of at their
next poll. Store operations publish after their transaction commits, so a woken worker
always finds what it was told about. Other processes sharing a PostgreSQL database hear
through NOTIFY, whose payload names the topic and the tenants (``"deliveries t1,t2"``, or
``"media *"`` for anyone): one listening loop per process turns each into the same local
publication, so only the workers concerned wake (a socket pump only for its tenant's
deliveries, the media workers only for media jobs).
"""

import logging
import time
from collections.abc import Callable, Collection
from enum import StrEnum

from wahooks.background import Loop
from wahooks.store.base import Connector

log = logging.getLogger(__name__)

# PostgreSQL refuses payloads of 8,000 bytes or more; past this many, "anyone" instead.
MAX_PAYLOAD_CHARS = 7_000
ANYONE = "*"


class Topic(StrEnum):
    DELIVERIES = "deliveries"  # new or newly claimable deliveries, by tenant
    MEDIA = "media"  # media jobs queued by an ingest
    NOTICES = "notices"  # replies queued for pool-number senders
    RECOVERIES = "recoveries"  # recovery jobs recorded


Subscriber = Callable[[Collection[str] | None], None]
"""Told which tenants may have work waiting (None: possibly any)."""


def payload(topic: Topic, tenant_ids: Collection[str] | None) -> str:
    tenants = ANYONE if tenant_ids is None else ",".join(sorted(tenant_ids))
    if len(tenants) > MAX_PAYLOAD_CHARS:
        tenants = ANYONE
    return f"{topic} {tenants}"


def parse(text: str) -> tuple[Topic, Collection[str] | None] | None:
    """A payload's topic and tenants; None for one this version does not know."""
    name, _, tenants = text.partition(" ")
    try:
        topic = Topic(name)
    except ValueError:
        return None
    return topic, None if tenants in (ANYONE, "") else tenants.split(",")


class Notifier:
    def __init__(self, connector: Connector) -> None:
        self._connector = connector
        self._subscribers: dict[Topic, list[Subscriber]] = {topic: [] for topic in Topic}
        # Waits on the database's notifications only (no query): cancelled on stop.
        self._listening = Loop("store-notifications", cancellable=True)

    def subscribe(self, topic: Topic, subscriber: Subscriber) -> None:
        self._subscribers[topic].append(subscriber)

    def publish(self, topic: Topic, tenant_ids: Collection[str] | None = None) -> None:
        """Wake this process's subscribers of ``topic``."""
        for subscriber in self._subscribers[topic]:
            try:
                subscriber(tenant_ids)
            except Exception:  # one broken subscriber must not keep the others asleep
                log.exception("a %s subscriber failed", topic)

    async def announce(self, *news: tuple[Topic, Collection[str] | None]) -> None:
        """Wake the subscribers of each (topic, tenants) here, and in other processes
        through the database (one round trip for them all)."""
        for topic, tenant_ids in news:
            self.publish(topic, tenant_ids)
        await self.notify_others(*news)

    async def deliveries_ready(self, tenant_ids: Collection[str] | None) -> None:
        await self.announce((Topic.DELIVERIES, tenant_ids))

    async def notify_others(self, *news: tuple[Topic, Collection[str] | None]) -> None:
        """Wake other processes' subscribers only (PostgreSQL NOTIFY; SQLite has no
        others)."""
        if news:
            await self._connector.notify([payload(topic, tenants) for topic, tenants in news])

    def start(self, poll_s: float) -> None:
        """Listen for other processes' notifications. Every ``poll_s`` the delivery and media
        subscribers are woken as well, whatever arrived: they poll at that pace at the
        latest."""

        async def listen() -> None:
            polled = time.monotonic()
            while not self._listening.stopping:
                heard = await self._connector.wait_for_notification(poll_s)
                for text in heard:
                    parsed = parse(text)
                    if parsed is None:  # a newer process's topic: its own workers handle it
                        log.debug("ignored a notification of an unknown topic: %r", text)
                        continue
                    self.publish(*parsed)
                if time.monotonic() - polled >= poll_s:
                    polled = time.monotonic()
                    # The workers that poll through this loop; the others have their own.
                    self.publish(Topic.DELIVERIES, None)
                    self.publish(Topic.MEDIA, None)

        self._listening.start(listen)

    async def stop(self) -> None:
        await self._listening.stop()

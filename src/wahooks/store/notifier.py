"""The store's wake-ups: who to tell, in this process and in others, that work is waiting.

Workers poll the database anyway; a wake-up only makes them look now instead of at their
next poll. Store operations publish after their transaction commits, so a woken worker
always finds what it was told about. Other processes sharing a PostgreSQL database hear of
new deliveries through NOTIFY; one listening loop per process turns those into local
wake-ups, so every subscriber (the socket hub too, in a process without a dispatcher)
hears them the same way.
"""

import logging
from collections.abc import Callable, Collection
from enum import StrEnum

from wahooks.background import Loop
from wahooks.store.base import Connector

log = logging.getLogger(__name__)


class Topic(StrEnum):
    DELIVERIES = "deliveries"  # new or newly claimable deliveries, by tenant
    MEDIA = "media"  # media jobs queued by an ingest
    NOTICES = "notices"  # replies queued for pool-number senders


Subscriber = Callable[[Collection[str] | None], None]
"""Told which tenants may have work waiting (None: possibly any)."""


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

    async def deliveries_ready(self, tenant_ids: Collection[str] | None) -> None:
        """Wake this process's subscribers, and other processes' through the database."""
        self.publish(Topic.DELIVERIES, tenant_ids)
        await self.notify_others()

    async def notify_others(self) -> None:
        """Wake other processes' subscribers (PostgreSQL NOTIFY; SQLite has no others)."""
        await self._connector.notify_new_deliveries()

    def start(self, poll_s: float) -> None:
        """Listen for other processes' notifications. Each wait's end also wakes the
        subscribers when nothing arrived: they poll at ``poll_s`` at the latest."""

        async def listen() -> None:
            while not self._listening.stopping:
                await self._connector.wait_for_notification(poll_s)
                self.publish(Topic.DELIVERIES, None)
                self.publish(Topic.MEDIA, None)

        self._listening.start(listen)

    async def stop(self) -> None:
        await self._listening.stop()

"""The notifier: in-process publications reach their topic's subscribers, and a NOTIFY from
another process (a second Store on the same PostgreSQL database) wakes this one's."""

import asyncio
from collections.abc import Collection

from tests.conftest import TEST_SECRET_KEY, postgres_database
from wahooks.config import Settings
from wahooks.store import open_store
from wahooks.store.notifier import Topic


async def test_a_publication_wakes_the_subscribers_of_its_topic(sqlite_url: str) -> None:
    store = await open_store(Settings(database_url=sqlite_url))
    try:
        heard: list[tuple[str, Collection[str] | None]] = []
        store.notifier.subscribe(Topic.DELIVERIES, lambda t: heard.append(("deliveries", t)))
        store.notifier.subscribe(Topic.NOTICES, lambda t: heard.append(("notices", t)))
        store.notifier.publish(Topic.DELIVERIES, ["t1"])
        store.notifier.publish(Topic.NOTICES)
        await store.notifier.deliveries_ready(None)
        assert heard == [("deliveries", ["t1"]), ("notices", None), ("deliveries", None)]
    finally:
        await store.close()


async def test_a_broken_subscriber_does_not_silence_the_others(sqlite_url: str) -> None:
    store = await open_store(Settings(database_url=sqlite_url))
    try:
        heard: list[Collection[str] | None] = []

        def broken(_: Collection[str] | None) -> None:
            raise RuntimeError("bug")

        store.notifier.subscribe(Topic.MEDIA, broken)
        store.notifier.subscribe(Topic.MEDIA, heard.append)
        store.notifier.publish(Topic.MEDIA, ["t1"])
        assert heard == [["t1"]]
    finally:
        await store.close()


async def test_a_notify_from_another_process_wakes_the_subscribers_here() -> None:
    async with postgres_database() as url:
        settings = Settings(database_url=url, secret_keys=(TEST_SECRET_KEY,))
        here, there = await open_store(settings), await open_store(settings)
        try:
            woken = asyncio.Event()
            media = asyncio.Event()
            here.notifier.subscribe(Topic.DELIVERIES, lambda _: woken.set())
            here.notifier.subscribe(Topic.MEDIA, lambda _: media.set())
            # A long poll: only the notification can end the wait within the test's timeout.
            here.notifier.start(poll_s=60)
            async with asyncio.timeout(10):
                # Until the listening connection is up a NOTIFY reaches nobody: send again.
                while not (woken.is_set() and media.is_set()):
                    await there.notifier.deliveries_ready(["t1"])
                    await asyncio.sleep(0.1)
        finally:
            await here.close()  # stops the listening loop
            await there.close()


async def test_a_process_does_not_wake_again_on_its_own_notify() -> None:
    """Its workers were woken in-process already; the echo would cost each an empty claim."""
    async with postgres_database() as url:
        settings = Settings(database_url=url, secret_keys=(TEST_SECRET_KEY,))
        here, there = await open_store(settings), await open_store(settings)
        try:
            listened: list[Collection[str] | None] = []
            heard = asyncio.Event()

            def listen(tenants: Collection[str] | None) -> None:
                listened.append(tenants)
                heard.set()

            here.notifier.subscribe(Topic.MEDIA, listen)  # only the listening loop publishes it
            here.notifier.start(poll_s=60)
            async with asyncio.timeout(10):
                while not listened:  # the listening connection is up once another's NOTIFY lands
                    await there.notifier.notify_others()
                    await asyncio.sleep(0.1)
            listened.clear()
            for _ in range(5):
                await here.notifier.notify_others()
            await asyncio.sleep(0.5)  # time for an echo to be heard, had it counted
            assert listened == []
            heard.clear()
            await there.notifier.notify_others()  # the loop is still listening to others
            async with asyncio.timeout(10):
                await heard.wait()
            await asyncio.sleep(0.2)
            assert listened == [None]
        finally:
            await here.close()
            await there.close()

"""The notifier: in-process publications reach their topic's subscribers, and a NOTIFY from
another process (a second Store on the same PostgreSQL database) wakes this one's."""

import asyncio
from collections.abc import Collection

from tests.conftest import TEST_SECRET_KEY, eventually, postgres_database
from wahooks.config import Settings
from wahooks.store import Store, open_store
from wahooks.store.notifier import Topic, parse, payload


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


def test_a_payload_names_its_topic_and_tenants() -> None:
    assert payload(Topic.DELIVERIES, ["t2", "t1"]) == "deliveries t1,t2"
    assert parse("deliveries t1,t2") == (Topic.DELIVERIES, ["t1", "t2"])
    assert parse(payload(Topic.MEDIA, None)) == (Topic.MEDIA, None)
    # Too many tenants for one NOTIFY: anyone, which wakes more workers but misses none.
    many = [f"tenant_{i:06d}" for i in range(1000)]
    assert parse(payload(Topic.DELIVERIES, many)) == (Topic.DELIVERIES, None)
    assert parse("a-topic-of-a-newer-version t1") is None


async def _true(value: bool) -> bool:
    return value


async def _listening(here: Store, there: Store, topic: Topic) -> None:
    """Until the listening connection is up a NOTIFY reaches nobody: send until one lands."""
    landed = asyncio.Event()
    here.notifier.subscribe(topic, lambda _: landed.set())
    here.notifier.start(poll_s=60)  # a long poll: only notifications wake within the test
    async with asyncio.timeout(10):
        while not landed.is_set():
            await there.notifier.notify_others((topic, ["warm-up"]))
            await asyncio.sleep(0.1)


async def test_a_notify_from_another_process_wakes_only_the_subscribers_concerned() -> None:
    async with postgres_database() as url:
        settings = Settings(database_url=url, secret_keys=(TEST_SECRET_KEY,))
        here, there = await open_store(settings), await open_store(settings)
        try:
            await _listening(here, there, Topic.NOTICES)
            heard: list[tuple[Topic, Collection[str] | None]] = []
            for topic in Topic:
                here.notifier.subscribe(topic, lambda t, topic=topic: heard.append((topic, t)))
            await there.notifier.announce((Topic.DELIVERIES, ["t1", "t2"]), (Topic.MEDIA, ["t2"]))
            await eventually(lambda: _true(len(heard) >= 2), timeout=10)
            await asyncio.sleep(0.3)  # time for anything else to arrive, had it been sent
            assert sorted(heard) == [(Topic.DELIVERIES, ["t1", "t2"]), (Topic.MEDIA, ["t2"])]
        finally:
            await here.close()  # stops the listening loop
            await there.close()


async def test_a_process_does_not_wake_again_on_its_own_notify() -> None:
    """Its workers were woken in-process already; the echo would cost each an empty claim."""
    async with postgres_database() as url:
        settings = Settings(database_url=url, secret_keys=(TEST_SECRET_KEY,))
        here, there = await open_store(settings), await open_store(settings)
        try:
            await _listening(here, there, Topic.MEDIA)
            listened: list[Collection[str] | None] = []
            heard = asyncio.Event()

            def listen(tenants: Collection[str] | None) -> None:
                listened.append(tenants)
                heard.set()

            here.notifier.subscribe(Topic.MEDIA, listen)
            for _ in range(5):
                await here.notifier.notify_others((Topic.MEDIA, None))
            await asyncio.sleep(0.5)  # time for an echo to be heard, had it counted
            assert listened == []
            await there.notifier.notify_others((Topic.MEDIA, None))  # still listening
            async with asyncio.timeout(10):
                await heard.wait()
            await asyncio.sleep(0.2)
            assert listened == [None]
        finally:
            await here.close()
            await there.close()

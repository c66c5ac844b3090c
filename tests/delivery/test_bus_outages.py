"""A broker that goes away mid-run, for each broker, on SQLite and PostgreSQL: deliveries
wait (retried in place, then behind the circuit), and once the broker is back everything
arrives, in order per conversation, nothing lost, and nothing repeated beyond the redelivery
rule (a publish whose confirmation was lost is sent again, with the same webhook-id, before
its conversation's next message). Private brokers (tests/delivery/outages.py), never the
machine's shared ones: a Redis and a NATS server killed and restarted on their port, and a
TCP proxy in front of RabbitMQ that is cut and restored."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
import redis.asyncio
from standardwebhooks.webhooks import Webhook

from tests.conftest import RunningGateway, eventually, gateway_with_sim
from tests.delivery.brokers import AMQP_URL, Arrived, NatsReader, RedisReader, unique
from tests.delivery.outages import NatsProcess, RedisProcess, proxy, running
from tests.delivery.test_bus_delivery import ON, SECRET, amqp_exchange, create, text_of
from tests.destinations.helpers import deliveries, delivery
from wahooks.sim import Simulator

USERS = ("15554440001", "15554440002")
PER_USER = 10  # messages from each user: 5 before the outage, 5 while it starts


@dataclass
class Target:
    """A destination's broker object, and how to read it, stop it and start it again."""

    broker: dict[str, Any]
    read: Callable[[], Awaitable[list[Arrived]]]
    stop: Callable[[], Awaitable[None]]
    start: Callable[[], Awaitable[None]]
    deduplicates: bool = False  # JetStream drops a repeated Nats-Msg-Id


@contextlib.asynccontextmanager
async def nats_target(data: Path) -> AsyncIterator[Target]:
    server = NatsProcess(data)
    with running(server):
        url = f"nats://127.0.0.1:{server.port}"
        stream, subject = unique("WAHOOKS_O_"), unique("wahooks.o.")
        client = await nats.connect(url)
        await client.jetstream().add_stream(name=stream, subjects=[subject])
        await client.close()

        async def read() -> list[Arrived]:
            reader_client = await nats.connect(url)
            try:
                return await NatsReader(reader_client.jetstream(), stream).read()
            finally:
                await reader_client.close()

        async def stop() -> None:
            server.kill()

        async def start() -> None:
            server.start()

        broker = {"url": url, "stream": stream, "subject": subject}
        yield Target(broker, read, stop, start, deduplicates=True)


@contextlib.asynccontextmanager
async def redis_target(data: Path) -> AsyncIterator[Target]:
    server = RedisProcess(data)
    with running(server):
        url = f"redis://127.0.0.1:{server.port}/0"
        key = unique("wahooks:o:")

        async def read() -> list[Arrived]:
            client = redis.asyncio.Redis.from_url(url)
            try:
                return await RedisReader(client, key).read()
            finally:
                await client.aclose()

        async def stop() -> None:
            server.kill()

        async def start() -> None:
            server.start()

        yield Target({"url": url, "streamKey": key}, read, stop, start)


@contextlib.asynccontextmanager
async def amqp_target() -> AsyncIterator[Target]:
    # The exchange and its queue on the shared RabbitMQ, read directly; the destination
    # goes through the proxy, which is what goes away.
    async with amqp_exchange() as (exchange, key, reader), proxy(5672) as cut_here:
        url = AMQP_URL.replace(":5672/", f":{cut_here.port}/")

        async def start() -> None:
            await cut_here.start()

        broker = {"url": url, "exchange": exchange, "routingKey": key}
        yield Target(broker, reader.read, cut_here.cut, start)


@contextlib.asynccontextmanager
async def target(method: str, data: Path) -> AsyncIterator[Target]:
    opened = {"nats": nats_target, "redis": redis_target}.get(method)
    async with opened(data) if opened is not None else amqp_target() as found:
        yield found


async def send(sim: Simulator, numbers: range, gap_s: float = 0.0) -> None:
    for i in numbers:
        for wa_id in USERS:
            assert (await sim.send(sim.user(wa_id, "User"), "text", body=f"{wa_id}-{i}")).ok
            await asyncio.sleep(gap_s)


async def broker_failure(g: RunningGateway, destination_id: str) -> Any:
    """An attempt of the destination that the broker's absence failed, once there is one."""
    for item in await deliveries(g, destinationId=destination_id, limit="200"):
        if item["attempts"] == 0 and item["status"] != "succeeded":
            continue
        for attempt in (await delivery(g, item["id"]))["attemptLog"]:
            if attempt["error"] in ("broker_unreachable", "timeout"):
                return attempt
    return None


def assert_complete_once_in_order(arrived: list[Arrived], retried: int, dedup: bool) -> None:
    webhook = Webhook(SECRET)
    for message in arrived:
        webhook.verify(message.body, message.headers)
    # Per conversation: the texts in the order sent, once each once a redelivery (the same
    # webhook-id right after itself) is folded.
    seen: dict[str, list[tuple[str, str]]] = {}
    for message in arrived:
        sender, text = text_of(message)
        entry = (message.headers["webhook-id"], text)
        mine = seen.setdefault(sender, [])
        if not mine or mine[-1] != entry:
            mine.append(entry)
    assert {s: [t for _, t in e] for s, e in seen.items()} == {
        wa_id: [f"{wa_id}-{i}" for i in range(PER_USER)] for wa_id in USERS
    }
    ids = [m.headers["webhook-id"] for m in arrived]
    repeats = len(ids) - len(set(ids))
    assert repeats <= (0 if dedup else retried), (repeats, retried)


@pytest.mark.e2e  # real outages of a few seconds
@pytest.mark.parametrize("method", ["nats", "redis", "amqp"])
async def test_a_broker_stopped_mid_run_gets_everything_once_it_is_back(
    database_url: str, method: str, tmp_path: Path
) -> None:
    async with target(method, tmp_path) as bus, gateway_with_sim(database_url, **ON) as (g, sim):
        destination = await create(g, method, bus.broker)
        half = PER_USER // 2
        await send(sim, range(half))
        await eventually(lambda: _count(bus, 2 * half), 20)
        # The broker goes while the next messages are coming in and being published (the
        # first two or three of them before it, the rest after).
        sending = asyncio.create_task(send(sim, range(half, PER_USER), gap_s=0.05))
        await asyncio.sleep(0.12)
        await bus.stop()
        await sending
        failed = await eventually(lambda: broker_failure(g, destination["id"]), 20)
        assert failed["statusCode"] is None and failed["errorDetail"]
        await asyncio.sleep(1.0)  # an outage the retries in place do not cover
        waiting = [
            d
            for d in await deliveries(g, destinationId=destination["id"], limit="200")
            if d["status"] != "succeeded"
        ]
        assert waiting, "every delivery finished while the broker was away"
        assert all(d["status"] in ("pending", "leased") for d in waiting)  # none given up
        await bus.start()

        async def all_done() -> list[Any] | None:
            listed = await deliveries(g, destinationId=destination["id"], limit="200")
            done = len(listed) == 2 * PER_USER and all(d["status"] == "succeeded" for d in listed)
            return listed if done else None

        listed = await eventually(all_done, 60)
        arrived = await bus.read()
        retried = sum(1 for d in listed if d["attempts"] > 1)
        assert_complete_once_in_order(arrived, retried, bus.deduplicates)


async def _count(bus: Target, count: int) -> bool:
    got = await bus.read()
    assert len(got) <= count
    return len(got) == count

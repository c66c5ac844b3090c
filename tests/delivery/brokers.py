"""The real brokers this machine runs (NATS with JetStream, Redis, RabbitMQ), and what the
broker tests need of them: a fresh stream, key or exchange per test, and reading back what
arrived with its headers. A broker that is not running fails the test, never skips it:
``.ci/run`` starts all three."""

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import nats
import pytest
import redis.asyncio
from aio_pika.abc import AbstractQueue

from tests.conftest import RunningGateway, eventually
from tests.destinations.helpers import deliveries
from wahooks.sim import MESSAGE_TYPES, Simulator

NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def require(port: int, name: str) -> None:
    """Fail (not skip) when the broker on 127.0.0.1:``port`` does not answer."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        pytest.fail(f"{name} is not running on 127.0.0.1:{port} ({exc}); .ci/run starts it")


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Arrived:
    body: bytes
    headers: dict[str, str]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def nats_stream() -> AsyncIterator[tuple[str, str, "NatsReader"]]:
    """A JetStream stream of its own (name, subject), deleted afterwards."""
    require(4222, "NATS")
    client = await nats.connect(NATS_URL)
    js = client.jetstream()
    name = unique("WAHOOKS_T_")
    subject = unique("wahooks.t.")
    await js.add_stream(name=name, subjects=[subject])
    try:
        yield name, subject, NatsReader(js, name)
    finally:
        await js.delete_stream(name)
        await client.close()


class NatsReader:
    def __init__(self, js: object, stream: str) -> None:
        self._js = js
        self._stream = stream

    async def read(self) -> list[Arrived]:
        """Everything the stream holds, oldest first."""
        info = await self._js.stream_info(self._stream)  # type: ignore[attr-defined]
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if not info.state.messages:
                break
            msg = await self._js.get_msg(self._stream, seq)  # type: ignore[attr-defined]
            out.append(Arrived(msg.data, dict(msg.headers or {})))
        return out


@contextlib.asynccontextmanager
async def redis_stream() -> AsyncIterator[tuple[str, "RedisReader"]]:
    """A stream key of its own, deleted afterwards."""
    require(6379, "Redis")
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    key = unique("wahooks:t:")
    try:
        yield key, RedisReader(client, key)
    finally:
        await client.delete(key)
        await client.aclose()


class RedisReader:
    def __init__(self, client: "redis.asyncio.Redis", key: str) -> None:
        self._client = client
        self.key = key

    async def read(self) -> list[Arrived]:
        entries = await self._client.xrange(self.key)
        out = []
        for _, fields in entries:
            decoded = {k.decode(): v for k, v in fields.items()}
            body = decoded.pop("body")
            out.append(Arrived(body, {k: v.decode() for k, v in decoded.items()}))
        return out


@contextlib.asynccontextmanager
async def amqp_exchange() -> AsyncIterator[tuple[str, str, "AmqpReader"]]:
    """A direct exchange of its own (name, routing key) with a queue bound to the key;
    both deleted afterwards."""
    require(5672, "RabbitMQ")
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    name = unique("wahooks.t.")
    key = unique("events.")
    exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.DIRECT)
    queue = await channel.declare_queue(unique("wahooks.q."), exclusive=True)
    await queue.bind(exchange, key)
    try:
        yield name, key, AmqpReader(queue)
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
        await connection.close()


class AmqpReader:
    def __init__(self, queue: AbstractQueue) -> None:
        self._queue = queue
        self.arrived: list[Arrived] = []

    async def read(self) -> list[Arrived]:
        """What arrived so far (kept: a message is taken off the queue once)."""
        while (message := await self._queue.get(no_ack=True, fail=False)) is not None:
            headers = {
                k: v.decode() if isinstance(v, bytes) else str(v)
                for k, v in (message.headers or {}).items()
            }
            headers["message_id"] = message.message_id or ""
            self.arrived.append(Arrived(message.body, headers))
        return list(self.arrived)


# --- every message type, shared by the bus and SQS tests ---------------------------

ALICE, BOB = "15554440001", "15554440002"


# ``system`` announces a user's new id, which moves (here: folds) conversations: the identity
# tests cover it; here it would move deliveries between conversations mid-test.
TYPES = [t for t in MESSAGE_TYPES if t != "system"]


async def every_type_and_texts(sim: Simulator) -> list[str]:
    """Every message type from one user, a text from another between each; the wamids."""
    alice, bob = sim.user(ALICE, "Alice"), sim.user(BOB, "Bob")
    sent = []
    for i, type_ in enumerate(TYPES):
        for result in (await sim.send(alice, type_), await sim.send(bob, "text", body=f"b{i}")):
            assert result.ok
            sent.append(result.messages[0]["id"])
    return sent


async def finished(g: RunningGateway, destination_id: str, count: int) -> list[Any]:
    """The destination's deliveries, oldest first, once ``count`` of them all succeeded."""

    async def check() -> list[Any] | None:
        listed = await deliveries(g, destinationId=destination_id, limit="200")
        done = len(listed) >= count and all(d["status"] == "succeeded" for d in listed)
        return list(reversed(listed)) if done else None

    result: list[Any] = await eventually(check, 60)
    return result


def by_conversation(listed: Sequence[Any], ids: Sequence[str]) -> dict[str, list[str]]:
    conversation = {d["id"]: d["conversationId"] for d in listed}
    out: dict[str, list[str]] = {}
    for delivery_id in ids:
        out.setdefault(conversation[delivery_id], []).append(delivery_id)
    return out

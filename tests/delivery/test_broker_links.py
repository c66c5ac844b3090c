"""The message-bus senders against the real brokers, without a gateway around them: what a
publish carries, what each broker's refusal is recorded as, and the pool's dialling
(backoff, reconnect after an outage, a new connection when the config changes)."""

import asyncio
import time
from dataclasses import replace

from standardwebhooks.webhooks import Webhook

from tests.delivery.brokers import (
    AMQP_URL,
    NATS_URL,
    REDIS_URL,
    amqp_exchange,
    nats_stream,
    redis_stream,
    refused_port,
)
from tests.destinations.helpers import dst
from wahooks.delivery.brokers.pool import BrokerPool
from wahooks.delivery.brokers.sender import BrokerSender
from wahooks.delivery.webhook import prepare
from wahooks.formats.samples import sample_event
from wahooks.media.addresses import LOOPBACK_NETWORKS, AddressPolicy
from wahooks.models import AttemptResult, BrokerConfig, DeliveryId, Destination

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"


def bus(method: str, timeout_s: float = 5.0, **config: object) -> Destination:
    destination = dst(method=method, broker=BrokerConfig(**config))  # type: ignore[arg-type]
    return replace(destination, secret=SECRET, timeout_s=timeout_s)


def sender(**kw: object) -> BrokerSender:
    return BrokerSender(BrokerPool(AddressPolicy.allowing(LOOPBACK_NETWORKS), **kw))  # type: ignore[arg-type]


async def attempt(
    s: BrokerSender, destination: Destination, webhook_id: str = "dlv_1"
) -> AttemptResult:
    now = time.time()
    request = prepare(destination, sample_event(destination, None, now), webhook_id, now)
    return (await s.exchange(destination, DeliveryId(webhook_id), request)).result


def verifies(body: bytes, headers: dict[str, str]) -> None:
    Webhook(SECRET).verify(body, headers)


async def test_nats_publish_is_confirmed_and_carries_the_signatures() -> None:
    async with nats_stream() as (stream, subject, reader):
        s = sender()
        destination = bus("nats", url=NATS_URL, stream=stream, subject=subject)
        result = await attempt(s, destination)
        assert result.error is None and result.confirmed, result
        assert result.response_excerpt == f"stream={stream} seq=1"
        # JetStream drops the retry of a stored webhook-id (Nats-Msg-Id) and says so.
        again = await attempt(s, destination)
        assert again.response_excerpt.endswith("duplicate")
        (arrived,) = await reader.read()
        assert arrived.headers["webhook-id"] == "dlv_1"
        verifies(arrived.body, arrived.headers)
        await s.pool.close()


async def test_nats_without_the_stream_is_no_stream() -> None:
    async with nats_stream() as (stream, subject, _):
        s = sender()
        missing = await attempt(s, bus("nats", url=NATS_URL, stream=stream, subject="nope.x"))
        assert missing.error == "no_stream", missing
        other = await attempt(s, bus("nats", url=NATS_URL, stream="OTHER", subject=subject))
        assert other.error == "no_stream", other
        await s.pool.close()


async def test_redis_xadd_is_confirmed_and_trimmed() -> None:
    async with redis_stream() as (key, reader):
        s = sender()
        destination = bus("redis", url=REDIS_URL, stream_key=key, maxlen=1000)
        for i in range(3):
            result = await attempt(s, destination, f"dlv_{i}")
            assert result.error is None and result.confirmed, result
            assert result.response_excerpt.startswith("entry=")
        arrived = await reader.read()
        assert [a.headers["webhook-id"] for a in arrived] == ["dlv_0", "dlv_1", "dlv_2"]
        for a in arrived:
            verifies(a.body, a.headers)
        await s.pool.close()


async def test_redis_key_of_another_type_is_a_broker_error() -> None:
    async with redis_stream() as (key, reader):
        await reader._client.set(key, "a string")
        s = sender()
        result = await attempt(s, bus("redis", url=REDIS_URL, stream_key=key))
        assert result.error == "broker_error" and "WRONGTYPE" in (result.error_detail or "")
        await s.pool.close()


async def test_amqp_publish_is_confirmed_unroutable_and_missing_exchange_are_errors() -> None:
    async with amqp_exchange() as (exchange, key, reader):
        s = sender()
        ok = await attempt(s, bus("amqp", url=AMQP_URL, exchange=exchange, routing_key=key))
        assert ok.error is None and ok.confirmed, ok
        (arrived,) = await reader.read()
        assert arrived.headers["message_id"] == "dlv_1"
        verifies(arrived.body, arrived.headers)
        lost = await attempt(s, bus("amqp", url=AMQP_URL, exchange=exchange, routing_key="none"))
        assert lost.error == "unroutable", lost
        gone = await attempt(s, bus("amqp", url=AMQP_URL, exchange="no.such", routing_key=key))
        assert gone.error == "no_exchange", gone
        # The channel the 404 closed is replaced: the next publish goes through.
        assert len(await reader.read()) == 1
        again = await attempt(s, bus("amqp", url=AMQP_URL, exchange=exchange, routing_key=key))
        assert again.error is None, again
        assert len(await reader.read()) == 2
        await s.pool.close()


async def test_wrong_credentials_are_access_refused() -> None:
    s = sender()
    amqp = "amqp://guest:wrong@127.0.0.1:5672/"
    refused = await attempt(s, bus("amqp", url=amqp, exchange="x", routing_key="k"))
    assert refused.error == "access_refused", refused
    nats_bad = bus("nats", url="nats://nobody:wrong@127.0.0.1:4222", stream="S", subject="s")
    result = await attempt(s, nats_bad)
    # A NATS server without authorisation takes any user: then the stream is missing.
    assert result.error in ("access_refused", "no_stream"), result
    await s.pool.close()


async def test_an_unreachable_broker_backs_off_then_reconnects_when_fixed() -> None:
    async with redis_stream() as (key, reader):
        s = sender(backoff_s=(0.2,))
        port = refused_port()
        down = bus("redis", url=f"redis://127.0.0.1:{port}/0", stream_key=key, timeout_s=0.1)
        first = await attempt(s, down)
        assert first.error == "broker_unreachable", first
        # Within the backoff, an attempt whose timeout ends before the next dial fails at
        # once, without dialling.
        t0 = time.perf_counter()
        second = await attempt(s, down)
        assert second.error == "broker_unreachable"
        assert "next dial in" in (second.error_detail or "")
        assert time.perf_counter() - t0 < 0.1
        await asyncio.sleep(0.25)
        # The destination fixed (the same id, another config): a new connection, delivered.
        fixed = bus("redis", url=REDIS_URL, stream_key=key)
        result = await attempt(s, fixed)
        assert result.error is None, result
        assert len(await reader.read()) == 1
        await s.pool.forget(fixed.id)
        assert len(s.pool) == 0
        await s.pool.close()


async def test_a_forbidden_broker_address_is_refused_before_connecting() -> None:
    s = BrokerSender(BrokerPool(AddressPolicy()))  # no loopback allowed
    result = await attempt(s, bus("redis", url=REDIS_URL, stream_key="k"))
    assert result.error == "forbidden_address", result
    assert "loopback" in (result.error_detail or "")
    await s.pool.close()

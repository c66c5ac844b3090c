"""Message-bus destinations end to end: simulator → gateway → a real NATS JetStream stream,
Redis stream or RabbitMQ queue, on SQLite and PostgreSQL. For each broker: two
conversations' messages arrive once each, in order per conversation, verifiable with the
destination's secret; so does every message type; a broker that is not there holds them
back until the destination is pointed at one, nothing lost; a broker that refuses shows it
on the attempt."""

import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from tests.api.test_metrics import scrape, value
from tests.conftest import RunningGateway, eventually, gateway_with_sim
from tests.delivery.brokers import (
    AMQP_URL,
    NATS_URL,
    REDIS_URL,
    Arrived,
    amqp_exchange,
    by_conversation,
    every_type_and_texts,
    finished,
    nats_stream,
    redis_stream,
    refused_port,
)
from tests.destinations.helpers import deliveries, delivery
from wahooks.delivery.signing import signature_headers
from wahooks.sim import Simulator

# A Standard Webhooks secret, so its library verifies independently of our signing code.
SECRET = "whsec_" + base64.b64encode(b"a bus signing secret, 24b").decode()
# Circuits and retries in place as by default (the shared fixtures turn them off), and a
# schedule no outage in these tests outlasts.
ON = {"circuit_open_after_failures": 10, "retry_in_place_delays_s": (0, 0.2, 0.5, 1)}
SCHEDULE = [0, 1, 2, 5, 10, 30, 60]
METHODS = ["nats", "redis", "amqp"]


@contextlib.asynccontextmanager
async def bus(method: str) -> AsyncIterator[tuple[dict[str, Any], Any]]:
    """A fresh target on the real broker: the destination's broker object, and a reader."""
    if method == "nats":
        async with nats_stream() as (stream, subject, reader):
            yield {"url": NATS_URL, "stream": stream, "subject": subject}, reader
    elif method == "redis":
        async with redis_stream() as (key, reader):
            yield {"url": REDIS_URL, "streamKey": key, "maxlen": 10000}, reader
    else:
        async with amqp_exchange() as (exchange, key, reader):
            yield {"url": AMQP_URL, "exchange": exchange, "routingKey": key}, reader


async def create(gateway: RunningGateway, method: str, broker: dict[str, Any]) -> Any:
    status, body = await gateway.api(
        "POST",
        "/v1/destinations",
        {"method": method, "broker": broker, "secret": SECRET, "retrySchedule": SCHEDULE},
    )
    assert status == 201, body
    return body


def text_of(arrived: Arrived) -> tuple[str, str]:
    """(sender, text) of a pipes-format body."""
    value = orjson.loads(arrived.body)["entry"][0]["changes"][0]["value"]
    return value["contacts"][0]["wa_id"], value["messages"][0]["text"]["body"]


async def send_two_conversations(sim: Simulator, n: int) -> None:
    """``n`` messages from each of two users, interleaved, one POST each (so their order is
    the order they were sent)."""
    for i in range(n):
        for wa_id in ("15554440001", "15554440002"):
            assert (await sim.send(sim.user(wa_id, "User"), "text", body=f"{wa_id}-{i}")).ok


async def arrived(reader: Any, count: int, timeout: float = 20.0) -> list[Arrived]:
    async def check() -> list[Arrived] | None:
        got: list[Arrived] = await reader.read()
        assert len(got) <= count, [text_of(a) for a in got]  # never more than sent
        return got if len(got) == count else None

    result: list[Arrived] = await eventually(check, timeout)
    return result


def assert_once_in_order_and_signed(messages: list[Arrived], n: int) -> None:
    webhook = Webhook(SECRET)
    for message in messages:
        webhook.verify(message.body, message.headers)  # raises if it does not verify
        # And the project's own helper gives the same headers for this id and time.
        headers = message.headers
        expected = signature_headers(
            SECRET, headers["webhook-id"], int(headers["webhook-timestamp"]), message.body
        )
        assert {k: headers[k] for k in expected} == expected
    ids = [m.headers["webhook-id"] for m in messages]
    assert len(set(ids)) == len(ids) and all(i.startswith("dlv_") for i in ids)
    by_sender: dict[str, list[str]] = {}
    for message in messages:
        sender, text = text_of(message)
        by_sender.setdefault(sender, []).append(text)
    assert by_sender == {
        wa_id: [f"{wa_id}-{i}" for i in range(n)] for wa_id in ("15554440001", "15554440002")
    }


@pytest.mark.parametrize("method", METHODS)
async def test_two_conversations_arrive_once_in_order_and_verify(
    database_url: str, method: str
) -> None:
    async with bus(method) as (broker, reader), gateway_with_sim(database_url, **ON) as (g, sim):
        destination = await create(g, method, broker)
        assert destination["broker"]["url"] == broker["url"].replace(":guest@", ":***@")
        await send_two_conversations(sim, 5)
        assert_once_in_order_and_signed(await arrived(reader, 10), 5)
        # Every delivery finished on the broker's confirmation, its attempt recorded.
        done = await eventually(
            lambda: _all(g, destination["id"], lambda d: d["status"] == "succeeded", 10)
        )
        one = await delivery(g, done[0]["id"])
        (attempt,) = one["attemptLog"]
        assert attempt["statusCode"] is None and attempt["error"] is None
        assert attempt["responseExcerpt"], attempt  # what the broker said (seq, entry id)
        health = (await g.api("GET", f"/v1/destinations/{destination['id']}"))[1]
        assert health["consecutiveFailures"] == 0 and health["circuit"]["state"] == "closed"
        # The broker's confirmations are in the attempt latency histogram, as answers are.
        figures = await scrape(g)
        assert value(figures, "wahooks_delivery_attempt_seconds_count", format="pipes") == 10


async def _all(g: RunningGateway, destination_id: str, predicate: Any, count: int) -> Any:
    listed = await deliveries(g, destinationId=destination_id)
    return listed if len(listed) == count and all(predicate(d) for d in listed) else None


@pytest.mark.parametrize("method", METHODS)
async def test_an_unreachable_broker_holds_deliveries_until_it_is_fixed(
    database_url: str, method: str
) -> None:
    async with bus(method) as (broker, reader), gateway_with_sim(database_url, **ON) as (g, sim):
        scheme = broker["url"].split("://")[0]
        wrong = {**broker, "url": f"{scheme}://127.0.0.1:{refused_port()}"}
        if method == "amqp":
            wrong["url"] = f"amqp://guest:guest@127.0.0.1:{refused_port()}/"
        destination = await create(g, method, wrong)
        await send_two_conversations(sim, 3)

        async def refused() -> Any:
            listed = await deliveries(g, destinationId=destination["id"])
            for item in listed:
                log = (await delivery(g, item["id"]))["attemptLog"]
                if log and log[0]["error"] == "broker_unreachable":
                    return log[0]
            return None

        attempt = await eventually(refused)
        assert attempt["statusCode"] is None and attempt["errorDetail"]
        assert await reader.read() == []  # nothing got anywhere
        # The destination pointed at the real broker: everything that waited goes, in order.
        status, body = await g.api(
            "PATCH", f"/v1/destinations/{destination['id']}", {"broker": {"url": broker["url"]}}
        )
        assert status == 200, body
        assert_once_in_order_and_signed(await arrived(reader, 6, timeout=30), 3)
        listed = await eventually(
            lambda: _all(g, destination["id"], lambda d: d["status"] == "succeeded", 6), 10
        )
        assert len(listed) == 6  # nothing lost, nothing failed


REFUSALS = [
    ("nats", {"stream": "WAHOOKS_NO_SUCH_STREAM", "subject": "wahooks.nowhere"}, "no_stream"),
    ("amqp", {"exchange": "wahooks.no.such.exchange"}, "no_exchange"),
    ("amqp", {"routingKey": "bound.to.nothing"}, "unroutable"),
]


@pytest.mark.parametrize(("method", "override", "error"), REFUSALS)
async def test_a_refusing_broker_shows_on_the_attempt(
    database_url: str, method: str, override: dict[str, str], error: str
) -> None:
    async with bus(method) as (broker, reader), gateway_with_sim(database_url, **ON) as (g, sim):
        destination = await create(g, method, {**broker, **override})
        assert (await sim.send(sim.user("15554440009", "User"), "text", body="x")).ok
        (item,) = await eventually(lambda: deliveries(g, destinationId=destination["id"]))

        async def attempted() -> Any:
            body = await delivery(g, item["id"])
            return body if body["attemptLog"] else None

        body = await eventually(attempted)
        attempt = body["attemptLog"][0]
        assert attempt["error"] == error, attempt
        assert attempt["statusCode"] is None and attempt["errorDetail"]
        assert body["status"] in ("pending", "leased")  # kept for the broker to take later
        assert await reader.read() == []


@pytest.mark.parametrize("method", METHODS)
async def test_every_message_type_arrives_once_in_order_and_verifies(
    database_url: str, method: str
) -> None:
    async with bus(method) as (broker, reader), gateway_with_sim(database_url, **ON) as (g, sim):
        destination = await create(g, method, broker)
        sent = await every_type_and_texts(sim)
        # Each became a delivery (edits and revokes as message:update, reactions as
        # message:reaction: the default events) and each one succeeded.
        listed = await finished(g, destination["id"], len(sent))
        assert {d["wamid"] for d in listed} >= set(sent) - {None}
        messages = await arrived(reader, len(listed), timeout=30)
        webhook = Webhook(SECRET)
        for message in messages:
            webhook.verify(message.body, message.headers)
        ids = [m.headers["webhook-id"] for m in messages]
        assert sorted(ids) == sorted(d["id"] for d in listed)  # each once
        # In order per conversation.
        assert by_conversation(listed, ids) == by_conversation(listed, [d["id"] for d in listed])

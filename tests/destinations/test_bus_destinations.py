"""/v1/destinations with a message bus (method nats, redis, amqp): the broker object's
checks per method, its password encrypted at rest and never shown, a PATCH that changes
some fields and keeps the rest, the broker's address under the SSRF guard, and the
connection closed when the destination is deleted."""

from typing import Any

import pytest

from tests.conftest import RunningGateway, eventually, registered_sim, running_gateway
from tests.delivery.brokers import redis_stream, require
from tests.destinations.helpers import deliveries, delivery
from tests.ingress.helpers import table

PASSWORD = "s3cret-broker-pw"
AMQP = {"url": f"amqp://guest:{PASSWORD}@127.0.0.1:5672/", "exchange": "x", "routingKey": "k"}


async def create(gateway: RunningGateway, **body: Any) -> tuple[int, Any]:
    return await gateway.api("POST", "/v1/destinations", body)


async def test_a_bus_destination_shows_its_broker_without_the_password(
    gateway: RunningGateway, database_url: str
) -> None:
    status, body = await create(gateway, method="amqp", broker=AMQP)
    assert status == 201, body
    assert body["method"] == "amqp" and body["url"] is None
    broker = body["broker"]
    assert broker["url"] == "amqp://guest:***@127.0.0.1:5672/"
    assert broker["passwordSet"] is True and broker["username"] == "guest"
    assert (broker["exchange"], broker["routingKey"]) == ("x", "k")
    status, listed = await gateway.api("GET", "/v1/destinations")
    assert PASSWORD not in str(listed)
    # At rest the whole broker config is encrypted, like the signing secret.
    (row,) = await table(database_url, "destinations")
    assert row["broker"].startswith("enc:v1:") and PASSWORD not in str(row)
    # A PATCH changes what it names; the password stays.
    status, patched = await gateway.api(
        "PATCH", f"/v1/destinations/{body['id']}", {"broker": {"routingKey": "k2"}}
    )
    assert status == 200, patched
    assert patched["broker"]["routingKey"] == "k2" and patched["broker"]["passwordSet"]
    current = await gateway.gateway.store.destinations.get(gateway.tenant_id, body["id"])
    assert current is not None and current.broker is not None
    assert current.broker.url == AMQP["url"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"method": "nats"}, "broker: required for method nats"),
        ({"method": "webhook", "url": "http://h/x", "broker": AMQP}, "broker: only for methods"),
        (
            {"method": "nats", "broker": {"url": "nats://h:4222", "subject": "a.b"}},
            "broker.stream: required",
        ),
        (
            {"method": "nats", "broker": {"url": "nats://h", "stream": "S", "subject": "a.*"}},
            "broker.subject",
        ),
        (
            {"method": "redis", "broker": {"url": "amqp://h", "streamKey": "k"}},
            "broker.url: must be a redis:// or rediss:// URL",
        ),
        (
            {"method": "redis", "broker": {"url": "redis://h", "streamKey": "k", "exchange": "x"}},
            "broker.exchange: not used by method redis",
        ),
        (
            {"method": "redis", "broker": {"url": "redis://h/abc", "streamKey": "k"}},
            "database number",
        ),
        (
            {"method": "redis", "broker": {"url": "redis://h", "streamKey": "k", "maxlen": 0}},
            "maxlen",
        ),
        (
            {"method": "amqp", "broker": {**AMQP, "password": "other"}},
            "broker.password: the URL carries one already",
        ),
        ({"method": "amqp", "broker": {**AMQP, "url": "amqp://h:99999/"}}, "broker.url"),
        ({"method": "amqp", "broker": AMQP, "url": "http://h/x"}, "url: a message bus"),
    ],
)
async def test_broker_fields_are_checked_per_method(
    gateway: RunningGateway, body: dict[str, Any], message: str
) -> None:
    status, answer = await create(gateway, **body)
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_request"
    assert message in answer["error"]["message"], answer


async def test_switching_methods_needs_a_broker_and_drops_it_again(gateway: RunningGateway) -> None:
    status, body = await create(gateway, url="http://127.0.0.1:9/hook")
    assert status == 201, body
    path = f"/v1/destinations/{body['id']}"
    status, answer = await gateway.api("PATCH", path, {"method": "redis"})
    assert status == 400 and "broker: required" in answer["error"]["message"], answer
    broker = {"url": "redis://127.0.0.1:6379/0", "streamKey": "wa"}
    status, answer = await gateway.api("PATCH", path, {"method": "redis", "broker": broker})
    assert status == 200 and answer["broker"]["streamKey"] == "wa", answer
    status, answer = await gateway.api("PATCH", path, {"method": "webhook"})
    assert status == 200 and answer["broker"] is None, answer


async def test_a_loopback_broker_is_refused_unless_the_settings_allow_it(
    database_url: str,
) -> None:
    require(6379, "Redis")
    # The simulator (the number's Graph API, which proves it at registration) stays
    # allowed; the broker's loopback address is not, and is refused before connecting.
    allowed = ("127.0.0.1/32",)
    async with running_gateway(database_url, outbound_allow_networks=allowed) as gateway:
        async with registered_sim(gateway) as sim:
            broker = {"url": "redis://127.0.0.2:6379/0", "streamKey": "wahooks:never"}
            status, body = await create(gateway, method="redis", broker=broker)
            assert status == 201, body
            assert (await sim.send(sim.user("15554440100", "U"), "text", body="x")).ok
            (item,) = await eventually(lambda: deliveries(gateway, destinationId=body["id"]))

            async def attempted() -> Any:
                log = (await delivery(gateway, item["id"]))["attemptLog"]
                return log[0] if log else None

            attempt = await eventually(attempted)
            assert attempt["error"] == "forbidden_address", attempt
            assert "loopback" in attempt["errorDetail"]


async def test_deleting_a_bus_destination_closes_its_connection(gateway: RunningGateway) -> None:
    async with redis_stream() as (key, reader):
        async with registered_sim(gateway) as sim:
            broker = {"url": "redis://127.0.0.1:6379/0", "streamKey": key}
            status, body = await create(gateway, method="redis", broker=broker)
            assert status == 201, body
            assert (await sim.send(sim.user("15554440101", "U"), "text", body="x")).ok

            async def one() -> Any:
                return await reader.read()

            await eventually(one)
            pool = gateway.gateway.senders.brokers.pool
            assert len(pool) == 1
            status, _ = await gateway.api("DELETE", f"/v1/destinations/{body['id']}")
            assert status == 204
            assert len(pool) == 0


async def test_a_test_send_publishes_into_the_bus(gateway: RunningGateway) -> None:
    async with redis_stream() as (key, reader):
        broker = {"url": "redis://127.0.0.1:6379/0", "streamKey": key}
        status, body = await create(gateway, method="redis", broker=broker)
        assert status == 201, body
        status, result = await gateway.api("POST", f"/v1/destinations/{body['id']}/test")
        assert status == 200, result
        assert result["success"] is True and result["statusCode"] is None
        (arrived,) = await reader.read()
        assert arrived.headers["webhook-id"] == result["webhookId"]

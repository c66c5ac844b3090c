"""/v1/destinations with method sqs: the broker object's checks (queue URL, region, the
tenant's own access key, an optional endpoint), the secret access key encrypted at rest and
never shown, a PATCH that keeps it, and the client closed when the destination is deleted."""

from typing import Any

import pytest

from tests.conftest import RunningGateway, eventually, registered_sim
from tests.delivery.sqs import SECRET_KEY, sqs_broker, sqs_queue
from tests.ingress.helpers import table

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/wa-events.fifo"
SQS = {
    "url": QUEUE,
    "region": "eu-west-1",
    "accessKeyId": "AKIAEXAMPLE",
    "secretAccessKey": SECRET_KEY,
}


async def create(gateway: RunningGateway, **body: Any) -> tuple[int, Any]:
    return await gateway.api("POST", "/v1/destinations", body)


async def test_an_sqs_destination_shows_its_queue_without_the_secret(
    gateway: RunningGateway, database_url: str
) -> None:
    status, body = await create(gateway, method="sqs", broker=SQS)
    assert status == 201, body
    broker = body["broker"]
    assert broker["url"] == QUEUE and broker["region"] == "eu-west-1"
    assert broker["accessKeyId"] == "AKIAEXAMPLE" and broker["secretAccessKeySet"] is True
    assert broker["endpointUrl"] is None and broker["passwordSet"] is False
    status, listed = await gateway.api("GET", "/v1/destinations")
    assert SECRET_KEY not in str(listed) and SECRET_KEY not in str(body)
    (row,) = await table(database_url, "destinations")
    assert row["broker"].startswith("enc:v1:") and SECRET_KEY not in str(row)
    # A PATCH changes what it names; the secret stays.
    path = f"/v1/destinations/{body['id']}"
    status, patched = await gateway.api("PATCH", path, {"broker": {"region": "eu-central-1"}})
    assert status == 200, patched
    assert patched["broker"]["region"] == "eu-central-1"
    assert patched["broker"]["secretAccessKeySet"] is True
    current = await gateway.gateway.store.destinations.get(gateway.tenant_id, body["id"])
    assert current is not None and current.broker is not None
    assert current.broker.secret_access_key == SECRET_KEY
    # Switching to another bus leaves the SQS fields behind.
    redis = {"url": "redis://127.0.0.1:6379/0", "streamKey": "wa"}
    status, switched = await gateway.api("PATCH", path, {"method": "redis", "broker": redis})
    assert status == 200, switched
    assert switched["broker"]["region"] is None and not switched["broker"]["secretAccessKeySet"]


def sqs(**changes: Any) -> dict[str, Any]:
    broker = {**SQS, **changes}
    return {"method": "sqs", "broker": {k: v for k, v in broker.items() if v is not None}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (sqs(region=None), "broker.region: required for method sqs"),
        (sqs(secretAccessKey=None), "broker.secretAccessKey: required"),
        (sqs(accessKeyId=None), "broker.accessKeyId: required"),
        (sqs(region="eu-west-1.evil.example/"), "broker.region: an AWS region"),
        (sqs(url="sqs://q"), "broker.url: must be a https:// or http:// URL"),
        (sqs(url="https://sqs.eu-west-1.amazonaws.com/queue"), "/<12-digit account>/"),
        (sqs(url="https://k:s@sqs.eu-west-1.amazonaws.com/123456789012/q"), "accessKeyId"),
        (sqs(url=QUEUE.replace("wa-events", "w" * 80)), "/<12-digit account>/"),
        (sqs(password="x"), "broker.password: not used by method sqs"),
        (sqs(streamKey="k"), "broker.streamKey: not used by method sqs"),
        (sqs(endpointUrl="ftp://h"), "broker.endpointUrl: must be an http"),
        (sqs(endpointUrl="http://h:1/path"), "broker.endpointUrl: no path"),
        (sqs(endpointUrl="http://u:p@h:1"), "broker.endpointUrl: no user info"),
        (sqs(secretAccessKey="has space"), "broker.secretAccessKey: printable ASCII"),
        ({"method": "nats", "broker": {**SQS, "stream": "S", "subject": "s"}}, "broker.url"),
        (
            {"method": "redis", "broker": {"url": "redis://h", "streamKey": "k", "region": "x"}},
            "broker.region: not used by method redis",
        ),
    ],
)
async def test_sqs_fields_are_checked(
    gateway: RunningGateway, body: dict[str, Any], message: str
) -> None:
    status, answer = await create(gateway, **body)
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_request"
    assert message in answer["error"]["message"], answer


async def test_deleting_an_sqs_destination_closes_its_client(
    gateway: RunningGateway, sqs_endpoint: str
) -> None:
    async with sqs_queue(sqs_endpoint) as reader, registered_sim(gateway) as sim:
        status, body = await create(
            gateway, method="sqs", broker=sqs_broker(sqs_endpoint, reader.url)
        )
        assert status == 201, body
        assert (await sim.send(sim.user("15554440102", "U"), "text", body="x")).ok
        await eventually(reader.read)
        pool = gateway.gateway.senders.brokers.pool
        assert len(pool) == 1
        status, _ = await gateway.api("DELETE", f"/v1/destinations/{body['id']}")
        assert status == 204
        assert len(pool) == 0

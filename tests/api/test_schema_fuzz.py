"""Nothing a tenant sends makes the API answer 5xx, and every answer matches /openapi.json:
schemathesis runs every operation of the live document (new routes included, with no list
to keep) against a gateway holding real resources: a simulator's number with a
conversation, destinations, a delivery, an uploaded file, a pool number with an activation;
with a tenant's key, and with an App's and the operator's where the tenant's is refused.

The gateway is closed: it reaches no public address and looks up no host name, so URLs the
fuzzer invents (webhooks, media links, Graph API bases) fail inside this process; only the
simulator and the test receiver, on 127.0.0.1, are reachable."""

import asyncio
import base64
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.api.fuzz import Known, Report, describe, fuzz, refused
from tests.conftest import RunningGateway, eventually, registered_sim, running_gateway
from tests.media.helpers import FixedResolver
from tests.pool.conftest import pool_sim
from wahooks.demo.receiver import Receiver
from wahooks.media.addresses import LOOPBACK_NETWORKS
from wahooks.sim import Simulator

# Per operation and key, fitting and unfitting inputs together: about 35 s per database.
MAX_EXAMPLES = int(os.environ.get("WAHOOKS_FUZZ_EXAMPLES", "40"))
# A 1x1 PNG, for the upload that gives the fuzzer a real media id.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def _seed(
    gateway: RunningGateway, sim: Simulator, pool: Simulator, receiver: Receiver
) -> Known:
    """Real ids for the fuzzer to plant: a number, a conversation with a delivery, a socket
    and a webhook destination, an uploaded file, a pool number with an activation."""
    status, activation = await gateway.api(
        "POST",
        "/v1/activations",
        {"numberId": pool.number_id},  # type: ignore[attr-defined]
    )
    assert status == 201, activation
    status, socket = await gateway.api("POST", "/v1/destinations", {"method": "socket"})
    assert status == 201, socket
    status, hook = await gateway.api("POST", "/v1/destinations", {"url": receiver.url})
    assert status == 201, hook
    await sim.send(sim.user("15551239001", "Fuzz"), "text", body="hello")

    async def delivered() -> Any:
        status, page = await gateway.api("GET", "/v1/deliveries")
        return page["data"] if status == 200 and page["data"] else None

    delivery = (await eventually(delivered))[0]
    upload = aiohttp.FormData()
    upload.add_field("file", PNG, filename="dot.png", content_type="image/png")
    async with gateway.http.post(
        gateway.url + "/v1/media",
        data=upload,
        headers={"Authorization": f"Bearer {gateway.api_key}"},
    ) as response:
        assert response.status == 201, await response.text()
        media_id = (await response.json())["mediaId"]
    number_id: str = sim.number_id  # type: ignore[attr-defined]
    pool_id: str = pool.number_id  # type: ignore[attr-defined]
    return Known(
        path_parameters={
            "numberId": [number_id, pool_id],
            "activationId": [activation["id"]],
            "tenantId": [gateway.tenant_id],
            "destinationId": [socket["id"], hook["id"]],
            "deliveryId": [delivery["id"]],
            "mediaId": [media_id],
        },
        body_fields={
            "conversationId": [delivery["conversationId"]],
            "numberId": [number_id, pool_id],
            "activationId": [activation["id"]],
            "media": [media_id],
        },
    )


@pytest.fixture
def no_names() -> FixedResolver:
    """The gateway's name lookups: none answers, and none reaches DNS."""
    return FixedResolver({})


@pytest.fixture
async def closed_gateway(
    database_url: str, no_names: FixedResolver
) -> AsyncIterator[RunningGateway]:
    # No name resolves (not even to DNS), no public address is reachable: loopback only.
    async with running_gateway(
        database_url,
        resolver=no_names,
        outbound_allow_public=False,
        outbound_allow_networks=LOOPBACK_NETWORKS,
        # A send through a number whose Graph URL the fuzzer changed fails (502) at once,
        # not after 7.5 s of retries.
        graph_retry_delays_s=(),
        graph_timeout_s=5,
    ) as gateway:
        yield gateway


# Budgeted by examples (MAX_EXAMPLES per operation and key), not by time: about 35 s per
# database on an idle machine; the timeout only catches a hang, so it is far above that.
@pytest.mark.e2e
@pytest.mark.timeout(1200)
async def test_fuzzed_requests_get_no_5xx_and_answers_match_the_schema(
    closed_gateway: RunningGateway,
) -> None:
    """Every operation with the tenant's key; then those that refused it (401/403 only)
    with an App's key and with the operator's, so each reaches its route with some key."""
    gateway = closed_gateway
    reports: dict[str, Report] = {}
    receiver = Receiver()
    await receiver.start()
    try:
        async with registered_sim(gateway) as sim, pool_sim(gateway) as pool:
            known = await _seed(gateway, sim, pool, receiver)
            started = time.monotonic()
            reports["tenant"] = await asyncio.to_thread(
                fuzz, gateway.url, gateway.api_key, known, max_examples=MAX_EXAMPLES
            )
            others = refused(reports["tenant"])
            # Made only now: the tenant's pass may regenerate or delete any App it can see.
            status, app = await gateway.api("POST", "/v1/apps", {"name": "Fuzz", "slug": "fuzz"})
            assert status == 201, app
            for kind, key in (("app", app["apiKey"]), ("operator", gateway.operator_key)):
                reports[kind] = await asyncio.to_thread(
                    fuzz, gateway.url, key, known, max_examples=MAX_EXAMPLES, only=others
                )
            summary = "\n\n".join(describe(r, f"[{kind} key]") for kind, r in reports.items())
            print(summary, f"\nwall time {time.monotonic() - started:.1f} s")
    finally:
        await receiver.stop()
    assert len(reports["tenant"].statuses) >= 15, summary
    assert not any(r.failures for r in reports.values()), summary
    # An operation that refused every kind of key can be called by nobody.
    nobodys = set.intersection(*map(refused, reports.values()))
    assert not nobodys, f"no key may call {sorted(nobodys)}\n{summary}"


@pytest.mark.e2e
async def test_the_closed_gateway_reaches_no_public_address_and_asks_no_dns(
    closed_gateway: RunningGateway, no_names: FixedResolver
) -> None:
    """What the fuzz test relies on: a webhook to a public address or to a host name is
    refused inside the gateway, and loopback still works."""
    receiver = Receiver()
    await receiver.start()
    try:
        for url, expected in [
            ("http://93.184.216.34/hook", "outbound_allow_public is off"),
            ("http://example.com/hook", "Cannot connect to host example.com"),
            (receiver.url, None),
        ]:
            status, destination = await closed_gateway.api("POST", "/v1/destinations", {"url": url})
            assert status == 201, destination
            path = f"/v1/destinations/{destination['id']}/test"
            status, result = await closed_gateway.api("POST", path)
            assert status == 200, result
            if expected is None:
                assert result["success"] is True, result
            else:
                assert result["success"] is False and expected in result["error"], result
    finally:
        await receiver.stop()
    assert no_names.lookups == {"example.com": 1}  # asked here, so not of DNS

"""One tenant's slow Graph URL delays nobody else's media: each number gets a share of the
download slots, and a body that trickles gives its slot up."""

import time
import uuid

import pytest

from tests.api.helpers import other_tenant
from tests.conftest import running_gateway
from wahooks.demo.receiver import Receiver
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator


@pytest.mark.e2e  # a real scenario, several seconds
async def test_a_trickling_number_does_not_hold_up_another_tenants_media(
    database_url: str, receiver: Receiver
) -> None:
    async with running_gateway(database_url, media_stall_timeout_s=3) as gateway:
        other = await other_tenant(gateway)
        sims = []
        for tenant in (gateway, other):
            settings = SimSettings(
                gateway_url=gateway.ingress_url,
                phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
            )
            sim = Simulator(settings)
            await sim.start()
            sims.append(sim)
            status, body = await tenant.api("POST", "/v1/numbers", number_registration(sim))
            assert status == 201, body
        slow, fast = sims
        try:
            status, body = await other.api("POST", "/v1/destinations", {"url": receiver.url})
            assert status == 201, body
            slow.trickle_media(1.0)  # 1 byte/s: each file would take hours
            for n in range(6):  # more files than the gateway has download slots (4)
                assert (await slow.send(slow.user(f"1555123810{n}", "Slow"), "image")).ok
            started = time.monotonic()
            image = await fast.send(fast.user("15551238200", "Fast"), "image")
            assert image.ok
            await receiver.wait_for(lambda r: len(r.accepted()) == 1, timeout=10)
            waited = time.monotonic() - started
            (arrival,) = receiver.accepted()
            value = arrival.json()["entry"][0]["changes"][0]["value"]
            assert value["messages"][0]["id"] == image.wamid
            assert arrival.json()["pipes"]["media"]["byteSize"] > 0
            assert waited < 5, f"the other tenant's image waited {waited:.1f} s"
        finally:
            for sim in sims:
                await sim.stop()

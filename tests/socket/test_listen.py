"""`wahooks listen`: socket in, local POSTs out, acknowledged only after a 2xx."""

import asyncio
import sys

import orjson
import pytest

from tests.conftest import RunningGateway, eventually
from tests.socket.conftest import socket_destination
from wahooks.demo.receiver import Receiver
from wahooks.listen import Forwarder, ListenOptions
from wahooks.sim import Simulator

pytestmark = pytest.mark.e2e  # `wahooks listen` in a real subprocess


async def test_listen_forwards_in_order_and_acks_only_after_a_2xx(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await socket_destination(gateway)
    receiver.fail_with = [500, 503]  # the local server is not ready yet
    options = ListenOptions(gateway.url, gateway.api_key, receiver.url)
    forwarder = asyncio.create_task(Forwarder(options).run())
    user = sim.user("15551237001", "Dev")
    sent = [(await sim.send(user, "text", body=f"dev {n}")).wamid for n in range(3)]
    await receiver.wait_for(lambda r: len(r.accepted()) == 3)
    frames = [orjson.loads(a.body) for a in receiver.accepted()]
    assert [f["data"]["messageId"] for f in frames] == sent
    assert receiver.accepted()[0].headers["x-wahooks-frame-type"] == "whatsapp_message"
    assert (
        receiver.accepted()[0].headers["x-wahooks-delivery-id"] == frames[0]["data"]["deliveryId"]
    )

    async def acknowledged() -> bool:
        status, body = await gateway.api("GET", "/v1/deliveries?status=succeeded")
        return status == 200 and len(body["data"]) == 3

    await eventually(acknowledged)  # only after the local 2xx
    forwarder.cancel()


async def test_listen_exits_with_a_clear_error_on_a_refused_key(gateway: RunningGateway) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wahooks", "listen", "--gateway", gateway.url,
        "--api-key", "pk_live_" + "x" * 32, "--forward-to", "http://127.0.0.1:9/none",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2, stderr
    assert b"refused the socket: HTTP 401" in stderr

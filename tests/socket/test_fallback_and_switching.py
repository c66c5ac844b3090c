"""Webhook and socket together: fallback from a dead webhook, and switching a destination's
method at any time without losing or duplicating a message."""

import asyncio
from typing import Any

import pytest

from tests.conftest import RunningGateway, add_destination, eventually, when
from tests.socket.conftest import WsClient
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

FAST_THEN_SLOW = [0, 0.1, 0.1, 0.6, 0.6, 0.6]


async def delivery(gateway: RunningGateway, delivery_id: str) -> dict[str, Any]:
    status, body = await gateway.api("GET", f"/v1/deliveries/{delivery_id}")
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def only_delivery(gateway: RunningGateway) -> dict[str, Any]:
    async def one() -> Any:
        status, body = await gateway.api("GET", "/v1/deliveries")
        assert status == 200, body
        return body["data"][0] if body["data"] else None

    return await eventually(one)  # type: ignore[no-any-return]


@pytest.mark.e2e
async def test_a_dead_webhook_falls_back_to_a_socket_that_connects_later(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    receiver.always = 503
    await add_destination(gateway, receiver, retrySchedule=FAST_THEN_SLOW)
    sent = await sim.send(sim.user("15551239001", "Fall"), "text", body="fall back")
    first = await only_delivery(gateway)
    # The fast retries (0, 0.1, 0.1 s) fail; then the message is offered to the socket.
    offered = await eventually(
        lambda: when(delivery(gateway, first["id"]), lambda d: d["offeredToSocket"])
    )
    assert offered["status"] == "pending" and offered["attempts"] >= 3
    client = await WsClient.open(gateway, ack="1")
    (data,) = await client.messages(1)
    assert data["messageId"] == sent.wamid and data["deliveryId"] == first["id"]
    await client.ack(data["deliveryId"])
    done = await eventually(
        lambda: when(delivery(gateway, first["id"]), lambda d: d["status"] == "succeeded")
    )
    channels = [a["channel"] for a in done["attemptLog"]]
    assert channels[-1] == "socket" and set(channels[:-1]) == {"webhook"}
    # The webhook stops: no more attempts once the socket acknowledged it.
    posts = receiver.count
    receiver.always = None
    await asyncio.sleep(1.5)
    assert receiver.count == posts
    await client.close()


@pytest.mark.e2e
async def test_a_webhook_that_recovers_first_finishes_it_and_the_socket_never_sees_it(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    receiver.always = 503
    await add_destination(gateway, receiver, retrySchedule=[0, 0.1, 0.1, 0.3])
    await sim.send(sim.user("15551239002", "Back"), "text", body="webhook wins")
    first = await only_delivery(gateway)
    await eventually(lambda: when(delivery(gateway, first["id"]), lambda d: d["offeredToSocket"]))
    receiver.always = None
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    await eventually(
        lambda: when(delivery(gateway, first["id"]), lambda d: d["status"] == "succeeded")
    )
    client = await WsClient.open(gateway, ack="1")
    await client.nothing_for(0.5)
    await client.close()


async def test_a_failed_webhook_delivery_stays_on_the_socket_queue(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    receiver.always = 500
    await add_destination(gateway, receiver, retrySchedule=[0, 0.05, 0.05])
    sent = await sim.send(sim.user("15551239003", "Gone"), "text", body="still here")
    first = await only_delivery(gateway)
    await eventually(
        lambda: when(delivery(gateway, first["id"]), lambda d: d["status"] == "failed")
    )
    client = await WsClient.open(gateway)
    (data,) = await client.messages(1)
    assert data["messageId"] == sent.wamid
    await eventually(
        lambda: when(delivery(gateway, first["id"]), lambda d: d["status"] == "succeeded")
    )
    await client.close()


@pytest.mark.e2e
async def test_switching_method_under_load_loses_nothing_and_sends_nothing_twice(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver)
    client = await WsClient.open(gateway, ack="1")
    socket_got: list[str] = []

    async def consume() -> None:
        while True:
            data = (await client.next("whatsapp_message", timeout=30))["data"]
            socket_got.append(data["messageId"])
            await client.ack(data["deliveryId"])

    consumer = asyncio.create_task(consume())
    users = [sim.user(f"155512391{i:02d}", f"Load {i}") for i in range(10)]
    sent: list[str] = []

    async def produce() -> None:
        for n in range(200):
            sent.append((await sim.send(users[n % 10], "text", body=f"load {n}")).wamid)

    async def switch() -> None:
        for method in ("socket", "webhook", "socket", "webhook", "socket", "webhook"):
            await asyncio.sleep(0.15)
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"method": method}
            )
            assert status == 200, body

    await asyncio.gather(produce(), switch())

    def webhook_got() -> list[str]:
        return [
            a.json()["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            for a in receiver.accepted()
        ]

    async def all_arrived() -> bool:
        return len(webhook_got()) + len(socket_got) >= len(sent)

    await eventually(all_arrived, timeout=20)
    await asyncio.sleep(0.5)  # anything sent twice would arrive by now
    consumer.cancel()
    everything = webhook_got() + socket_got
    assert sorted(everything) == sorted(sent)  # all of them, each exactly once
    assert socket_got and webhook_got()  # both channels carried some
    # Per conversation, each channel saw its messages in the order they were sent.
    order = {wamid: n for n, wamid in enumerate(sent)}
    for got in (webhook_got(), socket_got):
        for user in range(10):
            mine = [order[w] for w in got if order[w] % 10 == user]
            assert mine == sorted(mine)
    await client.close()

"""Delivery over the socket: handshake errors, scopes, frames, the durable queue, acks."""

import asyncio
import socket
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import RunningGateway, eventually, when
from tests.socket.conftest import WsClient, gateway_with_sim, socket_destination, ws_url
from wahooks.accounts import issue_tenant_key
from wahooks.sim import Simulator


async def deliveries(gateway: RunningGateway, **query: str) -> list[dict[str, Any]]:
    path = "/v1/deliveries?" + "&".join(f"{k}={v}" for k, v in query.items())
    status, body = await gateway.api("GET", path)
    assert status == 200, body
    return body["data"]  # type: ignore[no-any-return]


async def conversation_of(gateway: RunningGateway, sim: Simulator, wa_id: str) -> str:
    """The conversation id of a user's first message, read from the deliveries API."""
    sent = await sim.send(sim.user(wa_id, "Someone"), "text", body="hi")

    async def found() -> str | None:
        for d in await deliveries(gateway):
            if d["wamid"] == sent.wamid:
                return str(d["conversationId"])
        return None

    return str(await eventually(found))


# --- the handshake -------------------------------------------------------------------------


@pytest.mark.e2e
async def test_bad_or_missing_key_is_401_before_the_upgrade(gateway: RunningGateway) -> None:
    base = gateway.url.replace("http://", "ws://") + "/ws"
    for url in (base, base + "?apiKey=pk_live_" + "x" * 32, base + "?apiKey=nonsense"):
        with pytest.raises(InvalidStatus) as refused:
            await connect(url)
        assert refused.value.response.status_code == 401
        assert b'"unauthorized"' in (refused.value.response.body or b"")


@pytest.mark.e2e
async def test_foreign_or_unknown_conversation_is_403_before_the_upgrade(
    gateway: RunningGateway, sim: Simulator
) -> None:
    await socket_destination(gateway)
    conversation = await conversation_of(gateway, sim, "15550000101")
    other_key = (
        await issue_tenant_key(
            gateway.gateway.store,
            (await gateway.gateway.store.tenants.create_tenant("ten_other", "other")).id,
        )
    ).key
    for key, conversation_id in ((other_key, conversation), (gateway.api_key, "conv_nope")):
        url = ws_url(gateway, conversationId=conversation_id).replace(gateway.api_key, key)
        with pytest.raises(InvalidStatus) as refused:
            await connect(url)
        assert refused.value.response.status_code == 403


@pytest.mark.e2e
async def test_welcome_frames_name_scope_user_and_connection(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    conversation = await conversation_of(gateway, sim, "15550000102")
    user = await WsClient.open(gateway)
    scoped = await WsClient.open(gateway, conversationId=conversation)
    clients += [user, scoped]
    assert user.welcome["scope"] == "user"
    assert user.welcome["userId"] == gateway.tenant_id
    assert "conversationId" not in user.welcome
    assert scoped.welcome["scope"] == "conversation"
    assert scoped.welcome["conversationId"] == conversation
    assert user.welcome["connectionId"] != scoped.welcome["connectionId"]


# --- frames ----------------------------------------------------------------------------


async def test_live_message_frame_has_the_reference_fields(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway, label="support")
    client = await WsClient.open(gateway)
    clients.append(client)
    sent = await sim.send(sim.user("15551230001", "Jane Doe"), "text", body="Hello!")
    (data,) = await client.messages(1)
    assert data["messageId"] == sent.wamid
    assert data["deliveryId"].startswith("dlv_")
    assert data["conversationId"].startswith("conv_")
    assert data["poolNumberId"] == sim.number_id  # type: ignore[attr-defined]
    assert data["poolNumberPhoneNumber"] == "+" + sim.settings.display_phone_number
    assert data["fromNumber"] == "+15551230001"
    assert data["fromName"] == "Jane Doe"
    assert data["text"] == data["body"] == "Hello!"
    assert data["type"] == "text"
    assert data["label"] == "support"
    assert data["timestamp"].endswith("Z") and "T" in data["timestamp"]
    # Written to a client without ack=1: delivered, on the socket channel.
    (record,) = await eventually(lambda: deliveries(gateway, status="succeeded"))
    assert record["id"] == data["deliveryId"] and record["method"] == "socket"
    status, detail = await gateway.api("GET", f"/v1/deliveries/{record['id']}")
    assert status == 200, detail
    assert [a["channel"] for a in detail["attemptLog"]] == ["socket"]


async def test_type_specific_fields(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    client = await WsClient.open(gateway)
    clients.append(client)
    user = sim.user("15551230002", "Ann")
    first = await sim.send(user, "text", body="react to me")
    await sim.send(user, "location", latitude=52.5, longitude=13.4, name="Berlin", address="Mitte")
    await sim.send(user, "contacts")
    await sim.send(user, "reaction", message_id=first.wamid, emoji="👍")
    await sim.send(user, "reaction", message_id=first.wamid, emoji="")
    frames = await client.messages(5)
    assert [f["type"] for f in frames] == ["text", "location", "contacts", "reaction", "reaction"]
    assert frames[1]["location"] == {
        "latitude": 52.5,
        "longitude": 13.4,
        "name": "Berlin",
        "address": "Mitte",
    }
    assert frames[2]["contacts"][0]["name"]["formatted_name"]
    assert frames[3]["reaction"] == {"messageId": first.wamid, "emoji": "👍"}
    assert frames[4]["reaction"] == {"messageId": first.wamid}  # removed


# --- the queue -------------------------------------------------------------------------------


async def test_offline_queue_drains_oldest_first_on_a_user_connection(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    users = [sim.user(f"1555123010{i}", f"User {i}") for i in range(3)]
    wamids = []
    for n in range(12):
        wamids.append((await sim.send(users[n % 3], "text", body=f"m{n}")).wamid)
    queued = await eventually(lambda: deliveries(gateway, status="pending"))
    assert len(queued) == 12
    client = await WsClient.open(gateway)
    clients.append(client)
    frames = await client.messages(12)
    assert [f["messageId"] for f in frames] == wamids
    await client.nothing_for(0.3)


async def test_conversation_scope_gets_only_its_conversation_live_and_no_drain(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    jane, bob = sim.user("15551230011", "Jane"), sim.user("15551230012", "Bob")
    conversation = await conversation_of(gateway, sim, jane.wa_id)  # queued, not drained
    scoped = await WsClient.open(gateway, conversationId=conversation)
    clients.append(scoped)
    await sim.send(bob, "text", body="for the queue")
    live = await sim.send(jane, "text", body="live for Jane")
    (data,) = await scoped.messages(1)
    assert data["messageId"] == live.wamid
    await scoped.nothing_for(0.3)
    # A user-scoped connection then drains what the scoped one did not take.
    user = await WsClient.open(gateway)
    clients.append(user)
    drained = await user.messages(2)
    assert {d["text"] for d in drained} == {"hi", "for the queue"}


async def test_every_open_user_connection_gets_a_live_message(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    first, second = await WsClient.open(gateway), await WsClient.open(gateway)
    clients += [first, second]
    sent = await sim.send(sim.user("15551230021", "Jo"), "text", body="to both")
    assert (await first.messages(1))[0]["messageId"] == sent.wamid
    assert (await second.messages(1))[0]["messageId"] == sent.wamid


async def test_unacknowledged_frames_come_again_on_the_next_connection(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    client = await WsClient.open(gateway, ack="1")
    user = sim.user("15551230031", "Ack")
    for n in range(6):
        await sim.send(user, "text", body=f"a{n}")
    frames = await client.messages(6)
    await client.ack(*(f["deliveryId"] for f in frames[:2]))
    await eventually(
        lambda: deliveries(gateway, status="succeeded"), timeout=5
    )  # the two acks are recorded
    await client.close()
    again = await WsClient.open(gateway, ack="1")
    clients.append(again)
    redelivered = await again.messages(4)
    assert [f["deliveryId"] for f in redelivered] == [f["deliveryId"] for f in frames[2:]]
    assert [f["text"] for f in redelivered] == ["a2", "a3", "a4", "a5"]
    await again.ack(*(f["deliveryId"] for f in redelivered))
    done = await eventually(
        lambda: when(deliveries(gateway, status="succeeded"), lambda rows: len(rows) == 6)
    )
    assert len(done) == 6
    status, detail = await gateway.api("GET", f"/v1/deliveries/{frames[3]['deliveryId']}")
    assert status == 200, detail
    assert [a["error"] for a in detail["attemptLog"]] == ["unacknowledged", None]


async def test_without_ack_a_written_frame_is_not_sent_again(
    gateway: RunningGateway, sim: Simulator, clients: list[WsClient]
) -> None:
    await socket_destination(gateway)
    client = await WsClient.open(gateway)
    await sim.send(sim.user("15551230041", "NoAck"), "text", body="once")
    await client.messages(1)
    await eventually(lambda: deliveries(gateway, status="succeeded"))
    await client.close()
    again = await WsClient.open(gateway)
    clients.append(again)
    await again.nothing_for(0.5)


async def test_a_dead_peer_is_found_by_ping_and_its_frames_released(database_url: str) -> None:
    """A client that stops answering (no pong, no close) is dropped after the ping timeout,
    and what it had not acknowledged goes to the next connection."""
    settings = {"socket_ping_interval_s": 0.2, "socket_ping_timeout_s": 0.3}
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        await socket_destination(gateway)
        host, port = gateway.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        path = ws_url(gateway, ack="1").split(port, 1)[1]
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        assert b"101" in await reader.readline()
        await sim.send(sim.user("15551230051", "Ghost"), "text", body="lost?")
        await asyncio.sleep(0.2)
        assert gateway.gateway.hub.connection_count(gateway.tenant_id) == 1
        # Never read again, never pong: the server must give up on us.
        await eventually(
            _async(lambda: gateway.gateway.hub.connection_count(gateway.tenant_id) == 0),
            timeout=5,
        )
        client = await WsClient.open(gateway, ack="1")
        (data,) = await client.messages(1)
        assert data["text"] == "lost?"
        await client.close()
        writer.close()


def _async(check: Any) -> Any:
    async def run() -> Any:
        return check()

    return run


# --- retention --------------------------------------------------------------------------


@pytest.mark.e2e
async def test_retention_drops_old_queued_messages_visibly(database_url: str) -> None:
    settings = {"socket_queue_retention_s": 0.5, "maintenance_interval_s": 0.1}
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        await socket_destination(gateway)
        sent = await sim.send(sim.user("15551230061", "Late"), "text", body="too old")
        (dropped,) = await eventually(lambda: deliveries(gateway, status="dropped"))
        assert dropped["wamid"] == sent.wamid
        assert dropped["lastError"] == "queue_retention_expired"
        client = await WsClient.open(gateway)
        await client.nothing_for(0.3)
        # Dropped is not lost: re-sent through the API, it is delivered.
        status, body = await gateway.api("POST", f"/v1/deliveries/{dropped['id']}/resend")
        assert status == 202, body
        (data,) = await client.messages(1)
        assert data["messageId"] == sent.wamid
        await client.close()


async def test_per_sender_cap_drops_the_oldest_visibly(database_url: str) -> None:
    settings = {"socket_queue_max_per_sender": 2, "maintenance_interval_s": 0.1}
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        await socket_destination(gateway)
        user = sim.user("15551230071", "Chatty")
        for n in range(5):
            await sim.send(user, "text", body=f"c{n}")
        dropped = await eventually(
            lambda: when(deliveries(gateway, status="dropped"), lambda r: len(r) == 3)
        )
        assert {d["lastError"] for d in dropped} == {"queue_sender_cap"}
        client = await WsClient.open(gateway)
        assert [m["text"] for m in await client.messages(2)] == ["c3", "c4"]
        await client.close()


@pytest.mark.e2e
async def test_a_peer_that_stops_reading_does_not_hold_up_the_others(database_url: str) -> None:
    """A connection whose client never reads fills its buffers; it is closed as too slow
    instead of stalling every other connection of the tenant."""
    async with gateway_with_sim(database_url, socket_send_timeout_s=2) as (gateway, sim):
        await socket_destination(gateway)
        host, port = gateway.url.removeprefix("http://").split(":")
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.setblocking(False)
        await asyncio.get_running_loop().sock_connect(stuck, (host, int(port)))
        path = ws_url(gateway).split(port, 1)[1]
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        await asyncio.get_running_loop().sock_sendall(stuck, request.encode())
        reader = await WsClient.open(gateway)
        user = sim.user("15551230081", "Bulk")
        n, batch = 4000, 100  # 16 MB: more than the kernel buffers on both sides
        reading = asyncio.create_task(reader.messages(n, timeout=90))  # reads as they come
        for start in range(0, n, batch):
            items = [(user, "text", {"body": f"{i:04d} " + "x" * 4000})
                     for i in range(start, start + batch)]  # fmt: skip
            assert (await sim.send_batch(items)).ok
        frames = await reading
        assert [f["text"][:4] for f in frames] == [f"{i:04d}" for i in range(n)]
        await reader.close()
        stuck.close()


@pytest.mark.e2e
async def test_a_frame_awaiting_its_ack_stays_leased_while_the_connection_lives(
    database_url: str,
) -> None:
    """Leases of unacknowledged frames are renewed: a slow acknowledger is not sent the same
    frame again when the first lease would have run out."""
    async with gateway_with_sim(database_url, socket_lease_s=1) as (gateway, sim):
        await socket_destination(gateway)
        client = await WsClient.open(gateway, ack="1")
        await sim.send(sim.user("15551230091", "Slow ack"), "text", body="take your time")
        (data,) = await client.messages(1)
        await client.nothing_for(2.5)  # past two lease lengths
        await client.ack(data["deliveryId"])
        (done,) = await eventually(lambda: deliveries(gateway, status="succeeded"))
        assert done["id"] == data["deliveryId"]
        await client.close()

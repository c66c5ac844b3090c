"""An App's numbers deliver to the App: its webhook and its sockets in parallel ("dual"),
each unaffected by the other; and nothing of one App reaches another, or the tenant's own
socket connections."""

import asyncio
from datetime import datetime
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.apps.helpers import app_sim, app_webhook, create_app, number_id
from tests.conftest import RunningGateway, add_destination, eventually, registered_sim
from tests.socket.conftest import WsClient, socket_destination
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator


def pipes(arrival_body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = arrival_body
    return payload["pipes"]  # type: ignore[no-any-return]


def wamids(receiver: Receiver) -> set[str]:
    return {
        a.json()["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        for a in receiver.accepted()
    }


async def test_every_sender_reaches_the_apps_webhook_and_its_socket(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        hook = await app_webhook(app, receiver.url)
        receiver.secret = hook["secret"]
        client = await app.socket()
        assert client.welcome["appId"] == app.id
        senders = [sim.user(f"1555123{i:04d}", f"Sender {i}") for i in range(3)]
        sent = [await sim.send(user, "text", body=f"hello {i}") for i, user in enumerate(senders)]
        frames = await client.messages(3)
        await receiver.wait_for(lambda r: len(r.accepted()) >= 3)
        expected = {s.wamid for s in sent}
        assert {f["messageId"] for f in frames} == expected
        assert wamids(receiver) == expected
        assert all(a.verified for a in receiver.accepted())
        # N:M: each sender has their own conversation with the App's number.
        assert len({f["conversationId"] for f in frames}) == 3
        assert {f["poolNumberId"] for f in frames} == {number_id(sim)}
        assert {pipes(a.json())["poolNumberId"] for a in receiver.accepted()} == {number_id(sim)}
        await client.close()


async def test_a_dead_webhook_does_not_hold_up_the_socket(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    dead = Receiver()
    await dead.start()
    url = dead.url
    await dead.stop()  # nothing listens there any more
    async with app_sim(app) as sim:
        hook = await app_webhook(app, url)
        assert hook["retrySchedule"] == [0, 10, 60, 300]  # Pipes.bot's App schedule
        client = await app.socket()
        user = sim.user("15551230100", "Still here")
        sent = [await sim.send(user, "text", body=f"m{i}") for i in range(3)]
        frames = await client.messages(3, timeout=5)
        assert [f["messageId"] for f in frames] == [s.wamid for s in sent]

        async def webhook_deliveries() -> list[dict[str, Any]] | None:
            status, body = await gateway.api("GET", f"/v1/deliveries?destinationId={hook['id']}")
            assert status == 200, body
            tried = [d for d in body["data"] if d["attempts"] >= 1]
            return tried if tried else None

        (first, *_) = await eventually(webhook_deliveries)
        status, detail = await gateway.api("GET", f"/v1/deliveries/{first['id']}")
        assert status == 200, detail
        # The first attempt failed to connect; the next one is 10 s later, not sooner, and
        # the App's webhook is never offered to a socket (its sockets had their own copy).
        assert detail["status"] == "pending" and detail["attemptLog"][0]["error"] == "connect"
        started = datetime.fromisoformat(detail["attemptLog"][0]["startedAt"])
        next_at = datetime.fromisoformat(detail["nextAttemptAt"])
        assert 9 <= (next_at - started).total_seconds() <= 12
        assert detail["offeredToSocket"] is False
        await client.close()


async def socket_deliveries(gateway: RunningGateway, app_id: str) -> list[Any]:
    status, page = await gateway.api("GET", "/v1/deliveries?limit=100")
    assert status == 200, page
    sockets = await socket_ids(gateway, app_id)
    return [d for d in page["data"] if d["destinationId"] in sockets]


async def socket_ids(gateway: RunningGateway, app_id: str) -> set[str]:
    destinations = await gateway.gateway.store.destinations.of_tenant(gateway.tenant_id)
    return {d.id for d in destinations if d.app_id == app_id and d.method == "socket"}


@pytest.mark.e2e
async def test_the_socket_queues_nothing_before_the_apps_first_connection(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    """No write per message for a queue nobody may ever collect; the webhook still gets it."""
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        hook = await app_webhook(app, receiver.url)
        receiver.secret = hook["secret"]
        early = await sim.send(sim.user("15551230201", "Early"), "text", body="before")
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        assert await socket_deliveries(gateway, app.id) == []
        client = await app.socket()  # from the first connection on, the socket gets them
        later = await sim.send(sim.user("15551230201", "Early"), "text", body="after")
        (frame,) = await client.messages(1)
        assert frame["messageId"] == later.wamid != early.wamid
        await client.close()


@pytest.mark.e2e
async def test_the_socket_queues_while_no_app_connection_is_open(
    gateway: RunningGateway,
) -> None:
    app = await create_app(gateway)
    await (await app.socket()).close()  # the App has connected once: it uses its socket
    async with app_sim(app) as sim:
        sent = await sim.send(sim.user("15551230200", "Early"), "text", body="while away")
        await asyncio.sleep(0.3)
        client = await app.socket()
        (frame,) = await client.messages(1)
        assert frame["messageId"] == sent.wamid
        await client.close()


@pytest.mark.e2e
async def test_apps_and_the_tenant_each_get_only_their_own(
    gateway: RunningGateway, clients: list[WsClient]
) -> None:
    first, second = await create_app(gateway, slug="first-app"), await create_app(gateway)
    first_hook, second_hook = Receiver(), Receiver()
    await first_hook.start()
    await second_hook.start()
    try:
        await socket_destination(gateway)  # the tenant's own socket queue (all its numbers)
        async with (
            app_sim(first) as first_sim,
            app_sim(second) as second_sim,
            registered_sim(gateway) as tenant_sim,
        ):
            await app_webhook(first, first_hook.url)
            await app_webhook(second, second_hook.url)
            first_socket, second_socket = await first.socket(), await second.socket()
            tenant_socket = await WsClient.open(gateway)
            clients += [first_socket, second_socket, tenant_socket]
            user = "15551230300"  # one person writing to all three numbers
            to_first = await first_sim.send(first_sim.user(user, "P"), "text", body="first")
            to_second = await second_sim.send(second_sim.user(user, "P"), "text", body="second")
            to_tenant = await tenant_sim.send(tenant_sim.user(user, "P"), "text", body="tenant")
            assert [f["messageId"] for f in await first_socket.messages(1)] == [to_first.wamid]
            assert [f["messageId"] for f in await second_socket.messages(1)] == [to_second.wamid]
            await first_hook.wait_for(lambda r: len(r.accepted()) >= 1)
            await second_hook.wait_for(lambda r: len(r.accepted()) >= 1)
            assert wamids(first_hook) == {to_first.wamid}
            assert wamids(second_hook) == {to_second.wamid}
            # The tenant's socket destination covers every number of the tenant, its Apps'
            # too (tenant-wide destinations keep their meaning); no App gets the tenant's.
            got = {f["messageId"] for f in await tenant_socket.messages(3)}
            assert got == {to_first.wamid, to_second.wamid, to_tenant.wamid}
            await first_socket.nothing_for(0.5)
            await second_socket.nothing_for(0.1)
            assert len(first_hook.arrivals) == 1 and len(second_hook.arrivals) == 1
    finally:
        await first_hook.stop()
        await second_hook.stop()


async def test_an_app_socket_scoped_to_a_conversation_must_be_the_apps(
    gateway: RunningGateway,
) -> None:
    first, second = await create_app(gateway), await create_app(gateway)
    async with app_sim(first) as sim:
        client = await first.socket()
        await sim.send(sim.user("15551230400", "Scoped"), "text", body="hi")
        (frame,) = await client.messages(1)
        conversation = frame["conversationId"]
        scoped = await first.socket(conversationId=conversation)
        assert scoped.welcome["scope"] == "conversation"
        with pytest.raises(InvalidStatus) as refused:
            await connect(second.ws_url(conversationId=conversation))
        assert refused.value.response.status_code == 403
        operator = second.ws_url().replace(second.key, gateway.operator_key)
        with pytest.raises(InvalidStatus) as refused:
            await connect(operator)
        assert refused.value.response.status_code == 403
        await scoped.close()
        await client.close()


async def test_app_socket_replies_only_in_the_apps_conversations(
    gateway: RunningGateway, clients: list[WsClient]
) -> None:
    first, second = await create_app(gateway), await create_app(gateway)
    async with app_sim(first) as sim, app_sim(second) as other_sim:
        mine, theirs = await first.socket(), await second.socket()
        clients += [mine, theirs]
        await sim.send(sim.user("15551230500", "Mine"), "text", body="hi")
        await other_sim.send(other_sim.user("15551230501", "Theirs"), "text", body="hi")
        (own,) = await mine.messages(1)
        (foreign,) = await theirs.messages(1)
        await mine.send("whatsapp_reply", {"conversationId": own["conversationId"], "text": "ok"})
        status = (await mine.next("reply_status"))["data"]
        assert status["success"] is True, status
        assert sim.sent[-1].payload["text"]["body"] == "ok"
        await mine.send(
            "whatsapp_reply", {"conversationId": foreign["conversationId"], "text": "sneaky"}
        )
        status = (await mine.next("reply_status"))["data"]
        assert status["success"] is False and status["code"] == "NOT_FOUND", status
        assert not other_sim.sent


@pytest.mark.e2e
async def test_message_from_a_sim_number_without_app_is_not_an_apps(
    gateway: RunningGateway, sim: Simulator
) -> None:
    """A tenant's plain dedicated number never feeds an App's destinations."""
    app = await create_app(gateway)
    client = await app.socket()
    await sim.send(sim.user("15551230600", "Plain"), "text", body="not for the app")
    await client.nothing_for(0.6)
    await client.close()


async def test_an_app_downloads_its_numbers_files_only(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    first, second = await create_app(gateway), await create_app(gateway)
    async with app_sim(first) as app_number:
        client = await first.socket()
        await app_number.send(app_number.user("15551230700", "Pic"), "image", size=10_000)
        (frame,) = await client.messages(1)
        media_id = frame["media"]["mediaId"]
        await add_destination(gateway, receiver)  # the tenant's own number's file
        await sim.send(sim.user("15551230701", "Other"), "image", size=10_000)
        await receiver.wait_for(lambda r: len(r.accepted()) >= 1)
        tenants_media = receiver.accepted()[0].json()["pipes"]["media"]["mediaId"]

        async def download(key: str, media: str) -> int:
            url = f"{gateway.url}/v1/media/download/{media}"
            headers = {"Authorization": f"Bearer {key}"}
            async with gateway.http.get(url, headers=headers) as response:
                await response.read()
                return response.status

        assert await download(first.key, media_id) == 200
        assert await download(gateway.api_key, media_id) == 200  # the tenant owns its Apps'
        assert await download(second.key, media_id) == 404
        assert await download(first.key, tenants_media) == 404
        await client.close()

"""Pool activation end to end through the simulator: a user sends a tenant's code to a pool
number, is told it worked, and from then on their messages reach that tenant (with the
activation's label), until the tenant deactivates them. Every refusal is answered."""

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.api.helpers import assert_error, other_tenant
from tests.conftest import RunningGateway, add_destination, eventually, running_gateway
from tests.destinations.helpers import JumpingClock
from tests.pool.conftest import (
    ACTIVATED,
    ALREADY_ACTIVE,
    CODE_EXPIRED,
    CODE_UNKNOWN,
    CODE_USED,
    DEACTIVATED,
    NOT_ACTIVATED,
    TAKEN,
    activate,
    new_activation,
    number_id,
    pool_sim,
    told,
    told_eventually,
    unrouted_count,
)
from tests.socket.conftest import WsClient, socket_destination
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator


async def arrived_texts(receiver: Receiver) -> list[str]:
    return [
        a.json()["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
        for a in receiver.arrivals
    ]


async def quiet(seconds: float = 0.4) -> None:
    """Give the gateway time to do what it must not do (deliver, reply)."""
    await asyncio.sleep(seconds)


@pytest.mark.e2e
async def test_code_binds_the_sender_and_their_messages_carry_the_label(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, label="from-destination")
    created = await new_activation(gateway, pool, label="work")
    assert created["state"] == "pending"
    assert created["numberId"] == number_id(pool)
    assert created["displayPhoneNumber"] == "+15550009999"
    code = created["code"]
    assert len(code) == 9 and code[4] == "-", code
    assert code in created["instructions"] and "+15550009999" in created["instructions"]
    assert created["link"] == f"https://wa.me/15550009999?text={code}"
    assert created["waId"] is None and created["conversationId"] is None

    user = pool.user("4915112345678", "Jana")
    # Typed sloppily inside a sentence: lower case, a space instead of the dash.
    sent = await pool.send(user, "text", body=f"hi, my code is {code.lower().replace('-', ' ')}")
    assert sent.ok
    assert await told_eventually(pool, user.wa_id, 1) == [ACTIVATED]

    status, active = await gateway.api("GET", f"/v1/activations/{created['id']}")
    assert status == 200, active
    assert active["state"] == "active"
    assert active["waId"] == user.wa_id
    assert active["activatedAt"] is not None
    assert active["conversationId"].startswith("conv_")
    assert "code" not in active and "instructions" not in active

    await quiet()
    assert receiver.arrivals == [], "the code message itself is delivered to nobody"

    later = await pool.send(user, "text", body="hello bot")
    await eventually(lambda: _count(receiver, 1))
    payload = receiver.arrivals[0].json()
    assert receiver.arrivals[0].verified
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["id"] == later.wamid and message["text"]["body"] == "hello bot"
    assert payload["pipes"]["label"] == "work"
    assert payload["pipes"]["conversationId"] == active["conversationId"]
    assert payload["pipes"]["poolNumberId"] == number_id(pool)
    assert told(pool, user.wa_id) == [ACTIVATED], "a routed message gets no notice"


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.arrivals) >= n


@pytest.mark.e2e
async def test_socket_frames_carry_the_label_and_a_changed_label_applies(
    gateway: RunningGateway, pool: Simulator
) -> None:
    await socket_destination(gateway, label="from-destination")
    client = await WsClient.open(gateway)
    try:
        user = pool.user("4915100000001", "Sam")
        active = await activate(gateway, pool, user, label="personal")
        await pool.send(user, "text", body="one")
        (first,) = await client.messages(1)
        assert first["label"] == "personal" and first["text"] == "one"
        assert first["conversationId"] == active["conversationId"]
        assert first["fromNumber"] == "+" + user.wa_id

        status, patched = await gateway.api(
            "PATCH", f"/v1/activations/{active['id']}", {"label": "support"}
        )
        assert status == 200 and patched["label"] == "support", patched
        await pool.send(user, "text", body="two")
        (second,) = await client.messages(1)
        assert second["label"] == "support"

        # No label on the activation: the destination's label is the fallback.
        status, cleared = await gateway.api(
            "PATCH", f"/v1/activations/{active['id']}", {"label": None}
        )
        assert status == 200 and cleared["label"] is None, cleared
        await pool.send(user, "text", body="three")
        (third,) = await client.messages(1)
        assert third["label"] == "from-destination"
    finally:
        await client.close()


@pytest.mark.e2e
async def test_reused_code_is_refused_and_resent_code_says_already_active(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    first = pool.user("4915100000002", "First")
    second = pool.user("4915100000003", "Second")
    created = await new_activation(gateway, pool)
    await pool.send(first, "text", body=created["code"])
    assert await told_eventually(pool, first.wa_id, 1) == [ACTIVATED]

    await pool.send(second, "text", body=created["code"])
    assert await told_eventually(pool, second.wa_id, 1) == [CODE_USED]
    await pool.send(first, "text", body=created["code"])
    assert await told_eventually(pool, first.wa_id, 2) == [ACTIVATED, ALREADY_ACTIVE]

    # The second sender stays unbound: their messages reach nobody.
    await pool.send(second, "text", body="let me in")
    assert await told_eventually(pool, second.wa_id, 2) == [CODE_USED, NOT_ACTIVATED]
    await quiet()
    assert receiver.arrivals == []
    status, listed = await gateway.api("GET", "/v1/activations")
    assert status == 200 and [a["waId"] for a in listed] == [first.wa_id], listed


@pytest.mark.e2e
async def test_expired_code_is_refused(database_url: str) -> None:
    clock = JumpingClock()
    async with running_gateway(database_url, clock=clock, activation_code_ttl_s=60) as gateway:
        async with pool_sim(gateway) as pool:
            created = await new_activation(gateway, pool)
            clock.jump(61)  # past the code's TTL, without waiting for it
            status, shown = await gateway.api("GET", f"/v1/activations/{created['id']}")
            assert status == 200 and shown["state"] == "expired", shown
            user = pool.user("4915100000004", "Late")
            await pool.send(user, "text", body=created["code"])
            assert await told_eventually(pool, user.wa_id, 1) == [CODE_EXPIRED]
            status, shown = await gateway.api("GET", f"/v1/activations/{created['id']}")
            assert shown["state"] == "expired" and shown["waId"] is None, shown
            status, expired = await gateway.api("GET", "/v1/activations?state=expired")
            assert [a["id"] for a in expired] == [created["id"]]
            status, pending = await gateway.api("GET", "/v1/activations?state=pending")
            assert pending == []


async def test_sender_active_for_another_tenant_on_the_number_is_refused(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    other = await other_tenant(gateway)
    user = pool.user("4915100000005", "Taken")
    await activate(gateway, pool, user)
    theirs = await new_activation(other, pool)
    await pool.send(user, "text", body=theirs["code"])
    assert await told_eventually(pool, user.wa_id, 2) == [ACTIVATED, TAKEN]
    status, still = await other.api("GET", f"/v1/activations/{theirs['id']}")
    assert status == 200 and still["state"] == "pending", still
    # A second code of the tenant the sender already belongs to changes nothing either.
    mine = await new_activation(gateway, pool)
    await pool.send(user, "text", body=mine["code"])
    assert await told_eventually(pool, user.wa_id, 3) == [ACTIVATED, TAKEN, ALREADY_ACTIVE]
    status, shown = await gateway.api("GET", f"/v1/activations/{mine['id']}")
    assert shown["state"] == "pending"
    # Messages still go to the first tenant, and only there.
    await pool.send(user, "text", body="still mine")
    await eventually(lambda: _count(receiver, 1))
    assert await arrived_texts(receiver) == ["still mine"]


@pytest.mark.e2e
async def test_one_sender_two_tenants_on_two_pool_numbers(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    other = await other_tenant(gateway)
    theirs = Receiver()
    await theirs.start()
    try:
        await add_destination(gateway, receiver)
        status, body = await other.api(
            "POST", "/v1/destinations", {"url": theirs.url, "label": "x"}
        )
        assert status == 201, body
        theirs.secret = body["secret"]
        async with (
            pool_sim(gateway, "15550001111") as first_number,
            pool_sim(gateway, "15550002222") as second_number,
        ):
            wa_id = "4915100000006"
            on_first = first_number.user(wa_id, "Both")
            on_second = second_number.user(wa_id, "Both")
            mine = await activate(gateway, first_number, on_first, label="mine")
            yours = await activate(other, second_number, on_second, label="yours")
            assert mine["conversationId"] != yours["conversationId"]
            await first_number.send(on_first, "text", body="to the first tenant")
            await second_number.send(on_second, "text", body="to the second tenant")
            await eventually(lambda: _count(receiver, 1))
            await eventually(lambda: _count(theirs, 1))
            await quiet()
            assert await arrived_texts(receiver) == ["to the first tenant"]
            assert await arrived_texts(theirs) == ["to the second tenant"]
            assert receiver.arrivals[0].json()["pipes"]["label"] == "mine"
            assert theirs.arrivals[0].json()["pipes"]["label"] == "yours"
            # Each tenant sees only its own activation.
            status, listed = await gateway.api("GET", "/v1/activations")
            assert [a["id"] for a in listed] == [mine["id"]]
            status, listed = await other.api("GET", "/v1/activations")
            assert [a["id"] for a in listed] == [yours["id"]]
    finally:
        await theirs.stop()


async def test_deactivated_sender_reaches_nobody_and_cannot_be_written_to(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver, database_url: str
) -> None:
    await add_destination(gateway, receiver)
    user = pool.user("4915100000007", "Leaving")
    active = await activate(gateway, pool, user, label="soon gone")
    conversation = active["conversationId"]

    # Before: a reply to the pool conversation goes out through the pool number.
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "welcome!"}
    )
    assert status == 200, sent
    assert sent["conversationId"] == conversation
    assert await told_eventually(pool, user.wa_id, 2) == [ACTIVATED, "welcome!"]

    status, gone = await gateway.api("DELETE", f"/v1/activations/{active['id']}")
    assert status == 200, gone
    assert gone["state"] == "deactivated" and gone["deactivatedAt"] is not None
    status, again = await gateway.api("DELETE", f"/v1/activations/{active['id']}")
    assert status == 200 and again["state"] == "deactivated", again

    await pool.send(user, "text", body="anyone there?")
    assert await told_eventually(pool, user.wa_id, 3) == [ACTIVATED, "welcome!", DEACTIVATED]
    await pool.send(user, "text", body="hello??")  # within the hour: no second reply
    await quiet()
    assert told(pool, user.wa_id) == [ACTIVATED, "welcome!", DEACTIVATED]
    assert receiver.arrivals == []
    assert await unrouted_count(database_url, number_id(pool)) == 2

    status, refused = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "still there?"}
    )
    assert_error(status, refused, 409, mentions=active["id"])
    assert refused["error"]["code"] == "activation_inactive"
    assert "deactivated" in refused["error"]["message"]

    # The socket's reply frame is refused the same way.
    client = await WsClient.open(gateway)
    try:
        await client.send("whatsapp_reply", {"conversationId": conversation, "text": "hey"})
        reply = (await client.next("reply_status"))["data"]
        assert reply["success"] is False and reply["code"] == "ACTIVATION_INACTIVE", reply
    finally:
        await client.close()
    assert len(told(pool, user.wa_id)) == 3

    # Activated again (a new code): the same conversation, writable again.
    again_active = await activate(gateway, pool, user)
    assert again_active["conversationId"] == conversation
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "back!"}
    )
    assert status == 200, sent


async def test_strangers_get_one_not_activated_reply_per_period(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver, database_url: str
) -> None:
    await add_destination(gateway, receiver)
    stranger = pool.user("4915100000008", "Stranger")
    await pool.send(stranger, "text", body="hello?")
    assert await told_eventually(pool, stranger.wa_id, 1) == [NOT_ACTIVATED]
    await pool.send(stranger, "image")
    await pool.send(stranger, "text", body="hello again")
    await quiet()
    assert told(pool, stranger.wa_id) == [NOT_ACTIVATED]
    # A message that is only a code, matching none of this number's, is answered as such.
    await pool.send(stranger, "text", body="ZZZZ-ZZZZ")
    assert await told_eventually(pool, stranger.wa_id, 2) == [NOT_ACTIVATED, CODE_UNKNOWN]
    assert receiver.arrivals == []
    assert await unrouted_count(database_url, number_id(pool)) == 4
    outbox = await gateway.gateway.store.notices.sent_to(number_id(pool), stranger.wa_id)
    assert [(n.kind, n.state) for n in outbox] == [
        ("not_activated", "sent"),
        ("code_unknown", "sent"),
    ]


@pytest.mark.e2e
async def test_meta_redelivering_the_code_message_answers_once(
    gateway: RunningGateway, pool: Simulator
) -> None:
    created = await new_activation(gateway, pool)
    user = pool.user("4915100000009", "Twice")
    sent = await pool.send(user, "text", body=created["code"], duplicate=True)
    assert sent.statuses == (200, 200)
    assert await told_eventually(pool, user.wa_id, 1) == [ACTIVATED]
    await quiet()
    assert told(pool, user.wa_id) == [ACTIVATED]


@pytest.mark.e2e
async def test_code_and_message_in_one_notification(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver
) -> None:
    """The binding is visible to the rest of the same ingest transaction."""
    await add_destination(gateway, receiver)
    created = await new_activation(gateway, pool, label="batched")
    user = pool.user("4915100000010", "Quick")
    result = await pool.send_batch(
        [(user, "text", {"body": created["code"]}), (user, "text", {"body": "right after"})]
    )
    assert result.ok
    assert await told_eventually(pool, user.wa_id, 1) == [ACTIVATED]
    await eventually(lambda: _count(receiver, 1))
    await quiet()
    assert await arrived_texts(receiver) == ["right after"]
    assert receiver.arrivals[0].json()["pipes"]["label"] == "batched"


@pytest.mark.e2e
async def test_media_from_an_activated_sender_reaches_the_tenant(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = pool.user("4915100000011", "Photos")
    await activate(gateway, pool, user, label="pics")
    await pool.send(user, "image")
    await eventually(lambda: _count(receiver, 1))
    payload = receiver.arrivals[0].json()
    media = payload["pipes"]["media"]
    assert payload["pipes"]["label"] == "pics"
    headers = {"Authorization": f"Bearer {gateway.api_key}"}
    async with gateway.http.get(gateway.url + media["downloadUrl"], headers=headers) as got:
        assert got.status == 200, media
        assert len(await got.read()) == media["byteSize"] > 0


async def test_destination_scoped_to_an_activation(
    gateway: RunningGateway, pool: Simulator, receiver: Receiver
) -> None:
    everything = Receiver()
    await everything.start()
    try:
        first = pool.user("4915100000012", "Scoped")
        second = pool.user("4915100000013", "Unscoped")
        scoped_to = await activate(gateway, pool, first, label="one")
        await activate(gateway, pool, second, label="two")
        scoped = await add_destination(gateway, receiver, activationId=scoped_to["id"])
        assert scoped["activationId"] == scoped_to["id"]
        await add_destination(gateway, everything)
        await pool.send(second, "text", body="for everything only")
        await pool.send(first, "text", body="for both")
        await eventually(lambda: _count(everything, 2))
        await eventually(lambda: _count(receiver, 1))
        await quiet()
        assert await arrived_texts(receiver) == ["for both"]
        assert sorted(await arrived_texts(everything)) == ["for both", "for everything only"]

        status, moved = await gateway.api(
            "PATCH", f"/v1/destinations/{scoped['id']}", {"activationId": None}
        )
        assert status == 200 and moved["activationId"] is None, moved
        await pool.send(second, "text", body="now for both")
        await eventually(lambda: _count(receiver, 2))
        assert (await arrived_texts(receiver))[-1] == "now for both"
    finally:
        await everything.stop()


async def test_destination_activation_must_be_the_tenants(
    gateway: RunningGateway, pool: Simulator
) -> None:
    other = await other_tenant(gateway)
    theirs = await new_activation(other, pool)
    body: dict[str, Any] = {"url": "http://127.0.0.1:9/x", "activationId": theirs["id"]}
    status, refused = await gateway.api("POST", "/v1/destinations", body)
    assert_error(status, refused, 400, mentions="activationId")
    status, created = await gateway.api("POST", "/v1/destinations", {"url": body["url"]})
    assert status == 201
    status, refused = await gateway.api(
        "PATCH", f"/v1/destinations/{created['id']}", {"activationId": "act_nope"}
    )
    assert_error(status, refused, 400, mentions="act_nope")


@pytest.mark.e2e
async def test_a_code_bound_concurrently_elsewhere_is_answered_as_used(
    database_url: str,
) -> None:
    """PostgreSQL, several processes: another one binds the code between our read and our
    bind (here: a transaction holding the row). Ours must not claim the sender too."""
    if database_url.startswith("sqlite"):
        pytest.skip("one SQLite writer: no concurrent binding")
    async with running_gateway(database_url) as gateway, pool_sim(gateway) as pool:
        created = await new_activation(gateway, pool)
        elsewhere = await asyncpg.connect(database_url)
        try:
            transaction = elsewhere.transaction()
            await transaction.start()
            await elsewhere.execute(
                "UPDATE activations SET state = 'active', wa_id = '4915100000099', "
                "activated_at = 1, updated_at = 1 WHERE id = $1",
                created["id"],
            )
            user = pool.user("4915100000040", "Second")
            sending = asyncio.create_task(pool.send(user, "text", body=created["code"]))
            await asyncio.sleep(0.5)  # our ingest has read the code as pending, and waits
            assert not sending.done()
            await transaction.commit()
            assert (await sending).ok
        finally:
            await elsewhere.close()
        assert await told_eventually(pool, user.wa_id, 1) == [CODE_USED]
        status, shown = await gateway.api("GET", f"/v1/activations/{created['id']}")
        assert status == 200 and shown["waId"] == "4915100000099", shown

"""The dispatcher end to end: simulator → gateway → sample receiver, on SQLite and PostgreSQL.

Destinations get short retry schedules (tenths of seconds) so nothing sleeps for the real
defaults; the gateway runs without jitter (conftest), so the schedule is exact.
"""

import asyncio
import math
import socket
import time
from datetime import datetime
from typing import Any

import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import RunningGateway, add_destination, eventually
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.sim import Simulator

SHORT = [0, 0.1, 0.2]


# --- helpers ---------------------------------------------------------------------------


async def get_delivery(gateway: RunningGateway, delivery_id: str) -> Any:
    status, body = await gateway.api("GET", f"/v1/deliveries/{delivery_id}")
    assert status == 200, body
    return body


async def wait_status(gateway: RunningGateway, delivery_id: str, wanted: str) -> Any:
    async def check() -> Any:
        body = await get_delivery(gateway, delivery_id)
        return body if body["status"] == wanted else None

    return await eventually(check)


async def only_delivery(gateway: RunningGateway) -> Any:
    async def check() -> Any:
        status, body = await gateway.api("GET", "/v1/deliveries")
        assert status == 200, body
        return body["data"]

    (delivery,) = await eventually(check)
    return delivery


async def get_destination(gateway: RunningGateway, destination_id: str) -> Any:
    status, body = await gateway.api("GET", f"/v1/destinations/{destination_id}")
    assert status == 200, body
    return body


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message_of(arrival: Arrival) -> Any:
    return arrival.json()["entry"][0]["changes"][0]["value"]["messages"][0]


def sender_of(body: bytes) -> str:
    value = orjson.loads(body)["entry"][0]["changes"][0]["value"]
    return str(value["contacts"][0]["wa_id"])


async def send_text(sim: Simulator, wa_id: str = "15551230001", body: str = "hi") -> str:
    sent = await sim.send(sim.user(wa_id, "Jane Doe"), "text", body=body)
    assert sent.ok
    return sent.wamid


# --- success, retries, failure, resend -----------------------------------------------------


async def test_success_is_recorded_with_its_attempt(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver, retrySchedule=SHORT)
    before = time.time()
    wamid = await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    arrival = receiver.accepted()[0]
    assert arrival.verified
    # The webhook-id is the delivery's id: the API finds it.
    delivery = await wait_status(gateway, arrival.webhook_id, "succeeded")
    assert delivery["id"] == arrival.webhook_id
    assert delivery["destinationId"] == destination["id"]
    assert delivery["wamid"] == wamid
    assert delivery["eventType"] == "message:in:new"
    assert delivery["conversationId"] == arrival.json()["pipes"]["conversationId"]
    assert delivery["attempts"] == 1
    assert delivery["lastStatusCode"] == 200
    assert delivery["lastError"] is None
    assert delivery["nextAttemptAt"] is None
    (attempt,) = delivery["attemptLog"]
    assert attempt["attempt"] == 1
    assert attempt["statusCode"] == 200
    assert attempt["error"] is None
    assert attempt["responseExcerpt"] == '{"ok":true}'
    assert 0 < attempt["latencyMs"] < 5000
    started = attempt["startedAt"]
    assert started.endswith("Z")
    assert before - 1 <= _epoch(started) <= time.time()
    # Delivered once: nothing more arrives.
    await asyncio.sleep(0.3)
    assert len(receiver.arrivals) == 1


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.mark.e2e
async def test_retries_keep_the_webhook_id_and_sign_each_attempt_afresh(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    # Two quick failures, then one 1.2 s later so the third attempt's second differs.
    destination = await add_destination(gateway, receiver, retrySchedule=[0, 0.1, 1.2])
    receiver.fail_with = [500, 500]
    await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    arrivals = receiver.arrivals
    assert [a.answered for a in arrivals] == [500, 500, 200]
    ids = {a.webhook_id for a in arrivals}
    assert len(ids) == 1 and ids.pop().startswith("dlv_")
    webhook = Webhook(destination["secret"])
    stamps = []
    for arrival in arrivals:
        assert arrival.verified
        webhook.verify(arrival.body, arrival.headers)
        stamp = int(arrival.headers["webhook-timestamp"])
        # The attempt's own time, in whole seconds: floored, so up to 1 s (plus transit)
        # before the arrival, and never after it.
        assert 0 <= arrival.received_at - stamp < 2
        stamps.append(stamp)
    assert stamps == sorted(stamps)
    assert stamps[2] > stamps[0]
    assert arrivals[2].headers["webhook-signature"] != arrivals[0].headers["webhook-signature"]
    # The same payload each time.
    assert arrivals[0].body == arrivals[1].body == arrivals[2].body
    # The schedule is followed.
    assert arrivals[1].received_at - arrivals[0].received_at >= 0.1
    assert arrivals[2].received_at - arrivals[1].received_at >= 1.2
    delivery = await wait_status(gateway, arrivals[0].webhook_id, "succeeded")
    assert delivery["attempts"] == 3
    log = delivery["attemptLog"]
    assert [a["attempt"] for a in log] == [1, 2, 3]
    assert [a["statusCode"] for a in log] == [500, 500, 200]
    assert [a["error"] for a in log] == ["status_5xx", "status_5xx", None]
    await asyncio.sleep(0.3)
    assert len(receiver.accepted()) == 1


@pytest.mark.e2e
async def test_exhausted_schedule_fails_and_resend_delivers_with_the_same_id(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0, 0.1])
    receiver.always = 500
    await send_text(sim)
    delivery_id = (await only_delivery(gateway))["id"]
    failed = await wait_status(gateway, delivery_id, "failed")
    assert failed["attempts"] == 2
    assert failed["lastStatusCode"] == 500
    assert failed["lastError"] == "status_5xx"
    assert failed["nextAttemptAt"] is None
    assert [a["statusCode"] for a in failed["attemptLog"]] == [500, 500]
    await asyncio.sleep(0.3)
    assert len(receiver.arrivals) == 2  # given up: no third attempt
    status, listed = await gateway.api("GET", "/v1/deliveries?status=failed")
    assert status == 200 and [d["id"] for d in listed["data"]] == [delivery_id]

    # Re-sent with a fresh schedule: one more failure is still retried.
    receiver.always = None
    receiver.fail_with = [500]
    status, body = await gateway.api("POST", f"/v1/deliveries/{delivery_id}/resend")
    assert status == 202, body
    assert body["id"] == delivery_id
    assert body["status"] in ("pending", "leased", "succeeded")
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    done = await wait_status(gateway, delivery_id, "succeeded")
    assert [a["statusCode"] for a in done["attemptLog"]] == [500, 500, 500, 200]
    assert done["attempts"] == 4
    assert {a.webhook_id for a in receiver.arrivals} == {delivery_id}

    # A succeeded delivery can be re-sent too; a pending one cannot; unknown ids are 404.
    status, _ = await gateway.api("POST", f"/v1/deliveries/{delivery_id}/resend")
    assert status == 202
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    assert receiver.accepted()[1].webhook_id == delivery_id
    await wait_status(gateway, delivery_id, "succeeded")
    status, body = await gateway.api("POST", "/v1/deliveries/dlv_doesnotexist/resend")
    assert status == 404, body
    assert body["error"]["code"]


async def test_resend_of_an_active_delivery_is_refused(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0, 60])
    receiver.always = 500
    await send_text(sim)
    delivery_id = (await only_delivery(gateway))["id"]

    async def retried_later() -> Any:
        body = await get_delivery(gateway, delivery_id)
        return body if body["attempts"] == 1 and body["status"] == "pending" else None

    await eventually(retried_later)
    status, body = await gateway.api("POST", f"/v1/deliveries/{delivery_id}/resend")
    assert status == 409, body
    assert body["error"]["code"]


# --- what an attempt records ------------------------------------------------------------


async def test_response_excerpt_is_capped_at_4_kb(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=SHORT)
    receiver.response_body = b"x" * 100_000
    await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    delivery = await wait_status(gateway, receiver.arrivals[0].webhook_id, "succeeded")
    assert delivery["attemptLog"][0]["responseExcerpt"] == "x" * 4096


@pytest.mark.e2e
async def test_binary_response_body_is_recorded_as_text(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    # NUL bytes and invalid UTF-8 in an answer must not keep the attempt from being recorded
    # (PostgreSQL's text type refuses NUL).
    await add_destination(gateway, receiver, retrySchedule=SHORT)
    receiver.response_body = b"ok\x00\xff\xfe" + "€".encode() * 2000
    await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    delivery = await wait_status(gateway, receiver.arrivals[0].webhook_id, "succeeded")
    excerpt = delivery["attemptLog"][0]["responseExcerpt"]
    assert excerpt.startswith("ok")
    assert "€" in excerpt
    assert len(excerpt.encode()) <= 4096
    assert len(receiver.arrivals) == 1


@pytest.mark.e2e
async def test_timeout_is_recorded(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0], timeoutSeconds=1)
    receiver.delay_s = 1.5
    await send_text(sim)
    delivery_id = (await only_delivery(gateway))["id"]
    failed = await wait_status(gateway, delivery_id, "failed")
    (attempt,) = failed["attemptLog"]
    assert attempt["error"] == "timeout"
    assert attempt["statusCode"] is None
    assert attempt["errorDetail"]
    # A real timeout on a real socket (no clock to move): it cannot fire before its second,
    # and however busy the machine, the latency is the timeout's in milliseconds (not the
    # receiver's 1.5 s answer, which never came, nor seconds or microseconds).
    assert 950 <= attempt["latencyMs"] < 10_000
    assert failed["lastError"] == "timeout"


@pytest.mark.e2e
async def test_connection_refused_is_recorded(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    await add_destination(gateway, receiver, url=url, retrySchedule=[0, 0.1])
    await send_text(sim)
    delivery_id = (await only_delivery(gateway))["id"]
    failed = await wait_status(gateway, delivery_id, "failed")
    assert [a["error"] for a in failed["attemptLog"]] == ["connect", "connect"]
    assert [a["statusCode"] for a in failed["attemptLog"]] == [None, None]
    assert failed["attemptLog"][0]["errorDetail"]
    assert failed["lastError"] == "connect"


@pytest.mark.e2e
async def test_a_redirect_is_a_failure_and_not_followed(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0, 0.1])
    # 307 keeps the method: a client following it would POST again right away.
    receiver.fail_with = [307]
    receiver.response_headers = {"Location": receiver.url + "/moved"}
    await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    delivery = await wait_status(gateway, receiver.arrivals[0].webhook_id, "succeeded")
    assert [(a["statusCode"], a["error"]) for a in delivery["attemptLog"]] == [
        (307, "status_3xx"),
        (200, None),
    ]
    assert [a.answered for a in receiver.arrivals] == [307, 200]
    # The retry came from the schedule, not from following the Location.
    assert receiver.arrivals[1].received_at - receiver.arrivals[0].received_at >= 0.1


# --- Retry-After, 410 --------------------------------------------------------------------


@pytest.mark.e2e
async def test_429_retry_after_delays_the_next_attempt(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0, 0.1, 0.1])
    receiver.fail_with = [429]
    receiver.response_headers = {"Retry-After": "1"}
    await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    first, second = receiver.arrivals
    assert second.received_at - first.received_at >= 1.0
    delivery = await wait_status(gateway, first.webhook_id, "succeeded")
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [429, 200]


@pytest.mark.e2e
async def test_retry_after_on_500_is_ignored(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0, 0.1, 0.1])
    receiver.fail_with = [500]
    receiver.response_headers = {"Retry-After": "3"}
    await send_text(sim)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    first, second = receiver.arrivals
    assert 0.1 <= second.received_at - first.received_at < 2.0


@pytest.mark.e2e
async def test_410_disables_the_destination_and_re_enabling_delivers(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver, retrySchedule=[0, 0.1])
    receiver.fail_with = [410]
    first = await send_text(sim, body="one")

    async def disabled() -> Any:
        body = await get_destination(gateway, destination["id"])
        return body if not body["enabled"] else None

    shown = await eventually(disabled)
    assert shown["disabledReason"]
    delivery_id = receiver.arrivals[0].webhook_id
    pending = await get_delivery(gateway, delivery_id)
    assert pending["status"] == "pending"
    assert pending["lastStatusCode"] == 410
    # Messages keep coming while it is disabled: they wait too.
    second = await send_text(sim, body="two")
    await asyncio.sleep(0.4)
    assert len(receiver.arrivals) == 1
    assert (await get_delivery(gateway, delivery_id))["status"] == "pending"

    status, body = await gateway.api(
        "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": True}
    )
    assert status == 200, body
    assert body["enabled"] is True and body["disabledReason"] is None
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    assert [message_of(a)["id"] for a in receiver.accepted()] == [first, second]
    assert receiver.accepted()[0].webhook_id == delivery_id
    done = await wait_status(gateway, delivery_id, "succeeded")
    assert [a["statusCode"] for a in done["attemptLog"]] == [410, 200]
    assert (await get_destination(gateway, destination["id"]))["enabled"] is True


# --- per-conversation order --------------------------------------------------------------


@pytest.mark.e2e
async def test_one_conversation_in_order_others_not_held_up(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, retrySchedule=[0] + [0.1] * 30)
    alice, bob = "15551110001", "15552220002"
    failing_until = [math.inf]  # Alice's messages fail until a moment after all are sent

    def status_for(headers: dict[str, str], body: bytes) -> int | None:
        if sender_of(body) == alice and time.time() < failing_until[0]:
            return 500
        return None

    receiver.status_for = status_for
    order: dict[str, list[str]] = {alice: [], bob: []}
    for i in range(5):
        order[alice].append(await send_text(sim, alice, f"alice {i}"))
        if i < 3:
            order[bob].append(await send_text(sim, bob, f"bob {i}"))
    failing_until[0] = time.time() + 0.6

    await receiver.wait_for(lambda r: len(r.accepted()) == 8)
    by_user: dict[str, list[Arrival]] = {alice: [], bob: []}
    for arrival in receiver.arrivals:
        by_user[sender_of(arrival.body)].append(arrival)

    # Each delivered exactly once, in the order sent.
    for user, wamids in order.items():
        accepted = [message_of(a)["id"] for a in by_user[user] if a.answered == 200]
        assert accepted == wamids
    # Alice: only her first message was tried while it kept failing; the later ones waited.
    failures = [a for a in by_user[alice] if a.answered != 200]
    assert len(failures) >= 3
    assert {message_of(a)["id"] for a in failures} == {order[alice][0]}
    tried = [order[alice].index(message_of(a)["id"]) for a in by_user[alice]]
    assert tried == sorted(tried)
    # Bob was not held up: all of his arrived while Alice's first was still failing.
    first_alice_success = next(a for a in by_user[alice] if a.answered == 200)
    assert all(a.answered == 200 for a in by_user[bob])
    assert by_user[bob][-1].received_at < first_alice_success.received_at
    assert by_user[bob][-1].received_at < failing_until[0]


# --- test delivery ------------------------------------------------------------------------


async def test_test_delivery_reports_how_the_receiver_answered(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver, label="billing")
    status, body = await gateway.api("POST", f"/v1/destinations/{destination['id']}/test")
    assert status == 200, body
    assert body["success"] is True
    assert body["statusCode"] == 200
    assert body["latencyMs"] > 0
    assert body["responseExcerpt"] == '{"ok":true}'
    assert body["error"] is None
    (arrival,) = receiver.arrivals
    assert arrival.verified
    Webhook(destination["secret"]).verify(arrival.body, arrival.headers)
    assert arrival.webhook_id == body["webhookId"]
    payload = arrival.json()
    assert payload["pipes"]["test"] is True
    assert payload["pipes"]["label"] == "billing"
    assert payload["pipes"]["poolNumberId"] == sim.number_id  # type: ignore[attr-defined]
    assert payload["entry"][0]["changes"][0]["value"]["messages"][0]["type"] == "text"
    # A test send is not a delivery.
    status, listed = await gateway.api("GET", "/v1/deliveries")
    assert status == 200 and listed["data"] == []

    receiver.fail_with = [503]
    receiver.response_body = b"down for maintenance"
    status, body = await gateway.api("POST", f"/v1/destinations/{destination['id']}/test")
    assert status == 200, body
    assert body["success"] is False
    assert body["statusCode"] == 503
    assert body["responseExcerpt"] == "down for maintenance"
    assert body["error"]


async def test_test_delivery_to_a_closed_port(gateway: RunningGateway, receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    destination = await add_destination(gateway, receiver, url=url)
    status, body = await gateway.api("POST", f"/v1/destinations/{destination['id']}/test")
    assert status == 200, body
    assert body["success"] is False
    assert body["statusCode"] is None
    assert body["error"]
    status, body = await gateway.api("POST", "/v1/destinations/dst_nope/test")
    assert status == 404, body

"""A destination that keeps failing is disabled: N consecutive failures spanning T (the
gateway's clock is moved an hour forward rather than slept through), or a 410. The tenant's
other destinations and sockets are told (destination:disabled), the disabled destination's
pending messages go to the socket queue, and re-enabling it resumes what is still pending."""

import asyncio
import hashlib
import hmac
from typing import Any

import pytest

from tests.conftest import RunningGateway, eventually, gateway_with_sim, when
from tests.destinations.helpers import (
    JumpingClock,
    deliveries,
    delivery,
    destination,
    wait_destination,
)
from tests.socket.conftest import WsClient
from wahooks.config import Settings
from wahooks.delivery.health import HealthPolicy, outcome
from wahooks.demo.receiver import Receiver
from wahooks.models import AttemptResult, DeliveryId
from wahooks.sim import Simulator

FAST = [0] + [0.05] * 40  # attempts follow each other quickly, and do not run out
HOUR = 3600.0
# A gateway that disables after 5 failures over an hour, and never offers a message to the
# socket by itself: whatever reaches a socket here got there because of the disabling.
HEALTH = {
    "destination_disable_after_failures": 5,
    "destination_disable_after_s": HOUR,
    "socket_fallback_after_attempts": 0,
}


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def webhook(gateway: RunningGateway, receiver: Receiver, **fields: Any) -> Any:
    status, body = await gateway.api(
        "POST", "/v1/destinations", {"url": receiver.url, "retrySchedule": FAST, **fields}
    )
    assert status == 201, body
    return body


async def failures_at_least(gateway: RunningGateway, destination_id: str, n: int) -> Any:
    return await eventually(
        lambda: when(destination(gateway, destination_id), lambda d: d["consecutiveFailures"] >= n)
    )


# --- the policy ------------------------------------------------------------------------------


def test_defaults_are_sixty_failures_over_an_hour() -> None:
    settings = Settings()
    assert settings.destination_disable_after_failures == 60
    assert settings.destination_disable_after_s == 3600
    assert HealthPolicy() == HealthPolicy(60, 3600)


@pytest.mark.parametrize(
    ("failures", "span", "trips"),
    [(59, 7200, False), (60, 3599, False), (60, 3600, True), (500, 10, False), (61, 4000, True)],
)
def test_both_the_count_and_the_span_must_be_reached(
    failures: int, span: float, trips: bool
) -> None:
    assert HealthPolicy().trips(failures, 1000.0, 1000.0 + span) is trips


def test_zero_failures_means_never() -> None:
    assert not HealthPolicy(0, 0).trips(10**6, 0.0, 10.0**9)


def test_what_counts() -> None:
    def result(status: int | None, error: str | None) -> AttemptResult:
        return AttemptResult(
            delivery_id=DeliveryId("dlv_1"),
            started_at=0,
            status_code=status,
            latency_ms=1,
            response_excerpt="",
            error=error,
        )

    assert outcome(result(200, None)) is True
    assert outcome(result(500, "status_5xx")) is False
    assert outcome(result(None, "timeout")) is False
    assert outcome(result(None, None)) is None  # skipped by the format
    assert outcome(result(None, "internal")) is None  # our bug, not the receiver's


# --- failing too long --------------------------------------------------------------------------


@pytest.mark.e2e
async def test_failing_long_enough_disables_tells_the_others_and_re_enabling_resumes(
    database_url: str,
) -> None:
    clock = JumpingClock()
    failing, told, meta, unsubscribed = Receiver(), Receiver(), Receiver(), Receiver()
    for r in (failing, told, meta, unsubscribed):
        await r.start()
    try:
        async with gateway_with_sim(database_url, clock=clock, **HEALTH) as (gateway, sim):
            failing.always = 500
            bad = await webhook(gateway, failing)
            other = await webhook(gateway, told, events=["message:in:new", "destination:disabled"])
            meta_dst = await webhook(gateway, meta, format="meta", events=["destination:disabled"])
            await webhook(gateway, unsubscribed)
            user = sim.user("15556660001", "Hold")
            assert (await sim.send(user, "text", body="one")).ok
            await told.wait_for(lambda r: len(r.accepted()) == 1)  # the others are fine

            # Many failures within a minute: counted, not enough.
            shown = await failures_at_least(gateway, bad["id"], 8)
            assert shown["enabled"] is True
            assert shown["failingSince"] is not None
            # An hour later, the next failure disables it.
            clock.jump(HOUR)
            shown = await wait_destination(gateway, bad["id"], enabled=False)
            assert "consecutive failed attempts" in shown["disabledReason"]
            assert shown["disabledAt"] is not None
            assert shown["consecutiveFailures"] >= 9
            posts = failing.count
            await asyncio.sleep(0.3)
            assert failing.count == posts  # no more POSTs

            # The subscribed destination is told, in the pipes format, signed. (Checked
            # here: the receiver would refuse a webhook-timestamp an hour ahead.)
            await told.wait_for(lambda r: len(r.accepted()) == 2)
            notice = told.accepted()[1]
            assert notice.headers["x-pipes-signature"] == hex_hmac(other["secret"], notice.body)
            payload = notice.json()
            assert payload["object"] == "wahooks"
            assert payload["event"] == "destination:disabled"
            assert payload["pipes"]["event"] == "destination:disabled"
            data = payload["data"]
            assert data["destinationId"] == bad["id"]
            assert data["url"] == failing.url
            assert data["failures"] >= 9
            assert "consecutive failed attempts" in data["reason"]
            # The meta format has no shape for it: skipped, nothing POSTed.
            (skipped,) = await eventually(
                lambda: when(
                    deliveries(gateway, destinationId=meta_dst["id"], status="succeeded"),
                    lambda ds: ds,
                )
            )
            detail = await delivery(gateway, skipped["id"])
            assert detail["eventType"] == "destination:disabled"
            assert "skipped" in detail["attemptLog"][0]["responseExcerpt"]
            assert meta.arrivals == []
            # A destination not subscribed to it hears nothing of it.
            await asyncio.sleep(0.2)
            assert all(b"destination:disabled" not in a.body for a in unsubscribed.arrivals)

            # Messages keep arriving while it is disabled: they wait.
            assert (await sim.send(user, "text", body="two")).ok
            await told.wait_for(lambda r: len(r.accepted()) == 3)
            pending = await deliveries(gateway, destinationId=bad["id"], status="pending")
            assert len(pending) == 3  # "one", "two" and its own notice (for the sockets)

            # Re-enabled (and the receiver fixed): what is pending is delivered, in order; the
            # notice meant for the sockets is dropped, not POSTed to a webhook that did not
            # subscribe to it.
            failing.always = None
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{bad['id']}", {"enabled": True}
            )
            assert status == 200, body
            assert body["enabled"] is True and body["disabledReason"] is None
            assert body["consecutiveFailures"] == 0 and body["disabledAt"] is None
            assert body["failingSince"] is None
            await failing.wait_for(lambda r: len(r.accepted()) == 2)
            texts = [
                a.json()["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
                for a in failing.accepted()
            ]
            assert texts == ["one", "two"]
            dropped = await deliveries(gateway, destinationId=bad["id"], status="dropped")
            assert [d["eventType"] for d in dropped] == ["destination:disabled"]
            assert dropped[0]["lastError"] == "destination_re_enabled"
            await asyncio.sleep(0.2)
            assert len(failing.arrivals) == posts + 2
            assert (await destination(gateway, bad["id"]))["consecutiveFailures"] == 0
    finally:
        for r in (failing, told, meta, unsubscribed):
            await r.stop()


async def test_a_success_ends_the_run_of_failures(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    created = await webhook(gateway, receiver)
    receiver.fail_with = [500, 502, 500]
    assert (await sim.send(sim.user("15556660002", "Run"), "text", body="x")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    shown = await eventually(
        lambda: when(
            destination(gateway, created["id"]),
            lambda d: d["consecutiveFailures"] == 0 and d["failingSince"] is None,
        )
    )
    assert shown["enabled"] is True
    # Failures are counted across deliveries, not per delivery.
    receiver.always = 500
    for i in range(2):
        assert (await sim.send(sim.user(f"1555666001{i}", "Run"), "text", body="y")).ok
    shown = await failures_at_least(gateway, created["id"], 4)
    assert shown["failingSince"] is not None and shown["enabled"] is True


@pytest.mark.e2e
async def test_without_the_span_many_failures_do_not_disable(database_url: str) -> None:
    async with gateway_with_sim(database_url, **HEALTH) as (gateway, sim):
        receiver = Receiver(always=500)
        await receiver.start()
        try:
            created = await webhook(gateway, receiver)
            assert (await sim.send(sim.user("15556660003", "Span"), "text", body="x")).ok
            shown = await failures_at_least(gateway, created["id"], 20)
            assert shown["enabled"] is True and shown["disabledAt"] is None
        finally:
            await receiver.stop()


# --- 410, and the socket ---------------------------------------------------------------------


@pytest.mark.e2e
async def test_a_410_disables_and_the_socket_gets_the_notice_and_the_pending_messages(
    database_url: str,
) -> None:
    async with gateway_with_sim(database_url, **HEALTH) as (gateway, sim):
        receiver = Receiver()
        await receiver.start()
        try:
            created = await webhook(gateway, receiver)
            receiver.secret = created["secret"]
            receiver.fail_with = [410]
            user = sim.user("15556660004", "Gone")
            first = await sim.send(user, "text", body="first")
            shown = await wait_destination(gateway, created["id"], enabled=False)
            assert shown["disabledReason"] == "receiver answered 410 Gone"
            assert shown["disabledAt"] is not None
            second = await sim.send(user, "text", body="second")

            client = await WsClient.open(gateway, ack="1")
            try:
                frames = [await client.next() for _ in range(3)]
                kinds = [f["type"] for f in frames]
                assert sorted(kinds) == [
                    "destination_disabled", "whatsapp_message", "whatsapp_message",
                ]  # fmt: skip
                notice = next(f["data"] for f in frames if f["type"] == "destination_disabled")
                assert notice["destinationId"] == created["id"]
                assert notice["url"] == receiver.url
                assert notice["reason"] == "receiver answered 410 Gone"
                assert notice["failures"] == 1
                messages = [f["data"] for f in frames if f["type"] == "whatsapp_message"]
                assert [m["messageId"] for m in messages] == [first.wamid, second.wamid]
                await client.ack(*(f["data"]["deliveryId"] for f in frames))
                # Delivered by the socket: finished, the webhook will not get them.
                for f in frames:
                    await eventually(
                        lambda f=f: when(
                            delivery(gateway, f["data"]["deliveryId"]),
                            lambda d: d["status"] == "succeeded",
                        )
                    )
                # A message arriving while it is disabled goes to the socket live.
                third = await sim.send(user, "text", body="third")
                (live,) = await client.messages(1)
                assert live["messageId"] == third.wamid
                await client.ack(live["deliveryId"])
            finally:
                await client.close()
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{created['id']}", {"enabled": True}
            )
            assert status == 200, body
            await asyncio.sleep(0.4)
            assert len(receiver.arrivals) == 1  # nothing was left for the webhook
        finally:
            await receiver.stop()


@pytest.mark.e2e
async def test_a_socket_destination_subscribed_gets_the_notice_instead(database_url: str) -> None:
    async with gateway_with_sim(database_url, **HEALTH) as (gateway, sim):
        receiver = Receiver(fail_with=[410])
        await receiver.start()
        try:
            status, socket = await gateway.api(
                "POST", "/v1/destinations", {"method": "socket", "events": ["destination:disabled"]}
            )
            assert status == 201, socket
            created = await webhook(gateway, receiver)
            assert (await sim.send(sim.user("15556660005", "Sock"), "text", body="x")).ok
            await wait_destination(gateway, created["id"], enabled=False)
            notices = await eventually(
                lambda: when(
                    deliveries(gateway, destinationId=socket["id"]), lambda ds: len(ds) == 1
                )
            )
            assert notices[0]["eventType"] == "destination:disabled"
            # One notice for the sockets, not two.
            own = await deliveries(gateway, destinationId=created["id"])
            assert [d["eventType"] for d in own] == ["message:in:new"]
            client = await WsClient.open(gateway)
            try:
                kinds = sorted([(await client.next())["type"] for _ in range(2)])
                assert kinds == ["destination_disabled", "whatsapp_message"]
                await client.nothing_for(0.3)
            finally:
                await client.close()
        finally:
            await receiver.stop()


@pytest.mark.e2e
async def test_a_destination_disabled_through_the_api_keeps_its_messages_off_the_socket(
    database_url: str,
) -> None:
    """Only the gateway's own disabling sends a destination's messages to the socket; one the
    tenant paused keeps them for itself."""
    async with gateway_with_sim(database_url, **HEALTH) as (gateway, sim):
        receiver = Receiver()
        await receiver.start()
        try:
            created = await webhook(gateway, receiver)
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{created['id']}", {"enabled": False}
            )
            assert status == 200 and body["disabledAt"] is None, body
            assert (await sim.send(sim.user("15556660006", "Pause"), "text", body="x")).ok
            client = await WsClient.open(gateway)
            try:
                await client.nothing_for(0.5)
            finally:
                await client.close()
            (waiting,) = await deliveries(gateway, destinationId=created["id"])
            assert waiting["status"] == "pending"
        finally:
            await receiver.stop()

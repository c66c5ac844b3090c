"""Destination options through the API (shown, changed, refused when out of range) and at
work: maxRate spaces requests, maxInFlight caps concurrency, ordered off lets a
conversation's next message pass a stuck one. Real receivers, on SQLite and PostgreSQL."""

import itertools
import statistics
from typing import Any

import pytest

from tests.api.helpers import RECEIVER_URL, assert_error
from tests.conftest import (
    RunningGateway,
    add_destination,
    eventually,
    gateway_with_sim,
    when,
)
from tests.destinations.helpers import (
    ConcurrencyReceiver,
    deliveries,
    destination,
    send_many,
)
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

# --- the API ---------------------------------------------------------------------------------


async def test_options_default_are_shown_and_can_be_changed(gateway: RunningGateway) -> None:
    status, created = await gateway.api("POST", "/v1/destinations", {"url": RECEIVER_URL})
    assert status == 201, created
    assert created["maxRate"] is None
    assert created["maxInFlight"] is None
    assert created["ordered"] is True
    assert created["consecutiveFailures"] == 0
    assert created["failingSince"] is None and created["disabledAt"] is None
    assert created["previousSecretExpiresAt"] is None
    path = f"/v1/destinations/{created['id']}"

    status, body = await gateway.api(
        "PATCH", path, {"maxRate": 2.5, "maxInFlight": 3, "ordered": False}
    )
    assert status == 200, body
    assert (body["maxRate"], body["maxInFlight"], body["ordered"]) == (2.5, 3, False)
    shown = await destination(gateway, created["id"])
    assert (shown["maxRate"], shown["maxInFlight"], shown["ordered"]) == (2.5, 3, False)
    # Other fields are kept by a PATCH of options, and options by a PATCH of others.
    status, body = await gateway.api("PATCH", path, {"label": "after"})
    assert status == 200 and (body["maxRate"], body["maxInFlight"]) == (2.5, 3), body
    # null: back to unlimited / the default.
    status, body = await gateway.api("PATCH", path, {"maxRate": None, "maxInFlight": None})
    assert status == 200, body
    assert (body["maxRate"], body["maxInFlight"], body["ordered"]) == (None, None, False)
    listed = (await gateway.api("GET", "/v1/destinations"))[1]
    assert listed[0]["maxRate"] is None and listed[0]["ordered"] is False

    status, body = await gateway.api(
        "POST",
        "/v1/destinations",
        {"url": RECEIVER_URL, "maxRate": 1000, "maxInFlight": 1000, "ordered": False},
    )
    assert status == 201, body
    assert (body["maxRate"], body["maxInFlight"], body["ordered"]) == (1000, 1000, False)


def _option_cases() -> list[tuple[str, Any, str]]:
    return [
        ("maxRate zero", {"maxRate": 0}, "maxRate"),
        ("maxRate negative", {"maxRate": -1}, "maxRate"),
        ("maxRate over 1000", {"maxRate": 1000.5}, "maxRate"),
        ("maxRate a word", {"maxRate": "fast"}, "maxRate"),
        ("maxInFlight zero", {"maxInFlight": 0}, "maxInFlight"),
        ("maxInFlight over 1000", {"maxInFlight": 1001}, "maxInFlight"),
        ("maxInFlight a fraction", {"maxInFlight": 1.5}, "maxInFlight"),
        ("ordered a word", {"ordered": "sometimes"}, "ordered"),
        ("timeout 0.5", {"timeoutSeconds": 0.5}, "timeoutSeconds"),
        ("timeout 31", {"timeoutSeconds": 31}, "timeoutSeconds"),
        ("schedule empty", {"retrySchedule": []}, "retrySchedule"),
        ("schedule negative", {"retrySchedule": [0, -5]}, "retrySchedule"),
        ("schedule over 7 days", {"retrySchedule": [0, 7 * 86400 + 1]}, "retrySchedule"),
        ("schedule of 51", {"retrySchedule": [1] * 51}, "retrySchedule"),
        ("format unknown", {"format": "xml"}, "format"),
        ("events unknown", {"events": ["message:in:old"]}, "message:in:old"),
    ]


async def test_out_of_range_options_are_refused(gateway: RunningGateway) -> None:
    problems = []
    for what, fields, mentions in _option_cases():
        status, body = await gateway.api(
            "POST", "/v1/destinations", {"url": RECEIVER_URL, **fields}
        )
        try:
            assert_error(status, body, 400, mentions)
        except AssertionError:
            problems.append(f"POST {what}: {status} {body}")
    for raw in (b'{"url": "http://127.0.0.1:9/h", "maxRate": NaN}',
                b'{"url": "http://127.0.0.1:9/h", "maxRate": Infinity}'):  # fmt: skip
        status, body = await gateway.api(
            "POST", "/v1/destinations", data=raw, headers={"Content-Type": "application/json"}
        )
        if status != 400:
            problems.append(f"POST {raw!r}: {status} {body}")
    assert problems == []
    assert (await gateway.api("GET", "/v1/destinations"))[1] == []

    status, created = await gateway.api("POST", "/v1/destinations", {"url": RECEIVER_URL})
    assert status == 201
    path = f"/v1/destinations/{created['id']}"
    for what, fields, mentions in [
        *_option_cases(),
        ("ordered null", {"ordered": None}, "ordered"),
    ]:
        status, body = await gateway.api("PATCH", path, fields)
        try:
            assert_error(status, body, 400, mentions)
        except AssertionError:
            problems.append(f"PATCH {what}: {status} {body}")
    assert problems == []
    after = await destination(gateway, created["id"])
    assert {k: v for k, v in after.items() if k != "secret"} == {
        k: v for k, v in created.items() if k != "secret"
    }


# --- at work ---------------------------------------------------------------------------------


@pytest.mark.e2e
async def test_max_rate_spaces_the_requests(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, maxRate=10)
    await send_many(sim, 20)
    await receiver.wait_for(lambda r: len(r.accepted()) == 20, timeout=15)
    times = [a.received_at for a in receiver.arrivals]
    # 20 requests, one every 0.1 s at most: the last at least 1.9 s after the first.
    assert times[-1] - times[0] >= 1.8, times[-1] - times[0]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Spaced one by one, not sent in bunches: the typical gap is the rate's. (Not every gap:
    # on a starved machine a request that started late arrives close to the next one.)
    assert statistics.median(gaps) >= 0.08, gaps
    assert all(a.verified for a in receiver.arrivals)


@pytest.mark.e2e
async def test_without_a_rate_the_same_burst_is_not_spaced(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """The control for the test above: nothing else spaces these requests."""
    await add_destination(gateway, receiver)
    await send_many(sim, 20)
    await receiver.wait_for(lambda r: len(r.accepted()) == 20, timeout=15)
    times = [a.received_at for a in receiver.arrivals]
    assert times[-1] - times[0] < 1.5, times[-1] - times[0]


@pytest.mark.e2e
async def test_max_in_flight_caps_concurrent_requests(
    gateway: RunningGateway, sim: Simulator
) -> None:
    slow = ConcurrencyReceiver(delay_s=0.3)
    await slow.start()
    try:
        status, body = await gateway.api(
            "POST", "/v1/destinations", {"url": slow.url, "maxInFlight": 2}
        )
        assert status == 201, body
        await send_many(sim, 10)

        async def all_arrived() -> bool:
            return len(slow.bodies) == 10

        await eventually(all_arrived, timeout=15)
        assert slow.peak == 2  # reached, never exceeded

        async def all_recorded() -> bool:  # the last answers may still be on their way
            return len(await deliveries(gateway, status="succeeded")) == 10

        await eventually(all_recorded)
        done = await deliveries(gateway, status="succeeded")
        assert len(done) == 10
        # Deliveries handed back for lack of room made no attempt: one each.
        assert all(d["attempts"] == 1 for d in done), done
    finally:
        await slow.stop()


@pytest.mark.e2e
async def test_the_default_in_flight_cap_applies_without_max_in_flight(
    database_url: str,
) -> None:
    async with gateway_with_sim(database_url, default_max_in_flight=3) as (gateway, sim):
        slow = ConcurrencyReceiver(delay_s=0.3)
        await slow.start()
        try:
            status, body = await gateway.api("POST", "/v1/destinations", {"url": slow.url})
            assert status == 201, body
            await send_many(sim, 8)

            async def all_arrived() -> bool:
                return len(slow.bodies) == 8

            await eventually(all_arrived, timeout=15)
            assert slow.peak == 3
        finally:
            await slow.stop()


async def _stuck_then_next(gateway: RunningGateway, sim: Simulator, receiver: Receiver) -> None:
    """A conversation's first message fails (500) until told otherwise; then its second."""
    stuck = [True]

    def status_for(headers: dict[str, str], body: bytes) -> int | None:
        return 500 if b"first" in body and stuck[0] else None

    receiver.status_for = status_for
    user = sim.user("15554440001", "Stuck")
    assert (await sim.send(user, "text", body="first")).ok
    assert (await sim.send(user, "text", body="second")).ok


async def test_unordered_a_stuck_message_does_not_hold_up_the_next(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, ordered=False, retrySchedule=[0] + [0.2] * 45)
    await _stuck_then_next(gateway, sim, receiver)
    # Well before the first runs out of attempts (9 s), the second is through.
    await receiver.wait_for(lambda r: any(b"second" in a.body for a in r.accepted()), timeout=3)
    assert not any(b"first" in a.body for a in receiver.accepted())
    assert any(b"first" in a.body and a.answered == 500 for a in receiver.arrivals)
    _second, first = await eventually(
        lambda: when(deliveries(gateway), lambda ds: ds[0]["status"] == "succeeded")
    )  # newest first
    assert first["status"] in ("pending", "leased")  # still retrying


@pytest.mark.e2e
async def test_ordered_a_stuck_message_holds_up_the_next(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """The control: with ordering on (the default), the second waits for the first."""
    await add_destination(gateway, receiver, retrySchedule=[0] + [0.2] * 20)
    await _stuck_then_next(gateway, sim, receiver)
    await receiver.wait_for(lambda r: sum(a.answered == 500 for a in r.arrivals) >= 3)
    assert not any(b"second" in a.body for a in receiver.arrivals)
    # Once the first goes through, the second follows.
    receiver.status_for = None
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    assert [b"first" in a.body for a in receiver.accepted()] == [True, False]

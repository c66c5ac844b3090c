"""Back off the destination, not the message (delivery/circuit.py, delivery/decisions.py):
whose fault a failure is, the circuit's moves, retries in place, and, against a real
receiver, a dead destination that gets one probe at a time and drains at once when it
comes back, in order, with no attempts spent by what waited."""

import asyncio
from typing import Any

import pytest

from tests.conftest import eventually, gateway_with_sim
from tests.destinations.helpers import JumpingClock, deliveries, delivery, destination, dst
from wahooks.config import Settings
from wahooks.delivery.circuit import CLOSED, CircuitPolicy, answered, transient
from wahooks.delivery.decisions import decide
from wahooks.demo.receiver import Receiver
from wahooks.models import (
    AttemptResult,
    CircuitMove,
    CircuitState,
    ClaimedDelivery,
    DeliveryId,
    FailureRun,
    MessageEvent,
)

# Circuits and retries in place as by default (the shared fixtures turn them off).
ON = {"circuit_open_after_failures": 10, "retry_in_place_delays_s": (0, 0.2, 0.5, 1)}


def result(status: int | None, error: str | None = "status_5xx", **kw: Any) -> AttemptResult:
    ok = status is not None and 200 <= status < 300
    return AttemptResult(
        delivery_id=DeliveryId("dlv_1"),
        started_at=100.0,
        status_code=status,
        latency_ms=1.0,
        response_excerpt="",
        error=None if ok else error,
        **kw,
    )


def run(**kw: Any) -> FailureRun:
    return FailureRun(destination_id="d", reset=False, failures=0, since=None, **kw)


def state(failures: int = 0, open_until: float | None = None, probes: int = 0) -> CircuitState:
    return CircuitState(failures=failures, open_until=open_until, probes=probes)


# --- whose fault ------------------------------------------------------------------------


def test_no_answer_5xx_408_and_429_are_the_destinations() -> None:
    for status in (500, 502, 503, 408, 429):
        assert transient(result(status)) and not answered(result(status))
    assert transient(result(None, "timeout")) and transient(result(None, "connect"))


def test_other_answers_are_the_messages_and_prove_the_receiver_up() -> None:
    for status in (400, 401, 404, 422, 307, 200):
        assert not transient(result(status, "status_4xx")) and answered(result(status))
    # Failed before sending: says nothing either way.
    for error in ("internal", "unrenderable"):
        assert not transient(result(None, error)) and not answered(result(None, error))


# --- the circuit's moves -----------------------------------------------------------------


def test_it_opens_after_enough_failures_in_a_row_and_not_before() -> None:
    policy = CircuitPolicy(open_after=10, probe_delays_s=(1, 2, 5))
    assert policy.move(run(transient=3), state(failures=9), now=50) is None
    assert policy.move(run(transient=3), state(failures=10), now=50) == CircuitMove(
        open_until=51, probes=0
    )
    assert CircuitPolicy(open_after=0).move(run(transient=9), state(failures=10**6), 50) is None


def test_failed_probes_wait_longer_up_to_the_last_step() -> None:
    policy = CircuitPolicy(open_after=10, probe_delays_s=(1, 2, 5), probe_tries=1)
    failed = run(transient=1, probe_failed=True)
    assert policy.move(failed, state(10, open_until=40, probes=0), now=50) == CircuitMove(
        open_until=52, probes=1
    )
    assert policy.move(failed, state(10, open_until=40, probes=1), now=50).open_until == 55  # type: ignore[union-attr]
    assert policy.move(failed, state(10, open_until=40, probes=7), now=50).open_until == 55  # type: ignore[union-attr]


def test_a_probe_is_tried_again_soon_before_the_wait_grows() -> None:
    """A receiver that is back but fails 30% of requests must not be taken for dead for a
    minute because one probe request hit a random 500."""
    policy = CircuitPolicy(open_after=10, probe_delays_s=(1, 2, 5), probe_tries=3)
    failed = run(transient=1, probe_failed=True)
    waits = []
    for probes in range(7):
        move = policy.move(failed, state(10, open_until=40, probes=probes), now=50)
        assert move is not None and move.probes == probes + 1
        waits.append(round(move.open_until - 50, 3))  # type: ignore[operator]
    assert waits == [0.2, 0.2, 2, 0.2, 0.2, 5, 0.2]


def test_any_answer_closes_it_and_a_closed_circuit_is_not_rewritten() -> None:
    policy = CircuitPolicy()
    assert policy.move(run(answered=True), state(12, open_until=60, probes=3), now=50) == CLOSED
    assert policy.move(run(answered=True), state(0), now=50) is None
    # An answer followed by failures: the failures after it decide.
    later = run(answered=True, transient=2, probe_failed=True)
    assert policy.move(later, state(2, open_until=60, probes=0), now=50) is not None


def test_retry_after_opens_it_at_once_for_that_long_capped() -> None:
    policy = CircuitPolicy(open_after=10, probe_delays_s=(1,), retry_after_max_s=300)
    throttled = run(transient=1, retry_after_s=30)
    assert policy.move(throttled, state(1), now=50) == CircuitMove(open_until=80, probes=0)
    long = run(transient=1, retry_after_s=10**6)
    assert policy.move(long, state(1), now=50) == CircuitMove(open_until=350, probes=0)


# --- what a failure costs its delivery ----------------------------------------------------


def claimed(**kw: Any) -> ClaimedDelivery:
    fields: dict[str, Any] = {"attempts": 0, "retries_in_place": 0, "probe": False}
    destination_fields = {k: kw.pop(k) for k in list(kw) if k.startswith("circuit_")}
    fields.update(kw)
    return ClaimedDelivery(
        id=DeliveryId("dlv_1"),
        destination=dst(retry_schedule=(0, 300, 1800), **destination_fields),
        event=MessageEvent(
            event_type="message:in:new",
            number_id="num",
            display_phone_number="+1 555",
            phone_number_id="1",
            waba_id="2",
            conversation_id="c",
            label=None,
            item={},
            contact=None,
        ),
        **fields,
    )


SETTINGS = Settings(retry_jitter=0, **ON)  # type: ignore[arg-type]


def test_a_random_500_is_retried_in_place_at_once_not_in_five_minutes() -> None:
    decision = decide(claimed(), result(500), SETTINGS, now=100, rand=lambda: 0.5)
    assert decision.next_attempt_at == 100 and decision.in_place and not decision.advance
    decision = decide(claimed(retries_in_place=2), result(500), SETTINGS, 100, lambda: 0.5)
    assert decision.next_attempt_at == 100.5


def test_when_retries_in_place_are_spent_the_schedule_applies() -> None:
    decision = decide(claimed(retries_in_place=4), result(500), SETTINGS, 100, lambda: 0.5)
    assert decision.next_attempt_at == 400 and decision.advance and not decision.in_place


def test_a_failing_destinations_failure_costs_the_message_nothing() -> None:
    for held in (claimed(probe=True), claimed(circuit_failures=10), claimed(circuit_open_until=1)):
        decision = decide(held, result(None, "connect"), SETTINGS, 100, lambda: 0.5)
        assert decision.next_attempt_at == 100
        assert not decision.advance and not decision.in_place
    # Even at the end of its schedule it does not fail: the destination is to blame.
    decision = decide(claimed(attempts=3, probe=True), result(503), SETTINGS, 100, lambda: 0.5)
    assert decision.next_attempt_at == 100


def test_the_messages_own_failure_follows_the_schedule_and_ends_failed() -> None:
    decision = decide(claimed(), result(400, "status_4xx"), SETTINGS, 100, lambda: 0.5)
    assert decision.next_attempt_at == 400 and decision.advance
    decision = decide(claimed(attempts=2), result(400, "status_4xx"), SETTINGS, 100, lambda: 0.5)
    assert decision.next_attempt_at is None  # failed: its conversation moves on


# --- against a real receiver --------------------------------------------------------------


@pytest.mark.e2e
async def test_a_dead_receiver_gets_probes_only_and_everything_arrives_in_order_after(
    database_url: str,
) -> None:
    clock = JumpingClock()
    receiver = Receiver(always=503)
    await receiver.start()
    try:
        settings = {**ON, "circuit_probe_delays_s": (60,)}
        async with gateway_with_sim(database_url, clock=clock, **settings) as (gateway, sim):
            status, made = await gateway.api(
                "POST", "/v1/destinations", {"url": receiver.url, "retrySchedule": [0, 300]}
            )
            assert status == 201, made
            receiver.secret = made["secret"]
            users = [sim.user(f"155577{i:05d}", f"U{i}") for i in range(12)]
            sent: dict[str, list[str]] = {u.wa_id: [] for u in users}
            for k in range(3):
                for user in users:
                    sent[user.wa_id].append((await sim.send(user, "text", body=f"#{k}")).wamid)

            async def opened() -> Any:
                shown = await destination(gateway, made["id"])
                return shown if shown["circuit"]["state"] == "open" else None

            shown = await eventually(opened)
            assert shown["circuit"]["failures"] >= 10 and shown["circuit"]["nextProbeAt"]
            tried = receiver.count
            # Open, its probe a minute away: nothing more goes out, however much is due.
            await eventually(lambda: _settled(receiver, tried), timeout=5)
            assert receiver.count - tried <= 12  # at most the attempts already in flight
            waiting = await deliveries(gateway, status="pending")
            assert len(waiting) == 36  # nothing failed, nothing lost
            # Those behind their conversation's head spent no attempt at all.
            assert sum(1 for d in waiting if d["attempts"] == 0) >= 36 - 12

            # The receiver comes back; the probe (a minute on) finds it, and the rest goes.
            receiver.always = None
            before_probe = receiver.count
            clock.jump(61)
            await receiver.wait_for(lambda r: len(r.accepted()) == 36, timeout=20)
            assert receiver.count - before_probe == 36  # one probe, then each once
            arrived: dict[str, list[str]] = {u.wa_id: [] for u in users}
            for arrival in receiver.accepted():
                message = arrival.json()["entry"][0]["changes"][0]["value"]["messages"][0]
                arrived[message["from"]].append(message["id"])
            assert arrived == sent  # per conversation, in send order

            async def all_recorded() -> bool:  # the last answers may still be on their way
                return not await deliveries(gateway, status="leased")

            await eventually(all_recorded)
            shown = await destination(gateway, made["id"])
            assert shown["circuit"] == {
                "state": "closed", "failures": 0, "nextProbeAt": None, "failedProbes": 0
            }  # fmt: skip
            one = await delivery(gateway, waiting[0]["id"])
            assert one["status"] == "succeeded"
    finally:
        await receiver.stop()


async def _settled(receiver: Receiver, since: int) -> bool:
    """No request for a while (the attempts in flight when the circuit opened are done)."""
    before = receiver.count
    await asyncio.sleep(0.5)
    return receiver.count == before and before >= since

"""The pacer on its own: places in flight, waiting, handing back, rate slots."""

import asyncio
import time

import pytest

from tests.destinations.helpers import dst
from wahooks.delivery.pacing import Deferred, Pacer, Slot


async def test_in_flight_places_then_waiting_then_handed_back() -> None:
    woken: list[int] = []
    pacer = Pacer(default_max_in_flight=5, wait_limit_s=5, on_room=lambda: woken.append(1))
    one = dst(max_in_flight=1)
    first = await pacer.admit(one)
    assert isinstance(first, Slot)
    assert pacer.saturated() == []
    second = asyncio.create_task(pacer.admit(one))  # waits for the place
    await asyncio.sleep(0.01)
    assert not second.done()
    assert pacer.saturated() == ["dst_a"]  # one in flight, one waiting: no more claims
    third = await pacer.admit(one)
    assert third == Deferred(0.0)
    # Other destinations are not held up.
    other = await pacer.admit(dst("dst_b"))
    assert isinstance(other, Slot)
    first.release()
    first.release()  # twice is once
    got = await asyncio.wait_for(second, 1)
    assert isinstance(got, Slot)
    assert woken == [1]  # the dispatcher is told there is room again
    assert pacer.in_flight("dst_a") == 1
    got.release()
    other.release()
    assert pacer.saturated() == []
    assert pacer.in_flight("dst_a") == 0


async def test_a_wait_longer_than_the_limit_is_handed_back() -> None:
    pacer = Pacer(default_max_in_flight=1, wait_limit_s=0.1)
    held = await pacer.admit(dst())
    assert isinstance(held, Slot)
    started = time.monotonic()
    assert await pacer.admit(dst()) == Deferred(0.0)
    assert 0.09 <= time.monotonic() - started < 1
    held.release()


async def test_rate_slots_are_spaced_and_far_ones_handed_back() -> None:
    pacer = Pacer(default_max_in_flight=100, wait_limit_s=5, hold_s=0.25)
    fast = dst(max_rate=10)
    started = time.monotonic()
    slots = []
    for _ in range(3):  # slots at 0, 0.1 and 0.2 s: within the hold
        slot = await pacer.admit(fast)
        assert isinstance(slot, Slot)
        slots.append((time.monotonic() - started, slot))
    assert [round(t, 1) for t, _ in slots] == [0.0, 0.1, 0.2]
    # Reserve ahead without waiting: a burst of claims.
    waiting = [asyncio.create_task(pacer.admit(fast)) for _ in range(4)]
    await asyncio.sleep(0.01)
    answers = [t.result() for t in waiting if t.done()]
    deferred = [a for a in answers if isinstance(a, Deferred)]
    assert len(deferred) == 2 and all(0.2 < d.delay_s <= 0.5 for d in deferred), answers
    # Spread over the following slots, so they do not all fall due together.
    first, second = sorted(d.delay_s for d in deferred)
    assert second - first == pytest.approx(0.1, abs=0.02)
    assert pacer.saturated() == ["dst_a"]
    results = await asyncio.gather(*waiting)
    for result in results:
        if isinstance(result, Slot):
            result.release()
    for _, slot in slots:
        slot.release()


async def test_changed_limits_apply_to_the_next_admission() -> None:
    pacer = Pacer(default_max_in_flight=1, wait_limit_s=5)
    first = await pacer.admit(dst())
    assert isinstance(first, Slot)
    waiting = asyncio.create_task(pacer.admit(dst()))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    # The destination now allows two: the next admission takes the second place at once.
    second = await pacer.admit(dst(max_in_flight=2))
    assert isinstance(second, Slot)
    assert pacer.in_flight("dst_a") == 2
    await asyncio.sleep(0.01)
    assert not waiting.done()
    first.release()
    third = await asyncio.wait_for(waiting, 1)
    assert isinstance(third, Slot)
    for slot in (second, third):
        slot.release()
    assert pacer.in_flight("dst_a") == 0

"""FairShares: at most ``total`` at once and ``per_key`` per key; a waiter gets the first
slot it fits in, oldest first, and a key at its share never blocks another key."""

import asyncio

import pytest

from wahooks.shares import FairShares


async def test_claimed_work_counts_and_busy_keys_are_named() -> None:
    shares = FairShares(total=3, per_key=2)
    shares.take("a")
    assert shares.busy() == [] and shares.free == 2
    shares.take("a")
    assert shares.busy() == ["a"] and shares.free == 1 and shares.in_use("a") == 2
    shares.release("a")
    assert shares.busy() == [] and shares.free == 2
    with pytest.raises(ValueError):
        FairShares(total=0, per_key=1)


async def test_a_key_at_its_share_waits_and_another_key_goes_first() -> None:
    shares = FairShares(total=3, per_key=2)
    order: list[str] = []
    gate = asyncio.Event()

    async def work(key: str, name: str) -> None:
        async with shares.hold(key):
            order.append(name)
            if key == "slow":
                await gate.wait()

    slow = [asyncio.create_task(work("slow", f"slow{n}")) for n in range(3)]
    await asyncio.sleep(0.01)
    assert order == ["slow0", "slow1"]  # the third waits: its key is at its share
    await asyncio.wait_for(work("quick", "quick"), 1)  # not behind the slow key's waiter
    assert order == ["slow0", "slow1", "quick"]
    gate.set()
    await asyncio.wait_for(asyncio.gather(*slow), 1)
    assert order[-1] == "slow2" and shares.free == 3 and shares.busy() == []


async def test_a_cancelled_waiter_gives_its_turn_back() -> None:
    shares = FairShares(total=1, per_key=1)
    gate = asyncio.Event()

    async def hold(key: str) -> None:
        async with shares.hold(key):
            await gate.wait()

    first = asyncio.create_task(hold("a"))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(hold("b"))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    await first
    assert shares.free == 1
    async with shares.hold("c"):  # nothing was left taken
        assert shares.free == 0

"""The background loop and task set every worker runs on."""

import asyncio

import pytest

from wahooks import background
from wahooks.background import Loop, Tasks


async def test_a_pause_ends_when_woken_or_stopped() -> None:
    loop = Loop("test")
    steps: list[int] = []

    async def body() -> None:
        while not loop.stopping:
            steps.append(len(steps))
            await loop.pause(60)

    loop.start(body)
    await asyncio.sleep(0)
    loop.wake()
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(steps) == 2
    async with asyncio.timeout(1):
        await loop.stop()
    assert len(steps) == 2  # stopped between steps, not cancelled inside one


async def test_an_unwakeable_pause_ends_only_on_stop() -> None:
    loop = Loop("test")
    woke = asyncio.Event()

    async def body() -> None:
        await loop.pause(60, wakeable=False)
        woke.set()

    loop.start(body)
    await asyncio.sleep(0)
    loop.wake()
    await asyncio.sleep(0.01)
    assert not woke.is_set()
    async with asyncio.timeout(1):
        await loop.stop()
    assert woke.is_set()


async def test_stop_waits_for_the_step_in_progress() -> None:
    loop = Loop("test")
    finished = False

    async def body() -> None:
        nonlocal finished
        await asyncio.sleep(0.05)  # a query in progress: not cancelled
        finished = True

    loop.start(body)
    await asyncio.sleep(0)
    await loop.stop()
    assert finished


async def test_a_cancellable_loop_is_cancelled_on_stop() -> None:
    loop = Loop("test", cancellable=True)

    async def body() -> None:
        await asyncio.sleep(60)  # a wait for a notification

    loop.start(body)
    await asyncio.sleep(0)
    async with asyncio.timeout(1):
        await loop.stop()


async def test_a_crashed_body_is_restarted_after_a_backoff(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(background, "RESTART_FIRST_S", 0.01)
    loop = Loop("crashy")
    runs = 0
    again = asyncio.Event()

    async def body() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError("a bug")
        again.set()
        await loop.pause(None)

    loop.start(body)
    async with asyncio.timeout(2):
        await again.wait()
    await loop.stop()
    assert runs == 3
    assert caplog.text.count("crashy crashed; restarting") == 2


async def test_a_crash_while_stopping_ends_the_loop() -> None:
    loop = Loop("test")
    runs = 0

    async def body() -> None:
        nonlocal runs
        runs += 1
        await loop.pause(None)
        raise RuntimeError("failed on the way out")

    loop.start(body)
    await asyncio.sleep(0)
    async with asyncio.timeout(1):
        await loop.stop()
    assert runs == 1


async def test_tasks_are_kept_until_done_and_drained_with_a_grace() -> None:
    done: list[str] = []
    tasks = Tasks(on_done=lambda: done.append("done"))
    cancelled = False

    async def quick() -> None:
        await asyncio.sleep(0)

    async def slow() -> None:
        nonlocal cancelled
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled = True
            raise

    tasks.spawn(quick())
    tasks.spawn(slow(), name="slow")
    assert len(tasks) == 2
    async with asyncio.timeout(1):
        await tasks.drain(0.05)
    assert cancelled and not tasks and done == ["done", "done"]

"""Background work: a loop that can be woken early and stopped between its steps, and the
tasks a worker starts for each piece of work.

Workers are never cancelled: a cancelled asyncpg query can leave a pooled connection unusable
(it hung the PostgreSQL test teardown once). ``stop()`` asks, and the loop's body checks
``stopping`` between steps and ``pause``s instead of sleeping, so a stop ends the pause.

A body that crashes (a bug, an error its own handling missed) is restarted after a backoff
instead of leaving the worker silently dead; a crash while stopping just ends it.

Every task is kept referenced until it is done (``Tasks``): the event loop holds only weak
references, so an unreferenced task can be garbage-collected mid-flight.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from wahooks.retry import exponential

log = logging.getLogger(__name__)

RESTART_FIRST_S = 1.0
RESTART_MAX_S = 60.0

Body = Callable[[], Coroutine[Any, Any, None]]


class Loop:
    def __init__(self, name: str, *, cancellable: bool = False) -> None:
        """``cancellable``: the body only waits on something outside the database (a
        notification), so stopping may cancel it rather than wait out its wait."""
        self.name = name
        self._cancellable = cancellable
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        """Started, not stopped, and its supervisor alive (a crashed body is restarting)."""
        return self._task is not None and not self._task.done() and not self.stopping

    def start(self, body: Body) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(body), name=self.name)

    def wake(self) -> None:
        """There may be work: end the current pause now."""
        self._wake.set()

    async def stop(self) -> None:
        """Let the step in progress finish, then end the loop."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            if self._cancellable:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def pause(self, seconds: float | None, *, wakeable: bool = True) -> None:
        """Wait ``seconds`` (None: until woken or stopped), or less if woken
        (``wakeable``) or stopped."""
        event = self._wake if wakeable else self._stopping
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
        if wakeable:
            self._wake.clear()

    async def _supervise(self, body: Body) -> None:
        crashes = 0
        while True:
            try:
                await body()
                return
            except Exception:
                if self.stopping:
                    log.exception("%s failed while stopping", self.name)
                    return
                crashes += 1
                delay = exponential(RESTART_FIRST_S, crashes, RESTART_MAX_S)
                log.exception("%s crashed; restarting it in %.0f s", self.name, delay)
            await self.pause(delay, wakeable=False)
            if self.stopping:
                return


class Tasks:
    """Tasks started for pieces of work (an attempt, a download), referenced until done."""

    def __init__(self, on_done: Callable[[], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_done = on_done

    def __len__(self) -> int:
        return len(self._tasks)

    def __bool__(self) -> bool:
        return bool(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str | None = None) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._on_done is not None:
            self._on_done()

    async def drain(self, grace_s: float) -> None:
        """Let running tasks finish for up to ``grace_s``, then cancel the rest (their work
        is leased in the database and is picked up again later)."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

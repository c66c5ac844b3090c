"""A background loop that can be woken early and stopped between its steps.

Workers are never cancelled: a cancelled asyncpg query can leave a pooled connection unusable
(it hung the PostgreSQL test teardown once). ``stop()`` asks, and the loop's body checks
``stopping`` between steps and ``pause``s instead of sleeping, so a stop ends the pause.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Loop:
    def __init__(self, name: str) -> None:
        self.name = name
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self, body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if self._task is None:
            self._task = asyncio.create_task(body(), name=self.name)

    def wake(self) -> None:
        """There may be work: end the current pause now."""
        self._wake.set()

    async def stop(self) -> None:
        """Let the step in progress finish, then end the loop."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def pause(self, seconds: float, *, wakeable: bool = True) -> None:
        """Wait ``seconds``, or less if woken (``wakeable``) or stopped."""
        event = self._wake if wakeable else self._stopping
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
        if wakeable:
            self._wake.clear()

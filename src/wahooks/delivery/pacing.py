"""Per-destination pacing in one dispatcher: a rate limit and a cap on requests in flight.

Each destination with deliveries in this process has a lane:

- **maxRate** (deliveries per second): a token bucket holding one token, i.e. requests start
  at least ``1 / maxRate`` seconds apart. A delivery reserves the next free start time and
  waits for it, if that is at most ``hold_s`` away; otherwise it is handed back to the store,
  due at that time, without an attempt (``Deferred``).
- **maxInFlight** (default ``default_max_in_flight``): at most that many requests at once. As
  many deliveries again may wait here for a free place (a bounded wait, well within their
  lease); any more are handed back, due at once.

A lane with no room (all places taken and as many waiting, or its next start time beyond
``hold_s``) is *saturated*: the dispatcher leaves its deliveries out of the next claim, so
they stay in the database, where other processes may take them; a freed place wakes the
dispatcher. With several processes sharing a PostgreSQL database, each takes its share of
a destination's maxRate and maxInFlight (peers.py), so the sum holds across them; the
default cap (``default_max_in_flight``, for destinations without maxInFlight) is each
process's own.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from wahooks.models import Destination

HOLD_S = 2.0
"""Longest a claimed delivery waits here for its rate slot before it is handed back."""


@dataclass(frozen=True, slots=True)
class Deferred:
    """No room now: hand the delivery back to the store, due ``delay_s`` from now."""

    delay_s: float


class Shares(Protocol):
    """This process's part of limits that all processes share (peers.Peers)."""

    def in_flight(self, destination_id: str, limit: int) -> int: ...

    def rate(self, rate: float) -> float: ...


class Alone:
    """The only process: every limit is all its own."""

    def in_flight(self, destination_id: str, limit: int) -> int:
        return limit

    def rate(self, rate: float) -> float:
        return rate


@dataclass(eq=False)
class _Lane:
    destination_id: str
    max_in_flight: int | None  # the destination's, before this process's share is taken
    max_rate: float | None
    limit: int = 0
    rate: float | None = None
    in_flight: int = 0
    waiting: int = 0
    next_start: float = 0.0  # monotonic time the next request may start (rate)
    # Deliveries handed back for their rate are spread over the slots after next_start,
    # so they do not all fall due (and are claimed and handed back) together.
    deferred_next: float = 0.0
    room: asyncio.Event = field(default_factory=asyncio.Event)

    def saturated(self, now: float, hold_s: float) -> bool:
        if self.in_flight >= self.limit and self.waiting >= self.limit:
            return True
        return self.rate is not None and self.next_start - now > hold_s

    def idle(self, now: float) -> bool:
        # A lane whose share is nothing is kept: it keeps the destination out of claims.
        return (
            self.limit > 0
            and self.in_flight == 0
            and self.waiting == 0
            and self.next_start <= now
            and self.deferred_next <= now
        )

    def defer_for_rate(self, now: float) -> "Deferred":
        assert self.rate is not None
        self.deferred_next = max(self.deferred_next, self.next_start, now)
        delay = self.deferred_next - now
        self.deferred_next += 1.0 / self.rate
        return Deferred(delay)


class Slot:
    """A place in flight; ``release`` when the request is over."""

    __slots__ = ("_lane", "_pacer", "_released")

    def __init__(self, pacer: "Pacer", lane: _Lane) -> None:
        self._pacer = pacer
        self._lane = lane
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._pacer._release(self._lane)


class Pacer:
    def __init__(
        self,
        *,
        default_max_in_flight: int,
        wait_limit_s: float,
        hold_s: float = HOLD_S,
        on_room: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
        shares: Shares | None = None,
    ) -> None:
        self._shares = shares or Alone()
        self._default_limit = default_max_in_flight
        self._wait_limit_s = wait_limit_s
        self._hold_s = hold_s
        self._on_room = on_room
        self._monotonic = monotonic
        self._lanes: dict[str, _Lane] = {}

    def saturated(self) -> list[str]:
        """Destinations to leave out of the next claim (and forget idle lanes)."""
        now = self._monotonic()
        full = []
        for destination_id, lane in list(self._lanes.items()):
            self._share(lane)  # the processes sharing the database may have changed
            if lane.idle(now):
                del self._lanes[destination_id]
            elif lane.saturated(now, self._hold_s):
                full.append(destination_id)
        return full

    def in_flight(self, destination_id: str) -> int:
        lane = self._lanes.get(destination_id)
        return 0 if lane is None else lane.in_flight

    async def admit(self, destination: Destination) -> Slot | Deferred:
        """Wait for a place in flight and the destination's next rate slot; or, when either
        is too far off, say when to try again."""
        lane = self._lane(destination)
        if lane.rate is not None:
            now = self._monotonic()
            if lane.next_start - now > self._hold_s:
                return lane.defer_for_rate(now)
        if lane.in_flight >= lane.limit:
            if lane.waiting >= lane.limit:
                return Deferred(0.0)
            lane.waiting += 1
            try:
                async with asyncio.timeout(self._wait_limit_s):
                    while lane.in_flight >= lane.limit:
                        lane.room.clear()
                        await lane.room.wait()
            except TimeoutError:
                return Deferred(0.0)
            finally:
                lane.waiting -= 1
        lane.in_flight += 1
        slot = Slot(self, lane)
        if lane.rate is not None:
            now = self._monotonic()
            start = max(now, lane.next_start)
            if start - now > self._hold_s:  # others reserved meanwhile
                slot.release()
                return lane.defer_for_rate(now)
            lane.next_start = start + 1.0 / lane.rate
            if start > now:
                try:
                    await asyncio.sleep(start - now)
                except BaseException:
                    slot.release()
                    raise
        return slot

    def _lane(self, destination: Destination) -> _Lane:
        lane = self._lanes.get(destination.id)
        if lane is None:
            lane = self._lanes[destination.id] = _Lane(
                destination.id, destination.max_in_flight, destination.max_rate
            )
        else:  # the destination's options may have changed since
            lane.max_in_flight, lane.max_rate = destination.max_in_flight, destination.max_rate
        self._share(lane)
        return lane

    def _share(self, lane: _Lane) -> None:
        """The lane's limits: this process's share of the destination's."""
        if lane.max_in_flight is None:
            limit = self._default_limit
        else:
            limit = self._shares.in_flight(lane.destination_id, lane.max_in_flight)
        if limit > lane.limit:
            lane.room.set()
        lane.limit = limit
        lane.rate = None if lane.max_rate is None else self._shares.rate(lane.max_rate)

    def _release(self, lane: _Lane) -> None:
        was_saturated = lane.saturated(self._monotonic(), self._hold_s)
        lane.in_flight -= 1
        lane.room.set()
        if was_saturated:
            self._on_room()

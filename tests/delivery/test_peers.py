"""Processes sharing a PostgreSQL database: each records its heartbeat, and each worker takes
its share of a destination's maxInFlight and maxRate, so the limits hold across them all.
Two gateways on one database stand for two processes (each its own pool, dispatcher and
heartbeat)."""

import bisect
import contextlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    TEST_SECRET_KEY,
    RunningGateway,
    add_destination,
    eventually,
    postgres_database,
    registered_sim,
    running_gateway,
)
from tests.destinations.helpers import ConcurrencyReceiver, dst, send_many
from wahooks.config import Settings
from wahooks.delivery.pacing import Pacer
from wahooks.delivery.peers import Peers
from wahooks.demo.receiver import Receiver
from wahooks.models import GatewayProcess
from wahooks.store import Store, open_store

# Counted for 3 beats: long enough that a beat made late by a busy machine never drops
# a process from the others' view mid-test (that would hand it the whole limit; at 0.5 s
# a loaded machine did).
BEAT_S = 1.0


@contextlib.asynccontextmanager
async def peer_stores(url: str, n: int) -> AsyncIterator[list[Store]]:
    settings = Settings(database_url=url, secret_keys=(TEST_SECRET_KEY,))
    stores = [await open_store(settings) for _ in range(n)]
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()


async def _all_see(peers: list[Peers], count: int) -> None:
    async def agreed() -> bool:
        return all(p.count == count for p in peers)

    await eventually(agreed, timeout=10)


async def test_the_shares_of_the_workers_add_up_to_each_limit() -> None:
    async with postgres_database() as url, peer_stores(url, 4) as stores:
        workers = [Peers(s, worker=True, heartbeat_s=BEAT_S, clock=s.clock) for s in stores[:3]]
        api_only = Peers(stores[3], worker=False, heartbeat_s=BEAT_S, clock=stores[3].clock)
        for peers in [*workers, api_only]:
            await peers.start()
        try:
            await _all_see(workers, 3)  # the API-only process takes no share
            assert sorted(p.rank for p in workers) == [0, 1, 2]
            destinations = [f"dst_{i}" for i in range(30)]
            for limit, destination_id in itertools.product(range(1, 8), destinations):
                shares = [p.in_flight(destination_id, limit) for p in workers]
                assert sum(shares) == limit and max(shares) - min(shares) <= 1, shares
            # Destinations with maxInFlight 1 are spread over the workers, not all on one.
            takers = {
                next(i for i, p in enumerate(workers) if p.in_flight(d, 1)) for d in destinations
            }
            assert takers == {0, 1, 2}
            assert sum(p.rate(9.0) for p in workers) == pytest.approx(9.0)
            listed = await stores[0].processes.live(3 * BEAT_S)
            assert {p.id for p in listed} == {p.me.id for p in [*workers, api_only]}
            # A stopping process leaves the table: the others take its share.
            await workers.pop().stop()
            await _all_see(workers, 2)
            assert all(sum(p.in_flight(d, 5) for p in workers) == 5 for d in destinations)
        finally:
            for peers in [*workers, api_only]:
                await peers.stop()


async def test_a_worker_with_no_share_of_a_destination_leaves_it_out_of_its_claims() -> None:
    async with postgres_database() as url, peer_stores(url, 2) as stores:
        peers = [Peers(s, worker=True, heartbeat_s=BEAT_S, clock=s.clock) for s in stores]
        for p in peers:
            await p.start()
        try:
            await _all_see(peers, 2)
            pacers = [Pacer(default_max_in_flight=10, wait_limit_s=1, shares=p) for p in peers]
            one = dst("dst_only_one", max_in_flight=1)
            admitted = [await pacer.admit(one) for pacer in pacers]
            # One pacer has the place; the other hands the delivery back and keeps the
            # destination out of its claims while its share is nothing.
            kept_out = [pacer.saturated() for pacer in pacers]
            assert sorted(kept_out) == [[], ["dst_only_one"]], (admitted, kept_out)
            for slot in admitted:
                if hasattr(slot, "release"):
                    slot.release()
            # Alone again, the other takes the destination back.
            loner = kept_out.index(["dst_only_one"])
            await peers[1 - loner].stop()
            await _all_see([peers[loner]], 1)
            assert pacers[loner].saturated() == []
        finally:
            for p in peers:
                await p.stop()


@contextlib.asynccontextmanager
async def two_processes(**settings: Any) -> AsyncIterator[tuple[RunningGateway, RunningGateway]]:
    async with postgres_database() as url:
        async with (
            running_gateway(url, process_heartbeat_s=BEAT_S, **settings) as one,
            running_gateway(url, process_heartbeat_s=BEAT_S, **settings) as two,
        ):
            peers = [g.gateway.peers for g in (one, two)]
            assert peers[0] is not None and peers[1] is not None
            await _all_see([peers[0], peers[1]], 2)
            yield one, two


@pytest.mark.e2e
async def test_max_in_flight_holds_across_two_processes() -> None:
    async with two_processes() as (one, _two):
        slow = ConcurrencyReceiver(delay_s=0.3)
        await slow.start()
        try:
            status, body = await one.api(
                "POST", "/v1/destinations", {"url": slow.url, "maxInFlight": 3}
            )
            assert status == 201, body
            async with registered_sim(one) as sim:
                await send_many(sim, 24)

                async def all_arrived() -> bool:
                    return len(slow.bodies) == 24

                await eventually(all_arrived, timeout=30)
            # Each process alone would have taken 3: their shares (2 and 1) add up to 3.
            assert slow.peak == 3
        finally:
            await slow.stop()


@pytest.mark.e2e
async def test_max_rate_holds_across_two_processes() -> None:
    # Claims of 2, so both processes take part from the start (one claim would take all).
    async with two_processes(dispatch_batch=2) as (one, _two):
        receiver = Receiver()
        await receiver.start()
        try:
            await add_destination(one, receiver, maxRate=10)
            async with registered_sim(one) as sim:
                await send_many(sim, 40)
                await receiver.wait_for(lambda r: len(r.accepted()) == 40, timeout=30)
            times = sorted(a.received_at for a in receiver.arrivals)
            # 10 per second in all (5 each), not 10 each: 40 requests span at least ~3.9 s,
            # and no second holds many more than 10 (the two processes' slots interleave, so
            # single gaps alternate short and long).
            assert times[-1] - times[0] >= 3.5, times[-1] - times[0]
            busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
            assert busiest <= 13, times
        finally:
            await receiver.stop()


async def test_the_operator_sees_the_processes_sharing_the_database() -> None:
    async with two_processes() as (one, two):

        async def both_listed() -> Any:
            status, listed = await one.operator("GET", "/v1/processes")
            assert status == 200, listed
            return listed if len(listed) == 2 else None

        listed = await eventually(both_listed)
        assert all(p["worker"] for p in listed)
        mine = [p for p in listed if p["thisProcess"]]
        assert len(mine) == 1 and mine[0]["share"] in ("1/2", "2/2"), listed
        status, body = await one.api("GET", "/v1/processes")  # a tenant key
        assert status == 403 and body["error"]["code"] == "forbidden", body

        async def same_from_the_other() -> bool:
            status, other = await two.operator("GET", "/v1/processes")
            return status == 200 and {p["id"] for p in other} == {p["id"] for p in listed}

        assert await eventually(same_from_the_other)


async def test_on_sqlite_a_row_left_by_a_killed_predecessor_shares_nothing(
    tmp_path: Path,
) -> None:
    """Only one process can own a SQLite file: the row of the one before (killed, its beats
    not yet run out) must not halve this one's limits."""
    url = f"sqlite:///{tmp_path}/wahooks.db"
    store = await open_store(Settings(database_url=url))
    try:
        now = store.clock()
        killed = GatewayProcess(
            id="proc_killed", host="h", pid=1, version="0", worker=True, started_at=now - 60,
            seen_at=now,
        )  # fmt: skip
        await store.processes.heartbeat(killed, live_after_s=60)
    finally:
        await store.close()
    async with running_gateway(url) as gateway:
        peers = gateway.gateway.peers
        assert peers is not None
        assert (peers.count, peers.shared(), peers.in_flight("dst_x", 3)) == (1, False, 3)
        status, listed = await gateway.operator("GET", "/v1/processes")
        assert status == 200 and {p["id"] for p in listed} == {"proc_killed", peers.me.id}

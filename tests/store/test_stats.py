"""The dashboard's aggregates, the same on SQLite and PostgreSQL: deliveries counted per
time bucket by state, latency bin and bucket finished in; each destination's queue now."""

from tests.store import test_store
from tests.store.test_store import World
from wahooks.models import LATENCY_BOUNDS_S

world = test_store.world  # the contract suite's fixture: a store with a tenant and destination


async def test_deliveries_are_counted_by_bucket_state_and_latency(world: World) -> None:
    start = world.clock.now
    await world.ingest(world.message(1, "111"), world.message(2, "222"), world.message(3, "333"))
    world.clock.now += 70  # the next minute's bucket
    await world.ingest(world.message(4, "444"))
    claimed = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert len(claimed) == 4
    first, second = claimed[0], claimed[1]
    world.clock.now += 0.3
    await world.finish([first], ok=True)
    await world.finish([second], ok=False, retry_in=None)
    # The others go back to pending (their lease handed back unattempted).
    await world.store.deliveries.defer([(c.id, 0) for c in claimed[2:]])
    tenant = world.destination.tenant_id
    counts = await world.store.stats.delivery_counts(
        tenant, since=start - 60, until=start + 600, width_s=60
    )
    seen = {(c.state, c.bucket, c.latency_bin, c.done_bucket): c.count for c in counts}
    assert sum(seen.values()) == 4, seen
    assert all(c.destination_id == world.destination.id for c in counts)
    # 0.3 s after stored (first) or 70.3 s (a message of the first minute finished in the
    # second): the bins say which.
    states = sorted(c.state for c in counts for _ in range(c.count))
    assert states == ["failed", "pending", "pending", "succeeded"], states
    succeeded = next(c for c in counts if c.state == "succeeded")
    assert succeeded.done_bucket == 2  # finished 70.3 s after start: the third bucket
    found = await world.store.deliveries.get(tenant, first.id)
    assert found is not None
    created_at = found[0].created_at
    assert created_at is not None
    assert succeeded.bucket == int((created_at - (start - 60)) // 60)
    latency = world.clock.now - created_at
    expected_bin = next(i for i, b in enumerate(LATENCY_BOUNDS_S) if latency < b)
    assert succeeded.latency_bin == expected_bin
    failed = next(c for c in counts if c.state == "failed")
    assert failed.latency_bin is None and failed.done_bucket == 2
    assert all(c.done_bucket is None for c in counts if c.state == "pending")
    # Outside the range: nothing.
    later = await world.store.stats.delivery_counts(
        tenant, since=start + 600, until=start + 1200, width_s=60
    )
    assert later == []


async def test_open_queues_count_what_waits_and_its_oldest(world: World) -> None:
    start = world.clock.now
    await world.ingest(world.message(1, "111"))
    world.clock.now += 5
    await world.ingest(world.message(2, "222"))
    tenant = world.destination.tenant_id
    [queue] = await world.store.stats.open_queues(tenant)
    assert queue.destination_id == world.destination.id
    assert queue.depth == 2 and queue.oldest_created_at == start
    claimed = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    await world.finish(claimed, ok=True)
    assert await world.store.stats.open_queues(tenant) == []
    assert await world.store.stats.open_queues("ten_nobody") == []

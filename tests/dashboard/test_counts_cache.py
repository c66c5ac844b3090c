"""The overview's counts cache: the same counts as the store's query, kept for sealed
buckets for a while, the recent ones counted afresh; on both databases."""

from collections import Counter

from tests.store import test_store
from tests.store.test_store import World
from wahooks.dashboard.counts_cache import POLICY, CountsCache
from wahooks.models import DeliveryCount

world = test_store.world  # a store with a tenant, a number and a destination; a fake clock
WIDTH = 900.0
SEALED_AFTER_S, KEEP_S = POLICY[WIDTH]


def key(counts: list[DeliveryCount]) -> Counter[tuple[object, ...]]:
    return Counter(
        (c.destination_id, c.bucket, c.state, c.latency_bin, c.done_bucket, c.count) for c in counts
    )


async def test_kept_buckets_match_the_store_and_are_recounted_after_an_hour(world: World) -> None:
    store, clock = world.store, world.clock
    tenant = world.destination.tenant_id
    start = (clock.now // WIDTH) * WIDTH
    since, until = start - 4 * WIDTH, start + 12 * WIDTH
    clock.now = start + 10
    await world.ingest(world.message(1, "111"))
    clock.now = start + SEALED_AFTER_S + 2 * WIDTH  # the first bucket is sealed now
    await world.ingest(world.message(2, "222"))  # a recent one, in a live bucket
    cache = CountsCache()

    async def both() -> tuple[list[DeliveryCount], list[DeliveryCount]]:
        kept = await cache.counts(
            store, tenant, since=since, until=until, width_s=WIDTH, now=clock.now
        )
        direct = await store.stats.delivery_counts(tenant, since=since, until=until, width_s=WIDTH)
        return kept, direct

    kept, direct = await both()
    assert key(kept) == key(direct) and sum(c.count for c in kept) == 2
    # Another old delivery (stored as if then): the kept bucket does not show it yet...
    now = clock.now
    clock.now = start + 20
    await world.ingest(world.message(3, "333"))
    clock.now = now + 60
    kept, direct = await both()
    assert sum(c.count for c in kept) == 2 and sum(c.count for c in direct) == 3
    # ...until it is recounted, an hour on; the live buckets were always fresh.
    clock.now = now + KEEP_S + 1
    await world.ingest(world.message(4, "444"))
    kept, direct = await both()
    assert key(kept) == key(direct) and sum(c.count for c in kept) == 4

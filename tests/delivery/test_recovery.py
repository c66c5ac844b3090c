"""Deliveries by time range, and recovering every failed delivery of a range: through a
real gateway (simulator → gateway → receiver) and, for crashes and leases, at the store with
a fake clock; on SQLite and PostgreSQL."""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.helpers import assert_error, other_tenant
from tests.conftest import (
    RunningGateway,
    add_destination,
    eventually,
    gateway_with_sim,
    running_gateway,
    secret_settings,
)
from wahooks.config import Settings
from wahooks.delivery.health import HealthPolicy, health_update
from wahooks.demo.receiver import Receiver
from wahooks.ids import new_id
from wahooks.models import (
    AttemptDecision,
    AttemptResult,
    Destination,
    InboundMessage,
    IngestBatch,
    Number,
    RecoveryJob,
    Wamid,
)
from wahooks.sim import Simulator
from wahooks.store import Store, open_store


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, tz=UTC).isoformat().replace("+00:00", "Z")


async def deliveries(gateway: RunningGateway, query: str = "") -> list[Any]:
    status, body = await gateway.api("GET", f"/v1/deliveries?limit=200{query}")
    assert status == 200, body
    return list(body["data"])


# --- time-range filters --------------------------------------------------------------------


async def test_deliveries_by_time_range(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551240001", "Ann")
    assert (await sim.send(user, "text", body="first")).ok
    (first,) = await eventually(lambda: deliveries(gateway))
    await asyncio.sleep(0.05)
    middle = time.time()
    await asyncio.sleep(0.05)
    assert (await sim.send(user, "text", body="second")).ok
    both = await eventually(lambda: _when_n(gateway, 2))
    second = both[0]
    assert second["id"] != first["id"]

    async def ids(query: str) -> list[str]:
        return [d["id"] for d in await deliveries(gateway, query)]

    assert await ids(f"&since={iso(middle)}") == [second["id"]]
    assert await ids(f"&until={iso(middle)}") == [first["id"]]
    assert await ids(f"&since={iso(middle - 60)}&until={iso(middle + 60)}") == [
        second["id"], first["id"]
    ]  # fmt: skip
    # Another offset, the same moment.
    plus_two = datetime.fromtimestamp(middle, tz=UTC).astimezone().isoformat()
    assert await ids(f"&since={plus_two.replace('+', '%2B')}") == [second["id"]]
    # With the other filters and the cursor.
    conversation = first["conversationId"]
    assert await ids(f"&conversationId={conversation}&status=succeeded&until={iso(middle)}") in (
        [first["id"]], []  # succeeded by now, unless the receiver is slow
    )  # fmt: skip
    page = await deliveries(gateway, f"&since={iso(middle - 60)}&limit=1")
    assert [d["id"] for d in page] == [second["id"]]

    for query, mentions in (
        ("since=yesterday", "since"),
        ("since=1700000000", "since"),
        ("until=2025-06-01T00:00:00", "timezone"),
        (f"since={iso(middle)}&until={iso(middle - 1)}", "earlier"),
        (f"since={iso(middle)}&until={iso(middle)}", "earlier"),
        ("until=2025-13-01T00:00:00Z", "until"),
    ):
        status, body = await gateway.api("GET", f"/v1/deliveries?{query}")
        assert_error(status, body, 400, mentions)


async def _when_n(gateway: RunningGateway, n: int) -> list[Any] | None:
    found = await deliveries(gateway)
    return found if len(found) == n else None


# --- recovering a range through the API -------------------------------------------------------


@pytest.mark.e2e
async def test_fifty_failed_deliveries_recovered_and_delivered(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_with_sim(
        database_url, recovery_chunk_size=10, recovery_chunk_pause_s=0.15
    ) as (gateway, sim):
        destination = await add_destination(gateway, receiver, retrySchedule=[0])
        receiver.always = 500  # down: every delivery fails on its only attempt
        started = time.time()
        for n in range(50):
            user = sim.user(f"155512500{n:02d}", f"User {n}")
            assert (await sim.send(user, "text", body=f"message {n}")).ok

        async def all_failed() -> list[Any] | None:
            found = await deliveries(gateway, "&status=failed")
            return found if len(found) == 50 else None

        failed = await eventually(all_failed, timeout=30)
        failed_ids = {d["id"] for d in failed}
        # One succeeded delivery in the range must stay as it is.
        receiver.always = None
        assert (await sim.send(sim.user("15551259999", "Fine"), "text")).ok
        await eventually(lambda: receiver_accepted(receiver, 1))
        arrived_before = len(receiver.arrivals)

        status, job = await gateway.api(
            "POST",
            "/v1/deliveries/recover",
            {"since": iso(started - 1), "until": iso(time.time() + 3600),
             "destinationId": destination["id"]},
        )  # fmt: skip
        assert status == 202, job
        assert job["id"].startswith("rcv_") and job["state"] in ("pending", "running")
        assert job["recovered"] == 0 and job["destinationId"] == destination["id"]
        assert datetime.fromisoformat(job["until"]).timestamp() <= time.time()  # capped at now

        seen: list[tuple[str, int | None, int]] = []

        async def done() -> Any:
            status, body = await gateway.api("GET", f"/v1/deliveries/recoveries/{job['id']}")
            assert status == 200, body
            seen.append((body["state"], body["total"], body["recovered"]))
            return body if body["state"] == "done" else None

        finished = await eventually(done, timeout=30)
        assert finished["total"] == 50 and finished["recovered"] == 50
        assert finished["error"] is None and finished["finishedAt"]
        # Progress was visible on the way: running, part of them re-queued.
        assert any(s == "running" and t == 50 and 0 < r < 50 for s, t, r in seen), seen
        assert [r for _, _, r in seen] == sorted(r for _, _, r in seen)

        # Every recovered delivery reaches the receiver, which works now, with its own id.
        await receiver.wait_for(lambda r: len(r.arrivals) >= arrived_before + 50, timeout=30)

        async def all_succeeded() -> list[Any] | None:
            found = await deliveries(gateway, "&status=succeeded")
            return found if len(found) == 51 else None

        succeeded = await eventually(all_succeeded, timeout=30)
        assert failed_ids < {d["id"] for d in succeeded}
        redelivered = [a.webhook_id for a in receiver.arrivals[arrived_before:]]
        assert sorted(redelivered) == sorted(failed_ids)  # each once, same webhook-id
        assert all(a.verified and a.answered == 200 for a in receiver.arrivals[arrived_before:])

        # Listed; another tenant sees no trace of it.
        status, listed = await gateway.api("GET", "/v1/deliveries/recoveries")
        assert status == 200 and [j["id"] for j in listed["data"]] == [job["id"]]
        stranger = await other_tenant(gateway)
        status, body = await stranger.api("GET", f"/v1/deliveries/recoveries/{job['id']}")
        assert_error(status, body, 404, job["id"])
        status, body = await stranger.api("GET", "/v1/deliveries/recoveries")
        assert status == 200 and body == {"data": [], "nextCursor": None}
        status, body = await stranger.api(
            "POST", "/v1/deliveries/recover",
            {"since": iso(started), "until": iso(time.time()), "destinationId": destination["id"]},
        )  # fmt: skip
        assert_error(status, body, 400, "destinationId")


async def receiver_accepted(receiver: Receiver, n: int) -> bool:
    return len(receiver.accepted()) >= n


async def test_recover_validates_its_request(gateway: RunningGateway) -> None:
    now = time.time()
    for payload, mentions in (
        ({}, "since"),
        ({"since": iso(now - 60)}, "until"),
        ({"since": "last week", "until": iso(now)}, "since"),
        ({"since": iso(now - 60), "until": "2025-06-01 10:00"}, "until"),
        ({"since": iso(now - 60), "until": iso(now - 120)}, "earlier"),
        ({"since": iso(now + 60), "until": iso(now + 120)}, "past"),
        ({"since": iso(now - 60), "until": iso(now), "destinationId": "dst_nope"}, "dst_nope"),
        ({"since": iso(now - 60), "until": iso(now), "extra": True}, "extra"),
        ({"since": 1700000000, "until": iso(now)}, "since"),
    ):
        status, body = await gateway.api("POST", "/v1/deliveries/recover", payload)
        assert_error(status, body, 400, mentions)
    status, body = await gateway.api("GET", "/v1/deliveries/recoveries/rcv_nope")
    assert_error(status, body, 404, "rcv_nope")
    status, body = await gateway.api("GET", "/v1/deliveries/recoveries?cursor=x")
    assert_error(status, body, 400, "cursor")
    status, body = await gateway.api("GET", "/v1/deliveries/recoveries")
    assert status == 200 and body["data"] == []


# --- leases and crashes, at the store -----------------------------------------------------------


@dataclass
class FakeClock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    store: Store
    clock: FakeClock
    tenant_id: str
    number: Number
    destinations: tuple[Destination, Destination]

    def message(self, i: int, sender: str) -> InboundMessage:
        wamid = f"wamid.{sender}.{i}.{self.clock.now}"
        return InboundMessage(
            wamid=Wamid(wamid),
            phone_number_id=self.number.phone_number_id,
            from_wa_id=sender,
            timestamp=int(self.clock.now),
            type="text",
            item={"from": sender, "id": wamid, "timestamp": str(int(self.clock.now)),
                  "type": "text", "text": {"body": str(i)}},
            contact={"profile": {"name": "Ann"}, "wa_id": sender},
            display_phone_number="15550000",
        )  # fmt: skip

    async def failed(self, n: int, sender: str) -> None:
        """``n`` messages from ``sender``, each delivery to each destination failed."""
        batch = IngestBatch(messages=[self.message(i, sender) for i in range(n)])
        await self.store.inbound.ingest({self.number.phone_number_id: self.number}, batch)
        while claimed := await self.store.deliveries.claim_due(limit=100, lease_s=60):
            decisions = []
            for c in claimed:
                result = AttemptResult(
                    delivery_id=c.id, started_at=self.clock.now, status_code=500,
                    latency_ms=1.0, response_excerpt="", error="status_5xx",
                )  # fmt: skip
                decisions.append(
                    (AttemptDecision(result=result, next_attempt_at=None), c.destination.id)
                )
            await self.store.deliveries.record_attempts(
                decisions, health_update(decisions, HealthPolicy())
            )

    async def states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, d in await self.store.deliveries.page(self.tenant_id, limit=1000):
            counts[d.state] = counts.get(d.state, 0) + 1
        return counts


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    clock = FakeClock()
    store = await open_store(
        Settings(database_url=database_url, **secret_settings(database_url)), clock=clock
    )
    tenant = await store.tenants.create_tenant(new_id("ten"), "t")
    number = await store.numbers.create(
        Number(
            id=new_id("num"), tenant_id=tenant.id, kind="dedicated", phone_number_id="1001",
            waba_id="2002", display_phone_number="15550000", access_token="tok",
            app_secret="secret", verify_token="verify", graph_base_url="http://127.0.0.1:1",
            created_at=clock.now,
        )
    )  # fmt: skip
    made = []
    for _ in range(2):
        made.append(
            await store.destinations.create(
                Destination(
                    id=new_id("dst"), tenant_id=tenant.id, number_id=None,
                    url="http://127.0.0.1:1/", secret="s" * 20, label=None, format="pipes",
                    timeout_s=5, retry_schedule=(0,), enabled=True, disabled_reason=None,
                    created_at=clock.now,
                )
            )
        )  # fmt: skip
    yield World(store, clock, tenant.id, number, (made[0], made[1]))
    await store.close()


async def test_a_crashed_job_is_resumed_from_its_cursor(world: World) -> None:
    store, clock = world.store, world.clock
    first, second = world.destinations
    await world.failed(3, "15550001")  # before the range: 6 deliveries
    clock.now += 100
    since = clock.now
    await world.failed(25, "15550002")  # in range: 25 to each destination
    clock.now += 100
    until = clock.now
    await world.failed(2, "15550003")  # after the range
    assert await world.states() == {"failed": 60}

    job = await store.recoveries.create(world.tenant_id, first.id, since, until)
    assert (job.state, job.total, job.recovered) == ("pending", None, 0)
    claimed = await store.recoveries.claim(lease_s=60)
    assert claimed is not None and claimed.id == job.id
    assert (claimed.state, claimed.total) == ("running", 25)
    assert await store.recoveries.claim(lease_s=60) is None  # held
    step = await store.recoveries.step(claimed, chunk=10, lease_s=60)
    assert step is not None and (step.recovered, step.state) == (10, "running")
    assert step.cursor_seq is not None and step.lease_until == clock.now + 60
    # The process dies here. While its lease lasts, nobody takes the job over.
    clock.now += 59
    assert await store.recoveries.claim(lease_s=60) is None
    clock.now += 2
    resumed = await store.recoveries.claim(lease_s=60)
    assert resumed is not None and resumed.id == job.id
    assert (resumed.total, resumed.recovered, resumed.cursor_seq) == (25, 10, step.cursor_seq)
    # The dead process's step, should it wake up, changes nothing: its lease is gone.
    assert await store.recoveries.step(step, chunk=10, lease_s=60) is None
    assert (await store.recoveries.get(world.tenant_id, job.id)).recovered == 10  # type: ignore[union-attr]

    current: RecoveryJob | None = resumed
    while current is not None and current.state == "running":
        current = await store.recoveries.step(current, chunk=10, lease_s=60)
    assert current is not None
    assert (current.state, current.total, current.recovered) == ("done", 25, 25)
    assert current.finished_at == clock.now and current.lease_until is None
    # Exactly the first destination's deliveries in the range, each once, as a re-send.
    assert await world.states() == {"failed": 35, "pending": 25}
    pending = [d for _, d in await world.store.deliveries.page(world.tenant_id, state="pending")]
    assert {d.destination_id for d in pending} == {first.id}
    assert all(since <= d.created_at < until for d in pending)
    claimed_again = await store.deliveries.claim_due(limit=100, lease_s=60)
    assert len(claimed_again) == 1  # one conversation: in order, one at a time
    assert claimed_again[0].attempts == 0  # a fresh retry schedule
    assert await store.recoveries.claim(lease_s=60) is None
    assert second.id != first.id


async def test_jobs_without_a_destination_take_the_whole_range(world: World) -> None:
    await world.failed(4, "15550011")
    job = await world.store.recoveries.create(
        world.tenant_id, None, world.clock.now - 1, world.clock.now + 1
    )
    other = await world.store.tenants.create_tenant(new_id("ten"), "other")
    foreign = await world.store.recoveries.create(
        other.id, None, world.clock.now - 1, world.clock.now + 1
    )
    claimed = await world.store.recoveries.claim(lease_s=60)
    assert claimed is not None and claimed.id == job.id and claimed.total == 8
    done = await world.store.recoveries.step(claimed, chunk=100, lease_s=60)
    assert done is not None and done.recovered == 8
    done = await world.store.recoveries.step(done, chunk=100, lease_s=60)
    assert done is not None and done.state == "done"
    assert await world.states() == {"pending": 8}
    # The other tenant's job touches only its own (none).
    theirs = await world.store.recoveries.claim(lease_s=60)
    assert theirs is not None and theirs.id == foreign.id and theirs.total == 0
    theirs = await world.store.recoveries.step(theirs, chunk=100, lease_s=60)
    assert theirs is not None and (theirs.state, theirs.recovered) == ("done", 0)
    assert await world.store.recoveries.get(world.tenant_id, foreign.id) is None
    failed = await world.store.recoveries.fail(replace(theirs, lease_until=1.0), "x")
    assert failed is False  # finished jobs stay finished


async def test_a_stopped_gateway_hands_its_job_to_the_next_start(
    database_url: str, receiver: Receiver
) -> None:
    slow = {"recovery_chunk_size": 5, "recovery_chunk_pause_s": 2.0}
    async with gateway_with_sim(database_url, **slow) as (gateway, sim):
        tenant_id = gateway.tenant_id
        await add_destination(gateway, receiver, retrySchedule=[0])
        receiver.always = 500
        started = time.time()
        for n in range(12):
            assert (await sim.send(sim.user(f"155512600{n:02d}", "U"), "text")).ok

        async def all_failed() -> list[Any] | None:
            found = await deliveries(gateway, "&status=failed")
            return found if len(found) == 12 else None

        await eventually(all_failed, timeout=30)
        receiver.always = None  # back up
        status, job = await gateway.api(
            "POST", "/v1/deliveries/recover", {"since": iso(started - 1), "until": iso(time.time())}
        )
        assert status == 202, job

        async def first_chunk() -> Any:
            _, body = await gateway.api("GET", f"/v1/deliveries/recoveries/{job['id']}")
            return body if body["recovered"] == 5 else None

        paused = await eventually(first_chunk)
        assert paused["state"] == "running" and paused["total"] == 12
    # Stopped between two chunks: the job kept its cursor and gave its lease up.
    async with running_gateway(database_url, recovery_chunk_size=5) as again:
        store = again.gateway.store

        async def finished() -> RecoveryJob | None:
            found = await store.recoveries.get(tenant_id, job["id"])
            return found if found is not None and found.state == "done" else None

        done = await eventually(finished, timeout=15)  # well before the 60 s lease would end
        assert (done.total, done.recovered) == (12, 12)

        async def delivered() -> bool:
            found = await store.deliveries.page(tenant_id, state="succeeded")
            return len(found) == 12

        await eventually(delivered, timeout=30)
        assert sorted({a.webhook_id for a in receiver.accepted()}) == sorted(
            d.id for _, d in await store.deliveries.page(tenant_id)
        )

"""The store's contract, run the same on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.conftest import secret_settings
from wahooks.config import Settings
from wahooks.delivery.health import HealthPolicy, health_update
from wahooks.ids import new_id
from wahooks.models import (
    AttemptDecision,
    AttemptResult,
    ClaimedDelivery,
    Destination,
    InboundMessage,
    IngestBatch,
    Number,
    StatusUpdate,
    Wamid,
)
from wahooks.store import Duplicate, Store, open_store


@dataclass
class FakeClock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    store: Store
    clock: FakeClock
    number: Number
    destination: Destination

    def message(self, n: int, sender: str = "15550001", kind: str = "text") -> InboundMessage:
        wamid = f"wamid.{sender}.{n}"
        return InboundMessage(
            wamid=Wamid(wamid),
            phone_number_id=self.number.phone_number_id,
            from_wa_id=sender,
            timestamp=1_700_000_000 + n,
            type=kind,
            item={"from": sender, "id": wamid, "timestamp": str(1_700_000_000 + n), "type": kind},
            contact={"profile": {"name": "Ann"}, "wa_id": sender},
            display_phone_number="15550000",
        )

    async def ingest(self, *messages: InboundMessage) -> None:
        numbers = {self.number.phone_number_id: self.number}
        await self.store.inbound.ingest(numbers, IngestBatch(messages=list(messages)))

    async def finish(
        self, claimed: list[ClaimedDelivery], *, ok: bool, retry_in: float | None = 5
    ) -> None:
        decisions = []
        for c in claimed:
            result = AttemptResult(
                delivery_id=c.id,
                started_at=self.clock.now,
                status_code=200 if ok else 500,
                latency_ms=1.0,
                response_excerpt="",
                error=None if ok else "status_5xx",
            )
            next_at = None if ok or retry_in is None else self.clock.now + retry_in
            decisions.append(
                (AttemptDecision(result=result, next_attempt_at=next_at), c.destination.id)
            )
        await self.store.deliveries.record_attempts(
            decisions, health_update(decisions, HealthPolicy())
        )


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
    destination = await store.destinations.create(
        Destination(
            id=new_id("dst"), tenant_id=tenant.id, number_id=None, url="http://127.0.0.1:1/",
            secret="s" * 20, label=None, format="pipes", timeout_s=5, retry_schedule=(0, 5),
            enabled=True, disabled_reason=None, created_at=clock.now,
        )
    )  # fmt: skip
    yield World(store, clock, number, destination)
    await store.close()


async def test_ingest_deduplicates_on_wamid(world: World) -> None:
    await world.ingest(world.message(1), world.message(1))
    await world.ingest(world.message(1))
    claimed = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in claimed] == ["wamid.15550001.1"]


async def test_claim_hands_out_one_delivery_per_conversation_in_order(world: World) -> None:
    await world.ingest(*[world.message(n) for n in range(3)], world.message(0, sender="15550002"))
    first = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert sorted(c.event.item["id"] for c in first) == ["wamid.15550001.0", "wamid.15550002.0"]
    assert (
        await world.store.deliveries.claim_due(limit=10, lease_s=60) == []
    )  # the rest wait their turn
    await world.finish(first, ok=True)
    second = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in second] == ["wamid.15550001.1"]


async def test_a_failed_attempt_holds_the_conversation_until_it_is_due_again(world: World) -> None:
    await world.ingest(world.message(1), world.message(2))
    first = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    await world.finish(first, ok=False, retry_in=5)
    assert await world.store.deliveries.claim_due(limit=10, lease_s=60) == []
    world.clock.now += 5
    again = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in again] == ["wamid.15550001.1"]
    assert again[0].id == first[0].id and again[0].attempts == 1


async def test_an_abandoned_lease_falls_due_again(world: World) -> None:
    await world.ingest(world.message(1))
    claimed = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert claimed
    world.clock.now += 59
    assert await world.store.deliveries.claim_due(limit=10, lease_s=60) == []
    world.clock.now += 2
    assert [c.id for c in await world.store.deliveries.claim_due(limit=10, lease_s=60)] == [
        claimed[0].id
    ]


async def test_exhausted_delivery_fails_and_can_be_resent(world: World) -> None:
    await world.ingest(world.message(1))
    claimed = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    await world.finish(claimed, ok=False, retry_in=None)
    record, attempts = await world.store.deliveries.get(world.destination.tenant_id, claimed[0].id)  # type: ignore[misc]
    assert record.state == "failed" and len(attempts) == 1 and attempts[0].status_code == 500
    assert await world.store.deliveries.resend(world.destination.tenant_id, claimed[0].id)
    again = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.id for c in again] == [claimed[0].id] and again[0].attempts == 0


async def test_disabled_destination_keeps_its_deliveries_until_enabled(world: World) -> None:
    from dataclasses import replace

    await world.store.destinations.update(replace(world.destination, enabled=False))
    await world.ingest(world.message(1))
    assert await world.store.deliveries.claim_due(limit=10, lease_s=60) == []
    await world.store.destinations.update(replace(world.destination, enabled=True))
    assert len(await world.store.deliveries.claim_due(limit=10, lease_s=60)) == 1


async def test_statuses_only_move_forward(world: World) -> None:
    store, number = world.store, world.number
    await store.inbound.record_outbound(number, "15550001", "wamid.out", "text", {"type": "text"})

    async def status(name: str) -> None:
        update = StatusUpdate(
            wamid=Wamid("wamid.out"), phone_number_id=number.phone_number_id, status=name,
            timestamp=1, recipient_id="15550001", item={"status": name},
        )  # fmt: skip
        await store.inbound.ingest({number.phone_number_id: number}, IngestBatch(statuses=[update]))

    await status("read")
    await status("delivered")
    await status("sent")
    assert await store.inbound.outbound_status(number.id, "wamid.out") == "read"
    await status("failed")
    await status("read")
    assert await store.inbound.outbound_status(number.id, "wamid.out") == "failed"


async def test_duplicate_number_is_refused_alone(world: World) -> None:
    """In a group commit, one operation's unique violation rolls back only itself."""
    from dataclasses import replace

    dup = replace(world.number, id=new_id("num"))
    other = replace(world.number, id=new_id("num"), phone_number_id="1002")
    results = await asyncio.gather(
        world.store.numbers.create(dup), world.store.numbers.create(other), return_exceptions=True
    )
    assert isinstance(results[0], Duplicate)
    assert results[1] == other
    assert {
        n.phone_number_id for n in await world.store.numbers.of_tenant(world.number.tenant_id)
    } == {
        "1001",
        "1002",
    }


async def test_concurrent_claims_never_hand_out_a_delivery_twice(world: World) -> None:
    await world.ingest(*[world.message(0, sender=f"1555{i:04d}") for i in range(60)])
    batches = await asyncio.gather(
        *[world.store.deliveries.claim_due(limit=7, lease_s=60) for _ in range(12)]
    )
    ids = [c.id for batch in batches for c in batch]
    assert len(ids) == len(set(ids)) == 60


# --- the contact of outbound events ---------------------------------------------------------

ALL_EVENTS = ("message:in:new", "message:out:new", "message:out:ack", "message:out:failed")


async def _subscribe_to_everything(world: World) -> None:
    from dataclasses import replace

    await world.store.destinations.update(replace(world.destination, events=ALL_EVENTS))


async def _status(world: World, wamid: str, name: str, to: str) -> None:
    number = world.number
    update = StatusUpdate(
        wamid=Wamid(wamid), phone_number_id=number.phone_number_id, status=name,
        timestamp=1, recipient_id=to, item={"id": wamid, "status": name},
    )  # fmt: skip
    await world.store.inbound.ingest(
        {number.phone_number_id: number}, IngestBatch(statuses=[update])
    )


async def _claim_all(world: World) -> list[ClaimedDelivery]:
    """Every delivery, in order, each recorded as delivered once claimed."""
    claimed: list[ClaimedDelivery] = []
    while batch := await world.store.deliveries.claim_due(limit=10, lease_s=60):
        claimed += batch
        await world.finish(batch, ok=True)
    return claimed


async def test_outbound_events_carry_the_latest_inbound_contact(world: World) -> None:
    """Meta sends statuses without a contact; we give them the one of the conversation's
    latest inbound message that has one, verbatim (a Meta bot needs its ``user_id``)."""
    from dataclasses import replace

    await _subscribe_to_everything(world)
    older = world.message(1)
    newer = replace(
        world.message(2), contact={"profile": {"name": "Ann B."}, "wa_id": "15550001",
                                   "user_id": "US.7"},
    )  # fmt: skip
    number_change = replace(world.message(3, kind="system"), contact=None)
    await world.ingest(older, newer, number_change)
    await world.store.inbound.record_outbound(world.number, "15550001", "wamid.out", "text", {})
    await _status(world, "wamid.out", "sent", "15550001")
    await _status(world, "wamid.out", "failed", "15550001")
    events = [c.event for c in await _claim_all(world)]
    assert [e.event_type for e in events] == [
        "message:in:new", "message:in:new", "message:in:new",
        "message:out:new", "message:out:ack", "message:out:failed",
    ]  # fmt: skip
    assert [e.contact for e in events[:3]] == [older.contact, newer.contact, None]
    assert all(e.contact == newer.contact for e in events[3:])


async def test_without_an_inbound_contact_the_conversation_stands_in(world: World) -> None:
    """A conversation we opened (or whose messages came without contacts): its wa_id."""
    await _subscribe_to_everything(world)
    await world.store.inbound.record_outbound(world.number, "15550077", "wamid.first", "text", {})
    await _status(world, "wamid.first", "delivered", "15550077")
    events = [c.event for c in await _claim_all(world)]
    assert [e.event_type for e in events] == ["message:out:new", "message:out:ack"]
    assert all(e.contact == {"wa_id": "15550077"} for e in events)


async def test_a_named_conversation_without_inbound_contacts_lends_its_name(world: World) -> None:
    """The conversation's name stands in too, in Meta's shape (no inbound message holds a
    contact, e.g. once messages are pruned: here the conversation is written alone)."""
    from wahooks.store.base import FetchOne, Operation

    def named_conversation() -> Operation[None]:
        yield FetchOne(
            "upsert_conversation",
            {"id": new_id("conv"), "tenant_id": world.number.tenant_id,
             "number_id": world.number.id, "wa_id": "15550078", "user_id": None, "is_group": False,
             "contact_name": "Zed", "last_inbound_at": None, "activation_id": None,
             "now": world.clock.now},
        )  # fmt: skip

    await _subscribe_to_everything(world)
    await world.store.connector.transaction(named_conversation())
    await world.store.inbound.record_outbound(world.number, "15550078", "wamid.named", "text", {})
    (claimed,) = await _claim_all(world)
    assert claimed.event.contact == {"profile": {"name": "Zed"}, "wa_id": "15550078"}


async def test_a_status_that_overtakes_its_send_is_applied_when_the_send_is_recorded(
    world: World,
) -> None:
    """Meta may report 'sent' before the Graph API's answer reaches us (the simulator does,
    10 ms after a send): the stored status moves the message once it is recorded, with its
    message:out:ack event."""
    await _subscribe_to_everything(world)
    await _status(world, "wamid.fast", "sent", "15550079")  # before we know the wamid
    await world.store.inbound.record_outbound(world.number, "15550079", "wamid.fast", "text", {})
    assert await world.store.inbound.outbound_status(world.number.id, "wamid.fast") == "sent"
    events = [c.event.event_type for c in await _claim_all(world)]
    assert events == ["message:out:new", "message:out:ack"]


@pytest.mark.e2e
async def test_a_status_racing_its_send_is_never_lost(world: World) -> None:
    """The send's recording and its status's ingest running at the same time (PostgreSQL:
    two transactions, each of which could miss the other's row): every message ends 'sent'."""
    await _subscribe_to_everything(world)
    wamids = [f"wamid.race.{i}" for i in range(60)]

    async def send(wamid: str) -> None:
        await world.store.inbound.record_outbound(world.number, "15550080", wamid, "text", {})

    await asyncio.gather(
        *(step for w in wamids for step in (send(w), _status(world, w, "sent", "15550080")))
    )
    statuses = [await world.store.inbound.outbound_status(world.number.id, w) for w in wamids]
    assert statuses == ["sent"] * len(wamids)
    events = [c.event.event_type for c in await _claim_all(world)]
    assert events.count("message:out:ack") == len(wamids)


# --- heads: what an ordered claim may take ---------------------------------------------------


async def test_a_resent_earlier_delivery_takes_its_conversation_back(world: World) -> None:
    await world.ingest(world.message(1), world.message(2), world.message(3))
    first = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    await world.finish(first, ok=False, retry_in=None)  # failed: its conversation moves on
    second = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in second] == ["wamid.15550001.2"]
    await world.finish(second, ok=False, retry_in=5)
    assert await world.store.deliveries.resend(world.destination.tenant_id, first[0].id)
    world.clock.now += 5
    # The re-sent one is the earliest active again: it goes first, 2 waits behind it.
    again = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in again] == ["wamid.15550001.1"]
    await world.finish(again, ok=True)
    claimed = [c.event.item["id"] for c in await _claim_all(world)]
    assert claimed == ["wamid.15550001.2", "wamid.15550001.3"]


async def test_turning_ordering_off_and_on_recounts_the_heads(world: World) -> None:
    from dataclasses import replace

    await world.ingest(*[world.message(n) for n in range(4)])
    await world.store.destinations.update(replace(world.destination, ordered=False))
    loose = await world.store.deliveries.claim_due(limit=2, lease_s=60)
    assert len(loose) == 2  # one conversation, two at once: no order asked for
    await world.store.destinations.update(replace(world.destination, ordered=True))
    await world.finish(loose, ok=True)
    ordered = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in ordered] == ["wamid.15550001.2"]


async def test_a_head_finished_while_the_next_message_is_stored_is_not_missed(
    world: World,
) -> None:
    """Processes on PostgreSQL finish a head while another stores the conversation's next
    message; whichever commits first, the new delivery must become the head."""
    await world.ingest(world.message(0))
    for n in range(1, 40):
        claimed = await world.store.deliveries.claim_due(limit=10, lease_s=60)
        assert [c.event.item["id"] for c in claimed] == [f"wamid.15550001.{n - 1}"], n
        await asyncio.gather(world.finish(claimed, ok=True), world.ingest(world.message(n)))
    last = await world.store.deliveries.claim_due(limit=10, lease_s=60)
    assert [c.event.item["id"] for c in last] == ["wamid.15550001.39"]

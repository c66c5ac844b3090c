"""SQS destinations end to end: simulator → gateway → a FIFO queue on a real moto server, on
SQLite and PostgreSQL. Every message type arrives once, in order per conversation (each
conversation its own message group), verifiable from the message attributes; a queue
removed mid-run holds the deliveries back (``no_queue`` on their attempts) until it is
created again, and then everything arrives, nothing lost."""

from collections.abc import Sequence
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import RunningGateway, eventually, gateway_with_sim
from tests.delivery.brokers import Arrived
from tests.delivery.sqs import SqsReader, sqs_broker, sqs_queue
from tests.delivery.test_bus_delivery import ON, SECRET, assert_once_in_order_and_signed, create
from tests.destinations.helpers import deliveries, delivery
from wahooks.sim import MESSAGE_TYPES, Simulator

ALICE, BOB = "15554440001", "15554440002"


# ``system`` announces a user's new id, which moves (here: folds) conversations: the identity
# tests cover it; here it would move deliveries between conversations mid-test.
TYPES = [t for t in MESSAGE_TYPES if t != "system"]


async def every_type_and_texts(sim: Simulator) -> list[str]:
    """Every message type from one user, a text from another between each; the wamids."""
    alice, bob = sim.user(ALICE, "Alice"), sim.user(BOB, "Bob")
    sent = []
    for i, type_ in enumerate(TYPES):
        for result in (await sim.send(alice, type_), await sim.send(bob, "text", body=f"b{i}")):
            assert result.ok
            sent.append(result.messages[0]["id"])
    return sent


async def finished(g: RunningGateway, destination_id: str, count: int) -> list[Any]:
    """The destination's deliveries, oldest first, once ``count`` of them all succeeded."""

    async def check() -> list[Any] | None:
        listed = await deliveries(g, destinationId=destination_id, limit="200")
        done = len(listed) >= count and all(d["status"] == "succeeded" for d in listed)
        return list(reversed(listed)) if done else None

    result: list[Any] = await eventually(check, 60)
    return result


async def all_arrived(reader: SqsReader, count: int) -> list[Arrived]:
    async def check() -> list[Arrived] | None:
        got = await reader.read()
        assert len(got) <= count  # never more than there are deliveries
        return got if len(got) == count else None

    result: list[Arrived] = await eventually(check, 30)
    return result


def by_conversation(listed: Sequence[Any], ids: Sequence[str]) -> dict[str, list[str]]:
    conversation = {d["id"]: d["conversationId"] for d in listed}
    out: dict[str, list[str]] = {}
    for delivery_id in ids:
        out.setdefault(conversation[delivery_id], []).append(delivery_id)
    return out


async def test_every_message_type_arrives_once_in_order_and_verifies(
    database_url: str, sqs_endpoint: str
) -> None:
    async with (
        sqs_queue(sqs_endpoint) as reader,
        gateway_with_sim(database_url, **ON) as (g, sim),
    ):
        destination = await create(g, "sqs", sqs_broker(sqs_endpoint, reader.url))
        assert destination["broker"]["secretAccessKeySet"] is True
        sent = await every_type_and_texts(sim)
        # Every message sent became a delivery (edits and revokes as message:update,
        # reactions as message:reaction: the default events), and each one succeeded.
        listed = await finished(g, destination["id"], len(sent))
        assert {d["wamid"] for d in listed} >= set(sent) - {None}
        arrived = await all_arrived(reader, len(listed))
        webhook = Webhook(SECRET)
        for message in arrived:
            webhook.verify(message.body, message.headers)
        ids = [m.headers["webhook-id"] for m in arrived]
        # In order per conversation, each conversation its own FIFO message group.
        assert by_conversation(listed, ids) == by_conversation(listed, [d["id"] for d in listed])
        conversation = {d["id"]: d["conversationId"] for d in listed}
        assert reader.groups == [conversation[i] for i in ids]
        assert reader.dedup_ids == ids
        attempt = (await delivery(g, ids[0]))["attemptLog"][0]
        assert attempt["responseExcerpt"].startswith("message_id=") and attempt["error"] is None


@pytest.mark.e2e  # a real outage, several seconds of retries
async def test_a_removed_queue_holds_deliveries_until_it_is_back(
    database_url: str, sqs_endpoint: str
) -> None:
    async with (
        sqs_queue(sqs_endpoint) as reader,
        gateway_with_sim(database_url, **ON) as (g, sim),
    ):
        destination = await create(g, "sqs", sqs_broker(sqs_endpoint, reader.url))
        await send_texts(sim, range(0, 3))
        before = await all_arrived(reader, 6)
        await reader.remove()
        await send_texts(sim, range(3, 6))

        async def refused() -> Any:
            for item in await deliveries(g, destinationId=destination["id"]):
                log = (await delivery(g, item["id"]))["attemptLog"]
                if log and log[-1]["error"] == "no_queue":
                    return log[-1]
            return None

        attempt = await eventually(refused, 20)
        assert attempt["statusCode"] is None and "NonExistentQueue" in attempt["errorDetail"]
        await reader.create()  # the same name: the same URL
        after = await all_arrived(reader, 12)
        assert after[:6] == before
        assert_once_in_order_and_signed(after, 6)
        listed = await finished(g, destination["id"], 12)
        assert len(listed) == 12  # nothing lost, nothing failed


async def send_texts(sim: Simulator, numbers: range) -> None:
    """Texts ``<wa_id>-<i>`` from two users, interleaved (assert_once_in_order_and_signed's
    shape)."""
    for i in numbers:
        for wa_id in (ALICE, BOB):
            assert (await sim.send(sim.user(wa_id, "User"), "text", body=f"{wa_id}-{i}")).ok

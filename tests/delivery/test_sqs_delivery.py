"""SQS destinations end to end: simulator → gateway → a FIFO queue on a real moto server, on
SQLite and PostgreSQL. Every message type arrives once, in order per conversation (each
conversation its own message group), verifiable from the message attributes; a queue
removed mid-run holds the deliveries back (``no_queue`` on their attempts) until it is
created again, and then everything arrives, nothing lost."""

from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import eventually, gateway_with_sim
from tests.delivery.brokers import (
    ALICE,
    BOB,
    Arrived,
    by_conversation,
    every_type_and_texts,
    finished,
)
from tests.delivery.sqs import SqsReader, sqs_broker, sqs_queue
from tests.delivery.test_bus_delivery import ON, SECRET, assert_once_in_order_and_signed, create
from tests.destinations.helpers import deliveries, delivery
from wahooks.sim import Simulator


async def all_arrived(reader: SqsReader, count: int) -> list[Arrived]:
    async def check() -> list[Arrived] | None:
        got = await reader.read()
        assert len(got) <= count  # never more than there are deliveries
        return got if len(got) == count else None

    result: list[Arrived] = await eventually(check, 30)
    return result


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

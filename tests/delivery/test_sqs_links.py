"""The SQS sender against a real moto server, without a gateway around it: what a
SendMessage carries (the body, the signature headers as message attributes, a FIFO queue's
group and deduplication ids), and what each refusal is recorded as."""

import time
from dataclasses import replace

from standardwebhooks.webhooks import Webhook

from tests.delivery.sqs import KEY_ID, REGION, SECRET_KEY, sqs_queue
from tests.delivery.test_broker_links import SECRET, sender
from tests.destinations.helpers import dst
from tests.media.helpers import FixedResolver
from tests.moto_servers import moto_server
from wahooks.delivery.brokers.pool import BrokerPool
from wahooks.delivery.brokers.sender import BrokerSender
from wahooks.delivery.webhook import prepare
from wahooks.formats.samples import sample_event
from wahooks.media.addresses import AddressPolicy
from wahooks.models import AttemptResult, BrokerConfig, DeliveryId, Destination


def queue(endpoint: str, url: str, **config: str) -> Destination:
    broker = BrokerConfig(
        url=url,
        region=REGION,
        access_key_id=KEY_ID,
        secret_access_key=SECRET_KEY,
        endpoint_url=endpoint,
    )
    destination = dst(method="sqs", broker=replace(broker, **config))  # type: ignore[arg-type]
    return replace(destination, secret=SECRET, timeout_s=5.0)


async def attempt(
    s: BrokerSender, destination: Destination, webhook_id: str = "dlv_1"
) -> AttemptResult:
    """One attempt as the dispatcher makes it: with the event's conversation."""
    now = time.time()
    event = sample_event(destination, None, now)
    request = prepare(destination, event, webhook_id, now)
    answer = await s.exchange(destination, DeliveryId(webhook_id), request, event.conversation_id)
    return answer.result


async def test_a_fifo_send_is_confirmed_grouped_deduplicated_and_signed(
    sqs_endpoint: str,
) -> None:
    async with sqs_queue(sqs_endpoint) as reader:
        s = sender()
        destination = queue(sqs_endpoint, reader.url)
        result = await attempt(s, destination)
        assert result.error is None and result.confirmed, result
        assert (
            result.response_excerpt.startswith("message_id=") and " seq=" in result.response_excerpt
        )
        # A retry with the same webhook-id within SQS's deduplication interval is dropped
        # by SQS itself (answered as stored, so the attempt is finished).
        again = await attempt(s, destination)
        assert again.error is None, again
        (arrived,) = await reader.read()
        assert arrived.headers["webhook-id"] == "dlv_1"
        Webhook(SECRET).verify(arrived.body, arrived.headers)
        assert reader.dedup_ids == ["dlv_1"]
        # The sample event's conversation is the group.
        assert reader.groups == [sample_event(destination, None, 0).conversation_id]
        assert reader.groups[0]
        await s.pool.close()


async def test_a_standard_queue_gets_no_group(sqs_endpoint: str) -> None:
    async with sqs_queue(sqs_endpoint, fifo=False) as reader:
        s = sender()
        result = await attempt(s, queue(sqs_endpoint, reader.url))
        assert result.error is None and result.confirmed, result
        assert " seq=" not in result.response_excerpt
        (arrived,) = await reader.read()
        Webhook(SECRET).verify(arrived.body, arrived.headers)
        assert reader.groups == [""]
        await s.pool.close()


async def test_a_missing_queue_is_no_queue(sqs_endpoint: str) -> None:
    s = sender()
    missing = f"{sqs_endpoint}/123456789012/wahooks-no-such-queue.fifo"
    result = await attempt(s, queue(sqs_endpoint, missing))
    assert result.error == "no_queue", result
    assert result.status_code is None and not result.confirmed
    await s.pool.close()


async def test_unknown_credentials_are_access_refused() -> None:
    # moto checks signatures and IAM once its first request (the queue's creation) is done.
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "1"}) as endpoint:
        async with sqs_queue(endpoint) as reader:
            s = sender()
            result = await attempt(s, queue(endpoint, reader.url))
            assert result.error == "access_refused", result
            detail = "InvalidClientTokenId: The security token included in the request is invalid."
            assert result.error_detail == detail
            await s.pool.close()


async def test_a_forbidden_endpoint_is_refused_before_connecting(sqs_endpoint: str) -> None:
    s = BrokerSender(BrokerPool(AddressPolicy()))  # no loopback allowed
    url = f"{sqs_endpoint}/123456789012/q.fifo"
    result = await attempt(s, queue(sqs_endpoint, url))
    assert result.error == "forbidden_address", result
    assert "loopback" in (result.error_detail or "")
    await s.pool.close()


async def test_deleting_forgets_the_client(sqs_endpoint: str) -> None:
    async with sqs_queue(sqs_endpoint) as reader:
        s = sender()
        destination = queue(sqs_endpoint, reader.url)
        assert (await attempt(s, destination)).error is None
        assert len(s.pool) == 1
        await s.pool.forget(destination.id)
        assert len(s.pool) == 0
        await s.pool.close()


async def test_an_endpoint_whose_name_turns_to_loopback_is_refused_at_connect() -> None:
    # The name resolves to a public address when the pool vets it, then to loopback when
    # the client connects (a rebinding DNS): the client's own guard refuses the connection.
    resolver = FixedResolver({"sqs.rebind.example": [["93.184.216.34"], ["127.0.0.1"]]})
    s = BrokerSender(BrokerPool(AddressPolicy(), resolver=resolver))
    endpoint = "https://sqs.rebind.example"
    result = await attempt(s, queue(endpoint, f"{endpoint}/123456789012/q.fifo"))
    assert result.error == "forbidden_address", result
    assert resolver.lookups["sqs.rebind.example"] == 2  # vetted, then refused at connect
    await s.pool.close()

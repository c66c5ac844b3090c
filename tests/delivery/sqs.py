"""SQS queues on a moto server for the SQS destination tests: a fresh queue per test,
reading back what arrived with its message attributes, and removing and recreating the
queue (its URL stays the same, as on AWS)."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from aiobotocore.session import get_session

from tests.delivery.brokers import Arrived

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

REGION = "us-east-1"
KEY_ID = "AKIAWAHOOKSTEST00001"
SECRET_KEY = "wahooks-test-secret-access-key"


def sqs_broker(endpoint: str, queue_url: str) -> dict[str, Any]:
    """A destination's broker object (API field names) for the queue."""
    return {
        "url": queue_url,
        "region": REGION,
        "accessKeyId": KEY_ID,
        "secretAccessKey": SECRET_KEY,
        "endpointUrl": endpoint,
    }


@contextlib.asynccontextmanager
async def sqs_client(
    endpoint: str, key_id: str = KEY_ID, secret: str = SECRET_KEY
) -> AsyncIterator["SQSClient"]:
    async with get_session().create_client(
        "sqs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    ) as client:
        yield client


@contextlib.asynccontextmanager
async def sqs_queue(endpoint: str, *, fifo: bool = True) -> AsyncIterator["SqsReader"]:
    """A queue of its own (FIFO unless told), deleted afterwards."""
    async with sqs_client(endpoint) as client:
        reader = SqsReader(client, f"wahooks-t-{uuid.uuid4().hex[:12]}", fifo)
        await reader.create()
        try:
            yield reader
        finally:
            with contextlib.suppress(Exception):
                await client.delete_queue(QueueUrl=reader.url)


class SqsReader:
    def __init__(self, client: "SQSClient", name: str, fifo: bool) -> None:
        self._client = client
        self.name = name + (".fifo" if fifo else "")
        self.fifo = fifo
        self.url = ""
        self.arrived: list[Arrived] = []
        self.groups: list[str] = []  # each arrival's MessageGroupId (FIFO)
        self.dedup_ids: list[str] = []

    async def create(self) -> None:
        attributes = {"FifoQueue": "true"} if self.fifo else {}
        answer = await self._client.create_queue(QueueName=self.name, Attributes=attributes)
        self.url = answer["QueueUrl"]

    async def remove(self) -> None:
        await self._client.delete_queue(QueueUrl=self.url)

    async def read(self) -> list[Arrived]:
        """What arrived so far, in the order SQS hands it out (kept: each message is
        deleted once read)."""
        while True:
            answer = await self._client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            messages = answer.get("Messages", [])
            if not messages:
                return list(self.arrived)
            for message in messages:
                headers = {
                    name: value["StringValue"]
                    for name, value in message.get("MessageAttributes", {}).items()
                }
                self.arrived.append(Arrived(message["Body"].encode(), headers))
                attributes = message.get("Attributes", {})
                self.groups.append(attributes.get("MessageGroupId", ""))
                self.dedup_ids.append(attributes.get("MessageDeduplicationId", ""))
                await self._client.delete_message(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"]
                )

"""Amazon SQS: ``SendMessage`` to the destination's queue, finished on its answer (the
MessageId SQS gives a message it stored).

- **The message.** The body is the payload a webhook would get; the signature headers go in
  ``MessageAttributes`` (String attributes under their header names: ``webhook-id``,
  ``webhook-timestamp``, ``webhook-signature``, ...). A FIFO queue (its name ends in
  ``.fifo``) gets ``MessageGroupId`` = the conversation, so SQS too hands a conversation's
  messages out in order, and ``MessageDeduplicationId`` = the webhook-id, so SQS drops a
  retry of a message it stored within its 5-minute deduplication interval.
- **Credentials** are the destination's own, given explicitly: botocore never falls back to
  the gateway's environment, instance role or config files, which would let a tenant write
  to the operator's queues. The endpoint is explicit too (the destination's, or
  ``https://sqs.<region>.amazonaws.com``), so no ``AWS_ENDPOINT_URL*`` of the gateway's
  environment redirects it, and environment proxies are not used.
- **Addresses.** The pool vets the endpoint's host before the client exists (base.py); the
  client's own connector then vets every address it connects to (the guard's resolver and
  socket factory), so a TLS endpoint's later DNS answers are checked as well.
- **No retries inside.** botocore's retries are off: a SendMessage whose answer was lost,
  retried by botocore, would store the message twice on a standard queue without the
  attempt knowing; the delivery's retries decide instead (with the same webhook-id).
"""

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from aiohttp.abc import AbstractResolver
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from wahooks.delivery.brokers.base import (
    ACCESS_REFUSED,
    BROKER_ERROR,
    FORBIDDEN,
    NO_QUEUE,
    TIMEOUT,
    UNREACHABLE,
    BrokerFailure,
    BrokerMessage,
    Endpoint,
)
from wahooks.media.addresses import AddressPolicy
from wahooks.media.guard import ForbiddenAddress, GuardedResolver, guarded_socket_factory
from wahooks.models import BrokerConfig

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import MessageAttributeValueTypeDef

log = logging.getLogger(__name__)

# SQS's error codes (the JSON protocol's and the query protocol's names of the same error).
MISSING_QUEUE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
REFUSED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidSecurity",
        "MissingAuthenticationToken",
        "ExpiredToken",
        "KMS.AccessDeniedException",
    }
)
FIFO_SUFFIX = ".fifo"
# An error body botocore could not parse (an XML answer to the JSON protocol, as moto's IAM
# checks give): its code and message are read from the text.
XML_CODE = re.compile(r"<Code>([^<]{1,128})</Code>")
XML_MESSAGE = re.compile(r"<Message>([^<]{0,512})</Message>")
KEEPALIVE_S = 30.0


def aws_endpoint(region: str) -> str:
    return f"https://sqs.{region}.amazonaws.com"


def endpoint_of(config: BrokerConfig) -> str:
    """Where the client connects: the destination's endpoint, or AWS's for its region."""
    return config.endpoint_url or aws_endpoint(config.region or "")


def is_fifo(queue_url: str) -> bool:
    return queue_url.rstrip("/").endswith(FIFO_SUFFIX)


def _refusal(exc: Exception, timeout_s: float) -> BrokerFailure:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        if (found := XML_CODE.search(message)) is not None:
            said = XML_MESSAGE.search(message)
            code, message = found[1], said[1] if said is not None else ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{code}: {message}" if message else code
        if code in MISSING_QUEUE:
            return BrokerFailure(NO_QUEUE, text)
        if code in REFUSED or status in (401, 403):
            return BrokerFailure(ACCESS_REFUSED, text)
        return BrokerFailure(BROKER_ERROR, text)
    # aiohttp wraps what the socket factory raised: the guard refused a resolved address.
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ForbiddenAddress):
            return BrokerFailure(FORBIDDEN, str(cause))
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, TimeoutError | ReadTimeoutError):
        return BrokerFailure(TIMEOUT, f"no SendMessage answer within {timeout_s:g} s")
    if isinstance(exc, ConnectTimeoutError):
        return BrokerFailure(UNREACHABLE, f"no connection within {timeout_s:g} s")
    if isinstance(exc, EndpointConnectionError | aiohttp.ClientError | OSError):
        return BrokerFailure(UNREACHABLE, f"{type(exc).__name__}: {exc}")
    return BrokerFailure(BROKER_ERROR, f"{type(exc).__name__}: {exc}")


class SqsLink:
    def __init__(
        self, client: "SQSClient", exit_stack: contextlib.AsyncExitStack, config: BrokerConfig
    ) -> None:
        self._client = client
        self._exit_stack = exit_stack
        self._queue_url = config.url
        self._fifo = is_fifo(config.url)
        self._closed = False

    @classmethod
    def opener(
        cls, policy: AddressPolicy, resolver: AbstractResolver | None = None
    ) -> Callable[[BrokerConfig, Endpoint, float], Awaitable["SqsLink"]]:
        """The pool's opener for SQS: its client's connector is guarded by ``policy``."""

        async def open_link(config: BrokerConfig, endpoint: Endpoint, timeout_s: float) -> SqsLink:
            return await cls.open(config, endpoint, timeout_s, policy, resolver)

        return open_link

    @classmethod
    async def open(
        cls,
        config: BrokerConfig,
        endpoint: Endpoint,
        timeout_s: float,
        policy: AddressPolicy,
        resolver: AbstractResolver | None = None,
    ) -> "SqsLink":
        """A client for the queue. Nothing is sent yet: SQS is plain HTTPS, its connections
        are made (and remade after a loss) by the client's connector per request."""
        aio_config = AioConfig(
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"total_max_attempts": 1, "mode": "standard"},
            proxies={},
            max_pool_connections=16,
            connector_args={
                "resolver": GuardedResolver(policy, resolver),
                "socket_factory": guarded_socket_factory(policy),
                "keepalive_timeout": KEEPALIVE_S,
            },
        )
        exit_stack = contextlib.AsyncExitStack()
        try:
            client = await exit_stack.enter_async_context(
                get_session().create_client(
                    "sqs",
                    region_name=config.region,
                    # The vetted address for plain HTTP (no second lookup), the name for TLS.
                    endpoint_url=endpoint.url(),
                    aws_access_key_id=config.access_key_id,
                    aws_secret_access_key=config.secret_access_key,
                    config=aio_config,
                )
            )
        except (BotoCoreError, ValueError) as exc:
            await exit_stack.aclose()
            raise BrokerFailure(BROKER_ERROR, f"{type(exc).__name__}: {exc}") from exc
        return cls(client, exit_stack, config)

    @property
    def usable(self) -> bool:
        return not self._closed

    async def publish(self, message: BrokerMessage) -> str:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in message.headers.items()
        }
        options: dict[str, str] = {}
        if self._fifo:
            options["MessageGroupId"] = message.group
            options["MessageDeduplicationId"] = message.message_id
        try:
            body = message.body.decode()
            async with asyncio.timeout(message.timeout_s):
                answer = await self._client.send_message(
                    QueueUrl=self._queue_url,
                    MessageBody=body,
                    MessageAttributes=attributes,
                    **options,  # type: ignore[arg-type]
                )
        except UnicodeDecodeError as exc:
            raise BrokerFailure(BROKER_ERROR, "the body is not UTF-8 text") from exc
        except Exception as exc:
            raise _refusal(exc, message.timeout_s) from exc
        said = f"message_id={answer.get('MessageId', '')}"
        if "SequenceNumber" in answer:
            said += f" seq={answer['SequenceNumber']}"
        return said

    async def close(self) -> None:
        self._closed = True
        try:
            await self._exit_stack.aclose()
        except Exception as exc:
            log.debug("closing sqs client: %s", exc)

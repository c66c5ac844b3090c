"""RabbitMQ (AMQP 0-9-1): publish to the destination's exchange with its routing key,
mandatory, on a channel in publisher-confirm mode; finished on the broker's ack.

A mandatory message that no queue takes comes back (``basic.return``): the attempt fails
as ``unroutable`` instead of the message vanishing. An exchange that does not exist closes
the channel (404): ``no_exchange``, and the next attempt opens a new channel. The message
is persistent, its ``message_id`` the webhook-id, its headers the signature headers, its
content type application/json.
"""

import logging

import aio_pika
import aio_pika.exceptions
import aiormq.exceptions
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from wahooks.delivery.brokers.base import (
    ACCESS_REFUSED,
    NACKED,
    NO_EXCHANGE,
    TIMEOUT,
    UNREACHABLE,
    UNROUTABLE,
    BrokerFailure,
    BrokerMessage,
    Endpoint,
)
from wahooks.models import BrokerConfig

log = logging.getLogger(__name__)


def _refusal(exc: BaseException) -> BrokerFailure:
    text = str(exc) or type(exc).__name__
    if isinstance(
        exc,
        aiormq.exceptions.AuthenticationError
        | aiormq.exceptions.ProbableAuthenticationError
        | aiormq.exceptions.ChannelAccessRefused
        | aiormq.exceptions.ConnectionNotAllowed,
    ):
        return BrokerFailure(ACCESS_REFUSED, text, drop=True)
    if isinstance(exc, aiormq.exceptions.ChannelNotFoundEntity):
        return BrokerFailure(NO_EXCHANGE, text)
    return BrokerFailure(UNREACHABLE, f"{type(exc).__name__}: {text}", drop=True)


class AmqpLink:
    def __init__(self, connection: AbstractConnection, config: BrokerConfig) -> None:
        self._connection = connection
        self._exchange_name = config.exchange or ""
        self._routing_key = config.routing_key or ""
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    @classmethod
    async def open(cls, config: BrokerConfig, endpoint: Endpoint, timeout_s: float) -> "AmqpLink":
        try:
            connection = await aio_pika.connect(
                host=endpoint.address,
                port=endpoint.port,
                login=endpoint.username or "guest",
                password=endpoint.password or "guest",
                virtualhost=endpoint.path or "/",
                ssl=endpoint.tls,
                timeout=timeout_s,
                client_properties={"connection_name": "wahooks"},
            )
        except Exception as exc:
            raise _refusal(exc) from exc
        return cls(connection, config)

    @property
    def usable(self) -> bool:
        return not self._connection.is_closed

    async def _target(self) -> AbstractExchange:
        """The exchange on a live confirm-mode channel (a new one after a 404 closed it)."""
        if self._channel is None or self._channel.is_closed or self._exchange is None:
            self._channel = await self._connection.channel(
                publisher_confirms=True, on_return_raises=True
            )
            if self._exchange_name:
                # ensure=False: no passive declare round trip; a missing exchange shows on
                # the publish as a 404.
                self._exchange = await self._channel.get_exchange(self._exchange_name, ensure=False)
            else:
                self._exchange = self._channel.default_exchange
        return self._exchange

    async def publish(self, message: BrokerMessage) -> str:
        amqp_message = aio_pika.Message(
            message.body,
            headers=dict(message.headers),
            content_type="application/json",
            message_id=message.message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            exchange = await self._target()
            await exchange.publish(
                amqp_message, self._routing_key, mandatory=True, timeout=message.timeout_s
            )
        except aio_pika.exceptions.PublishError as exc:
            raise BrokerFailure(
                UNROUTABLE,
                f"returned: no queue bound to exchange {self._exchange_name!r} takes routing "
                f"key {self._routing_key!r}",
            ) from exc
        except aio_pika.exceptions.DeliveryError as exc:
            raise BrokerFailure(NACKED, f"the broker refused the message: {exc}") from exc
        except TimeoutError as exc:
            raise BrokerFailure(TIMEOUT, f"no confirm within {message.timeout_s:g} s") from exc
        except Exception as exc:
            self._channel = None  # a closed channel (404, 403) is not reused
            raise _refusal(exc) from exc
        return "confirmed"

    async def close(self) -> None:
        try:
            await self._connection.close()
        except Exception as exc:
            log.debug("closing amqp connection: %s", exc)

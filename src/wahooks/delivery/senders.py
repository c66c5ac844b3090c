"""The sender seam: an attempt goes out by its destination's method, a POST for a webhook
or a publish into a message bus (brokers/), and comes back as the same Answer."""

from wahooks.delivery.brokers.sender import BrokerSender
from wahooks.delivery.webhook import Answer, PreparedRequest, WebhookSender
from wahooks.models import BROKER_METHODS, DeliveryId, Destination


class Senders:
    def __init__(self, webhook: WebhookSender, brokers: BrokerSender) -> None:
        self.webhook = webhook
        self.brokers = brokers

    async def exchange(
        self,
        destination: Destination,
        delivery_id: DeliveryId,
        request: PreparedRequest,
        conversation_id: str = "",
    ) -> Answer:
        if destination.method in BROKER_METHODS:
            return await self.brokers.exchange(destination, delivery_id, request, conversation_id)
        return await self.webhook.exchange(delivery_id, request)

    async def forget(self, destination_id: str) -> None:
        """A destination is gone: close its broker connection, if it has one."""
        await self.brokers.pool.forget(destination_id)

    async def close(self) -> None:
        await self.brokers.pool.close()

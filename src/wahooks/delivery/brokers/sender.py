"""One message-bus attempt: the prepared request (rendered and signed as for a webhook)
published through the pool, the outcome recorded like a webhook attempt's.

The attempt has no status code; ``confirmed`` says the broker took it (health and the
circuit count that as an answer), the excerpt what the broker said (a stream sequence, an
entry id), and a refusal's kind is the error (base.py lists them).
"""

import time

from wahooks.delivery.brokers.base import BrokerFailure, BrokerMessage
from wahooks.delivery.brokers.pool import BrokerPool
from wahooks.delivery.webhook import Answer, PreparedRequest
from wahooks.models import AttemptResult, Clock, DeliveryId, Destination

# Of the webhook's headers, what a consumer needs beside the body: the signatures (and
# previous ones during a rotation) and webhook-id / webhook-timestamp.
NOT_FORWARDED = frozenset({"Content-Type", "User-Agent"})


def broker_message(request: PreparedRequest, group: str) -> BrokerMessage:
    headers = {k: v for k, v in request.headers.items() if k not in NOT_FORWARDED}
    return BrokerMessage(request.body, headers, headers["webhook-id"], request.timeout_s, group)


class BrokerSender:
    def __init__(self, pool: BrokerPool, *, clock: Clock = time.time) -> None:
        self.pool = pool
        self._clock = clock

    async def exchange(
        self,
        destination: Destination,
        delivery_id: DeliveryId,
        request: PreparedRequest,
        conversation_id: str = "",
    ) -> Answer:
        """``conversation_id``: the order to keep where the broker keeps one (SQS FIFO's
        message group); events of no conversation share the destination's group."""
        started = self._clock()
        t0 = time.perf_counter()
        error: str | None = None
        detail: str | None = None
        said = ""
        try:
            message = broker_message(request, conversation_id or destination.id)
            said = await self.pool.publish(destination, message)
        except BrokerFailure as failure:
            error, detail = failure.kind, failure.detail
        latency_ms = (time.perf_counter() - t0) * 1000
        return Answer(
            AttemptResult(
                delivery_id=delivery_id,
                started_at=started,
                status_code=None,
                latency_ms=round(latency_ms, 3),
                response_excerpt=said,
                error=error,
                error_detail=detail,
                confirmed=error is None,
            )
        )

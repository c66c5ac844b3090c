"""A reply in a webhook's answer (``FormatSpec.reply``: the ``whatspie`` format).

After a delivered ``message:in:new``, the response body is read with the format's parser. A
valid reply goes to the ``ReplySender`` (send/), which sends it in the background and, if a
message of it cannot be sent (a file that cannot be fetched, Graph refusing), records that
beside the attempt (channel ``reply``); an invalid one is noted on the attempt
(``error_detail``) and sends nothing. Either way the delivery itself succeeded: the
receiver has the message.
"""

import logging
from dataclasses import replace

from wahooks.delivery.webhook import REPLY_MAX_BYTES, Answer
from wahooks.formats import SPECS
from wahooks.models import AttemptResult, ClaimedDelivery, EventType
from wahooks.send.replies import ReplyOrigin, ReplySender

log = logging.getLogger(__name__)

TOO_BIG = f"reply: the response body is over {REPLY_MAX_BYTES} bytes; nothing sent back"


def take_reply(delivery: ClaimedDelivery, answer: Answer, sender: ReplySender) -> AttemptResult:
    """Hand the reply in ``answer`` to ``sender``; returns the attempt, with a note when the
    body was not a valid reply."""
    result = answer.result
    parse = SPECS[delivery.destination.format].reply
    event = delivery.event
    # Only a user's message can be answered; a test delivery has no conversation to answer in.
    if parse is None or not result.succeeded or event.test:
        return result
    if event.event_type != EventType.MESSAGE_IN_NEW:
        return result
    if answer.body_cut:
        return replace(result, error_detail=TOO_BIG)
    try:
        reply = parse(answer.body, str(event.item.get("id") or ""))
        if reply.error is not None:
            return replace(result, error_detail=reply.error)
        sender.submit(
            delivery.destination.tenant_id,
            event.conversation_id,
            reply.messages,
            why=f"delivery {delivery.id}",
            origin=ReplyOrigin(delivery.id, delivery.total_attempts + 1, result.started_at),
        )
    except Exception as exc:  # the receiver has the message: a bug here must not resend it
        log.exception("the reply to delivery %s could not be read", delivery.id)
        return replace(
            result, error_detail=f"reply: not read ({type(exc).__name__}); nothing sent back"
        )
    return result

"""Which claimed deliveries share one POST: the format's batch rule (pure).

A format may send some event types batched (``FormatSpec.batch``: Wassenger's
``message:out:failed``, up to 25 per POST). Deliveries claimed together of such a type, to
the same destination, go out in one request; every other delivery goes alone.

Order does not apply to what is batched: the store inserts deliveries of a format's batched
event types outside their conversation's queue (``models.UNORDERED_EVENTS``; Wassenger's
failure notices), so a claim takes every due one, several of one conversation among them,
and a batch gathers up to 25 across conversations, in claim order (oldest first). Every
other delivery of an ``ordered`` destination is still claimed only as its conversation's
head, one at a time.
"""

from collections.abc import Sequence

from wahooks.digests import sha256_hex
from wahooks.formats import SPECS
from wahooks.models import ClaimedDelivery


def batches(claimed: Sequence[ClaimedDelivery]) -> list[list[ClaimedDelivery]]:
    """One list per POST, each in claim order; lists in the order of their first member."""
    groups: list[list[ClaimedDelivery]] = []
    open_groups: dict[tuple[str, str], list[ClaimedDelivery]] = {}
    for delivery in claimed:
        destination, event_type = delivery.destination, delivery.event.event_type
        rule = SPECS[destination.format].batch
        if rule is None or event_type not in rule.events:
            groups.append([delivery])
            continue
        key = (destination.id, event_type)
        group = open_groups.get(key)
        if group is None or len(group) >= rule.max_size:
            group = open_groups[key] = []
            groups.append(group)
        group.append(delivery)
    return groups


def webhook_id(group: Sequence[ClaimedDelivery]) -> str:
    """A lone delivery's own id. A batch's is derived from its members: a retry of the same
    batch repeats it, so a receiver deduplicating on ``webhook-id`` drops only a true repeat,
    and a batch of other members (regrouped on retry) never looks like one it has seen."""
    if len(group) == 1:
        return group[0].id
    members = "\n".join(sorted(d.id for d in group)).encode()
    return "batch_" + sha256_hex(members)[:32]

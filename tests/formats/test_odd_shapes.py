"""Every format renders or visibly skips whatever shape Meta's objects take: a field of the
wrong type (a list where an object was expected, a number for a text...) is rendered as
absent, never an exception that would fail the delivery and hold up its conversation."""

import itertools
from typing import Any

from wahooks.formats import FORMATS, SkipEvent
from wahooks.models import MessageEvent

ODD: list[Any] = [
    None, 5, "x", [], [1], {}, True,
    {"body": 5, "type": 5, "id": [], "name": 5, "phones": 5},
    [{"name": 5, "phones": [5, {"type": []}]}],
]  # fmt: skip
TYPES = [
    "text", "image", "audio", "video", "document", "sticker", "location", "contacts",
    "reaction", "interactive", "button", "order", "system", "edit", "revoke", "unsupported",
]  # fmt: skip
EVENTS = ["message:in:new", "message:update", "message:reaction", "message:out:new",
          "message:out:ack", "message:out:failed"]  # fmt: skip
PLACES = ["", "context", "timestamp", "from", "referral", "errors"]


def odd_event(event_type: str, kind: str, value: Any, place: str, contact_shape: int) -> Any:
    item: dict[str, Any] = {"from": "155", "id": "wamid.x", "type": kind, kind: value,
                            "timestamp": "1700000000"}  # fmt: skip
    if place:
        item[place] = value
    contact = [
        None,
        {"profile": value, "wa_id": value},
        {"profile": {"name": value, "username": value}, "user_id": value},
    ][contact_shape]
    status = None
    if event_type.startswith("message:out:"):
        status = {"status": value, "timestamp": value, "errors": value, "id": value}
    return MessageEvent(
        event_type=event_type, number_id="num_1", display_phone_number="15550001111",
        phone_number_id="1001", waba_id="2002", conversation_id="conv_1", label=None,
        item=item, contact=contact, status=status,
    )  # fmt: skip


def test_no_format_fails_on_an_odd_shape() -> None:
    failures = []
    combos = itertools.product(EVENTS, TYPES, ODD, PLACES, range(3))
    rendered = 0
    for event_type, kind, value, place, contact_shape in combos:
        event = odd_event(event_type, kind, value, place, contact_shape)
        for name, render in FORMATS.items():
            try:
                render(event)
                rendered += 1
            except SkipEvent:
                pass
            except Exception as exc:  # what this test is for
                failures.append((name, event_type, kind, repr(value), place, repr(exc)))
    assert failures == [], failures[:5]
    assert rendered > 10_000  # the product above, not an empty loop

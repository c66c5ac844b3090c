"""destination:disabled in each payload format: the pipes format has a shape for it, the
formats of other services skip it (SkipEvent), and the socket frame carries it."""

import orjson
import pytest

from tests.destinations.helpers import dst
from wahooks.formats import FORMATS, SPECS, SkipEvent
from wahooks.models import ClaimedDelivery, DeliveryId, EventType, MessageEvent
from wahooks.socket.frames import delivery_frame

DATA = {
    "destinationId": "dst_1",
    "url": "https://example.com/hook",
    "reason": "receiver answered 410 Gone",
    "failures": 1,
    "failingSince": "2024-05-01T10:00:00.000Z",
    "disabledAt": "2024-05-01T11:00:00.000Z",
}
NOTICE = MessageEvent(
    event_type=EventType.DESTINATION_DISABLED.value,
    number_id="",
    display_phone_number="",
    phone_number_id="",
    waba_id="",
    conversation_id="",
    label=None,
    item={},
    contact=None,
    data=DATA,
)


def test_pipes_renders_the_notice() -> None:
    payload = orjson.loads(FORMATS["pipes"](NOTICE))
    assert payload == {
        "object": "wahooks",
        "event": "destination:disabled",
        "data": DATA,
        "pipes": {"event": "destination:disabled"},
    }


@pytest.mark.parametrize("name", sorted(set(SPECS) - {"pipes"}))
def test_other_formats_skip_it(name: str) -> None:
    assert EventType.DESTINATION_DISABLED.value not in SPECS[name].events
    with pytest.raises(SkipEvent) as skipped:
        FORMATS[name](NOTICE)
    assert "destination:disabled" in skipped.value.reason


def test_the_socket_frame() -> None:
    claimed = ClaimedDelivery(id=DeliveryId("dlv_1"), attempts=0, destination=dst(), event=NOTICE)
    frame = orjson.loads(delivery_frame(claimed))
    assert frame == {"type": "destination_disabled", "data": {"deliveryId": "dlv_1", **DATA}}

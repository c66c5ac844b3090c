"""A username user whose number Meta withholds, in the formats whose seeds predate usernames:
named by business-scoped user id (BSUID) under our own field names, never as a fake phone
number; a user with a number keeps the seed's shape."""

import orjson

from wahooks.formats import FORMATS
from wahooks.models import ClaimedDelivery, DeliveryId, Destination, MessageEvent
from wahooks.socket.frames import delivery_frame

BSUID = "US.13491208655302741918"
HIDDEN = {"profile": {"name": "Jane", "username": "@jane"}, "user_id": BSUID}


def event(contact: dict[str, object], item_from: dict[str, str]) -> MessageEvent:
    return MessageEvent(
        event_type="message:in:new", number_id="num_1", display_phone_number="15550001111",
        phone_number_id="1001", waba_id="2002", conversation_id="conv_1", label=None,
        item={**item_from, "id": "wamid.1", "timestamp": "1764748800", "type": "text",
              "text": {"body": "hi"}},
        contact=contact, wa_id=BSUID if "from" not in item_from else item_from["from"],
    )  # fmt: skip


PHONE_LESS = event(HIDDEN, {"from_user_id": BSUID})
WITH_PHONE = event({**HIDDEN, "wa_id": "15551112222"}, {"from": "15551112222"})


def test_the_socket_frame_names_a_phone_less_user_by_bsuid_and_username() -> None:
    destination = Destination(
        id="dst_1", tenant_id="ten_1", number_id=None, url="", secret="s" * 20, label=None,
        format="pipes", timeout_s=5, retry_schedule=(0,), enabled=True, disabled_reason=None,
        created_at=0.0, method="socket",
    )  # fmt: skip
    frame = orjson.loads(delivery_frame(ClaimedDelivery(
        id=DeliveryId("dlv_1"), attempts=0, destination=destination, event=PHONE_LESS
    )))["data"]  # fmt: skip
    assert frame["fromNumber"] is None
    assert frame["fromUserId"] == BSUID and frame["fromUsername"] == "@jane"
    shown = orjson.loads(delivery_frame(ClaimedDelivery(
        id=DeliveryId("dlv_2"), attempts=0, destination=destination, event=WITH_PHONE
    )))["data"]  # fmt: skip
    assert shown["fromNumber"] == "+15551112222" and shown["fromUserId"] == BSUID


def test_whatspie_names_a_phone_less_user_by_bsuid_only_when_the_number_is_withheld() -> None:
    hidden = orjson.loads(FORMATS["whatspie"](PHONE_LESS))
    assert hidden["from"] == BSUID
    assert hidden["from_user"]["userId"] == BSUID and hidden["from_user"]["username"] == "@jane"
    shown = orjson.loads(FORMATS["whatspie"](WITH_PHONE))
    assert shown["from"] == "15551112222" and set(shown["from_user"]) == {"name", "jid"}


def test_wassenger_carries_the_ids_in_its_wahooks_object() -> None:
    payload = orjson.loads(FORMATS["wassenger"](PHONE_LESS))
    assert payload["wahooks"]["userId"] == BSUID and payload["wahooks"]["username"] == "@jane"

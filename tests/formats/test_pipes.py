"""The ``pipes`` payload format, field by field against seed 001 (copied next to the golden
files in tests/fixtures/formats/pipes/, so the suite is self-contained).

Three layers: the seed's own examples rendered back exactly; one golden file per message type
with a realistic Meta item as input; and the rules (timestamps, label, test, media) one by one.
An end-to-end test at the bottom checks the same shape on what a real receiver gets.
"""

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination
from wahooks.demo.receiver import Receiver
from wahooks.formats import DEFAULT_FORMAT, FORMATS, pipes
from wahooks.models import MediaInfo, MessageEvent
from wahooks.sim import Simulator

HERE = Path(__file__).parents[1] / "fixtures" / "formats" / "pipes"
SEED = HERE / "seed_001_39fdefcce81a6fc5.txt"
SEED_TYPES = ("text", "image", "audio", "video", "document", "sticker", "location", "contacts",
              "reaction")  # fmt: skip
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
SEED_TS = int(datetime(2025, 1, 15, 10, 30, tzinfo=UTC).timestamp())


def seed_objects() -> list[Any]:
    """Every JSON object written in the seed, in order."""
    text = SEED.read_text()
    decoder = json.JSONDecoder()
    found, i = [], 0
    while (start := text.find("{", i)) >= 0:
        try:
            obj, i = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        found.append(obj)
    return found


SEED_OBJECTS = seed_objects()
SEED_ENVELOPE = SEED_OBJECTS[0]
SEED_TYPE_EXAMPLES = {o["type"]: o for o in SEED_OBJECTS if "type" in o}
SEED_MEDIA_PIPES = next(o["pipes"] for o in SEED_OBJECTS if set(o) == {"pipes"})


def render(event: MessageEvent) -> Any:
    body = pipes.render(event)
    assert isinstance(body, bytes)
    return orjson.loads(body)


def event(**overrides: Any) -> MessageEvent:
    """The seed's text message as a MessageEvent, as Meta sent it (Unix timestamp)."""
    fields: dict[str, Any] = {
        "event_type": "message:in:new",
        "number_id": "pool_number_id",
        "display_phone_number": "15551234567",
        "phone_number_id": "106540352242922",
        "waba_id": "102290129340398",
        "conversation_id": "conv_xyz789",
        "label": "support",
        "item": {
            "id": "msg_abc123",
            "from": "15559876543",
            "timestamp": str(SEED_TS),
            "type": "text",
            "text": {"body": "Hello from WhatsApp!"},
        },
        "contact": {"profile": {"name": "Jane Doe"}, "wa_id": "15559876543"},
    }
    fields.update(overrides)
    return MessageEvent(**fields)


def value_of(payload: Any) -> Any:
    return payload["entry"][0]["changes"][0]["value"]


# --- the seed, reproduced ----------------------------------------------------------------


def test_the_seed_lists_the_types_we_cover() -> None:
    assert set(SEED_TYPE_EXAMPLES) == set(SEED_TYPES)


def test_the_seed_envelope_is_reproduced_exactly() -> None:
    assert render(event()) == SEED_ENVELOPE


def test_envelope_keys_at_every_level() -> None:
    payload = render(event())
    assert list(payload) == ["object", "entry", "pipes"]
    assert payload["object"] == "whatsapp_business_account"
    assert len(payload["entry"]) == 1
    entry = payload["entry"][0]
    assert set(entry) == {"id", "changes"}
    assert len(entry["changes"]) == 1
    change = entry["changes"][0]
    assert set(change) == {"value", "field"}
    assert change["field"] == "messages"
    value = change["value"]
    assert set(value) == {"messaging_product", "metadata", "messages", "contacts"}
    assert value["messaging_product"] == "whatsapp"
    assert set(value["metadata"]) == {"display_phone_number", "phone_number_id"}
    assert len(value["messages"]) == 1
    assert len(value["contacts"]) == 1
    assert set(payload["pipes"]) == {"conversationId", "poolNumberId", "label"}


@pytest.mark.parametrize("type_", SEED_TYPES)
def test_every_seed_message_type_passes_through_with_an_iso_timestamp(type_: str) -> None:
    example = SEED_TYPE_EXAMPLES[type_]
    item = {"id": "msg_abc123", "from": "15559876543", "timestamp": str(SEED_TS), **example}
    payload = render(event(item=item))
    value = value_of(payload)
    assert value["messages"] == [
        {
            "id": "msg_abc123",
            "from": "15559876543",
            "timestamp": "2025-01-15T10:30:00.000Z",
            **example,
        }
    ]
    assert value["contacts"] == [{"profile": {"name": "Jane Doe"}, "wa_id": "15559876543"}]


def test_the_seed_media_example_is_reproduced_exactly() -> None:
    example = SEED_TYPE_EXAMPLES["image"]
    item = {"id": "msg_abc123", "from": "15559876543", "timestamp": str(SEED_TS), **example}
    media = MediaInfo(media_id="aBcDeFgHiJkLmNoPqRs1t", mime_type="image/jpeg", byte_size=245120)
    payload = render(event(item=item, label=None, media=media))
    assert payload["pipes"] == SEED_MEDIA_PIPES


# --- golden files: realistic Meta input, expected output -----------------------------------


def golden(type_: str) -> tuple[MessageEvent, Any]:
    data = json.loads((HERE / f"{type_}.json").read_text())
    given = dict(data["input"])
    media = given.pop("media")
    ev = MessageEvent(
        event_type="message:in:new",
        media=None if media is None else MediaInfo(**media),
        **given,
    )
    return ev, data["expected"]


@pytest.mark.parametrize("type_", SEED_TYPES)
def test_golden(type_: str) -> None:
    ev, expected = golden(type_)
    assert ev.item["type"] == type_
    assert render(ev) == expected


@pytest.mark.parametrize("type_", SEED_TYPES)
def test_golden_ids_and_numbers(type_: str) -> None:
    ev, _ = golden(type_)
    payload = render(ev)
    value = value_of(payload)
    # Our number id everywhere the seed says pool_number_id; Meta's ids never leak there.
    assert payload["entry"][0]["id"] == ev.number_id
    assert value["metadata"]["phone_number_id"] == ev.number_id
    assert payload["pipes"]["poolNumberId"] == ev.number_id
    assert ev.phone_number_id not in orjson.dumps(payload).decode()
    assert ev.waba_id not in orjson.dumps(payload).decode()
    assert value["metadata"]["display_phone_number"] == "+15551234567"
    assert payload["pipes"]["conversationId"] == "conv_xyz789"
    assert value["messages"][0]["timestamp"] == "2025-01-15T10:30:00.000Z"
    assert ("media" in payload["pipes"]) == (type_ in MEDIA_TYPES)


# --- the rules one by one -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("unix", "iso"),
    [
        ("1736937000", "2025-01-15T10:30:00.000Z"),
        (1736937000, "2025-01-15T10:30:00.000Z"),
        ("1697043223", "2023-10-11T16:53:43.000Z"),
        ("0", "1970-01-01T00:00:00.000Z"),
        ("4102444799", "2099-12-31T23:59:59.000Z"),
    ],
)
def test_iso8601_timestamps(unix: Any, iso: str) -> None:
    assert pipes.iso8601(unix) == iso
    item = {**event().item, "timestamp": unix}
    assert value_of(render(event(item=item)))["messages"][0]["timestamp"] == iso


def test_timestamp_shape_is_iso8601_utc_with_milliseconds() -> None:
    stamp = value_of(render(event()))["messages"][0]["timestamp"]
    parsed = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert parsed.timestamp() == SEED_TS
    assert len(stamp) == len("2025-01-15T10:30:00.000Z")


def test_an_unreadable_timestamp_is_kept_rather_than_dropped() -> None:
    item = {**event().item, "timestamp": "not-a-time"}
    assert value_of(render(event(item=item)))["messages"][0]["timestamp"] == "not-a-time"


def test_the_event_item_is_not_modified() -> None:
    ev = event()
    render(ev)
    assert ev.item["timestamp"] == str(SEED_TS)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("15551234567", "+15551234567"), ("+15551234567", "+15551234567"), ("", "")],
)
def test_display_number_has_a_plus(raw: str, shown: str) -> None:
    payload = render(event(display_phone_number=raw))
    assert value_of(payload)["metadata"]["display_phone_number"] == shown


@pytest.mark.parametrize("label", [None, ""])
def test_label_is_omitted_when_unset(label: str | None) -> None:
    payload = render(event(label=label))
    assert "label" not in payload["pipes"]
    assert payload["pipes"] == {"conversationId": "conv_xyz789", "poolNumberId": "pool_number_id"}


def test_label_is_sent_when_set() -> None:
    assert render(event(label="billing"))["pipes"]["label"] == "billing"


def test_test_flag_only_on_test_deliveries() -> None:
    assert "test" not in render(event())["pipes"]
    assert "test" not in render(event(test=False))["pipes"]
    assert render(event(test=True))["pipes"]["test"] is True


def test_no_media_object_without_media() -> None:
    for type_ in ("text", "location", "contacts", "reaction"):
        example = SEED_TYPE_EXAMPLES[type_]
        item = {"id": "m", "from": "1", "timestamp": "0", **example}
        assert "media" not in render(event(item=item))["pipes"]


def test_available_media_shape() -> None:
    media = MediaInfo(
        media_id="aBcDeFgHiJkLmNoPqRs1t",
        mime_type="application/pdf",
        byte_size=53211,
        file_name="invoice.pdf",
    )
    got = render(event(media=media))["pipes"]["media"]
    assert got == {
        "mediaId": "aBcDeFgHiJkLmNoPqRs1t",
        "downloadUrl": "/v1/media/download/aBcDeFgHiJkLmNoPqRs1t",
        "mimeType": "application/pdf",
        "fileName": "invoice.pdf",
        "byteSize": 53211,
    }
    assert "unavailable" not in got


def test_available_media_without_file_name_omits_it() -> None:
    media = MediaInfo(media_id="x" * 21, mime_type="image/jpeg", byte_size=10)
    got = render(event(media=media))["pipes"]["media"]
    assert set(got) == {"mediaId", "downloadUrl", "mimeType", "byteSize"}
    assert got["downloadUrl"] == "/v1/media/download/" + "x" * 21


@pytest.mark.parametrize(
    "media",
    [
        MediaInfo(media_id=None, mime_type="image/jpeg", byte_size=0, unavailable=True),
        MediaInfo(media_id="leftover", mime_type="image/jpeg", byte_size=99, unavailable=True),
        MediaInfo(media_id=None, mime_type="image/jpeg", byte_size=0),
    ],
)
def test_unavailable_media_shape(media: MediaInfo) -> None:
    got = render(event(media=media))["pipes"]["media"]
    # The seed: "When unavailable is true, mediaId and downloadUrl will be absent."
    assert got["unavailable"] is True
    assert "mediaId" not in got and "downloadUrl" not in got
    assert got["mimeType"] == "image/jpeg"
    assert isinstance(got["byteSize"], int)
    assert "fileName" not in got  # an image has no name to keep


def test_unavailable_document_keeps_its_file_name() -> None:
    """The seed's fileName is "when available": WhatsApp could not give us the file, but
    the document's name came with the message, and a handler tells the user which file."""
    media = MediaInfo(
        media_id=None,
        mime_type="application/pdf",
        byte_size=0,
        file_name="invoice.pdf",
        unavailable=True,
    )
    got = render(event(media=media))["pipes"]["media"]
    assert got == {
        "mimeType": "application/pdf",
        "byteSize": 0,
        "unavailable": True,
        "fileName": "invoice.pdf",
    }


def test_contact_keeps_the_seed_fields_and_metas_user_ids() -> None:
    """The seed's fields, plus Meta's 2026 ids (BSUID, parent BSUID, username); nothing else."""
    contact = {
        "profile": {"name": "Jane Doe", "username": "@jane"},
        "wa_id": "15559876543",
        "user_id": "US.1",
        "parent_user_id": "US.ENT.1",
        "identity_key_hash": "abc",
    }
    assert value_of(render(event(contact=contact)))["contacts"] == [
        {
            "profile": {"name": "Jane Doe", "username": "@jane"},
            "wa_id": "15559876543",
            "user_id": "US.1",
            "parent_user_id": "US.ENT.1",
        }
    ]


def test_a_user_known_only_by_bsuid_has_it_as_wa_id() -> None:
    contact = {"profile": {"name": "Jane", "username": "@jane"}, "user_id": "US.7"}
    item = {"from_user_id": "US.7", "id": "wamid.u", "timestamp": "1736937000", "type": "text",
            "text": {"body": "hi"}}  # fmt: skip
    (shown,) = value_of(render(event(item=item, contact=contact)))["contacts"]
    assert shown == {"profile": {"name": "Jane", "username": "@jane"}, "wa_id": "US.7",
                     "user_id": "US.7"}  # fmt: skip


def test_a_message_without_a_contact_still_has_exactly_one() -> None:
    item = {
        "from": "15559876543",
        "id": "wamid.sys",
        "timestamp": "1736937000",
        "type": "system",
        "system": {"body": "changed number", "wa_id": "15559876544", "type": "user_changed_number"},
    }
    contacts = value_of(render(event(item=item, contact=None)))["contacts"]
    # The seed's profile.name is a string, never absent: the sender's number stands in.
    assert contacts == [{"profile": {"name": "15559876543"}, "wa_id": "15559876543"}]


@pytest.mark.parametrize(
    ("contact", "name"),
    [
        ({"wa_id": "15559876543"}, "15559876543"),  # no profile at all
        ({"profile": {}, "wa_id": "15559876543"}, "15559876543"),
        ({"profile": {"name": ""}, "wa_id": "15559876543"}, "15559876543"),
        ({"profile": {"name": None}, "wa_id": "15559876543"}, "15559876543"),
        ({"profile": {"username": "@jane"}, "user_id": "US.9"}, "@jane"),
        ({"user_id": "US.9"}, "US.9"),  # a BSUID user without a name or username
    ],
)
def test_a_contact_without_a_profile_name_still_has_one(contact: Any, name: str) -> None:
    item = {k: v for k, v in event().item.items() if k != "from"}
    (shown,) = value_of(render(event(item=item, contact=contact)))["contacts"]
    assert isinstance(shown["profile"]["name"], str)
    assert shown["profile"]["name"] == name
    assert shown["wa_id"] == contact.get("wa_id", contact.get("user_id"))


def test_a_contact_with_nothing_to_name_it_by_has_an_empty_name() -> None:
    item = {k: v for k, v in event().item.items() if k != "from"}
    (shown,) = value_of(render(event(item=item, contact={}, wa_id="")))["contacts"]
    assert shown["profile"] == {"name": ""}


def test_pipes_is_the_default_format() -> None:
    assert DEFAULT_FORMAT == "pipes"
    assert FORMATS["pipes"] is pipes.render


def test_rendering_is_utf8_json() -> None:
    item = {**event().item, "text": {"body": 'ÿ 👍 \u2028 "quoted"'}}
    body = pipes.render(replace(event(), item=item))
    assert body.decode("utf-8")
    assert value_of(orjson.loads(body))["messages"][0]["text"]["body"] == 'ÿ 👍 \u2028 "quoted"'


# --- the same shape, end to end -----------------------------------------------------------


async def test_every_type_arrives_in_pipes_shape(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, label="shop", retrySchedule=[0, 0.1, 0.2])
    user = sim.user("15551230077", "Jane Doe")
    sent = {}
    for type_ in SEED_TYPES:
        result = await sim.send(user, type_)
        assert result.ok
        sent[result.wamid] = result.message
    await receiver.wait_for(lambda r: len(r.accepted()) == len(SEED_TYPES))
    number_id = sim.number_id  # type: ignore[attr-defined]
    conversations = set()
    for arrival in receiver.accepted():
        assert arrival.verified
        payload = arrival.json()
        value = value_of(payload)
        assert payload["object"] == "whatsapp_business_account"
        assert payload["entry"][0]["id"] == number_id
        assert value["metadata"] == {
            "display_phone_number": "+" + sim.settings.display_phone_number,
            "phone_number_id": number_id,
        }
        (message,) = value["messages"]
        original = sent[message["id"]]
        assert message == {**original, "timestamp": pipes.iso8601(original["timestamp"])}
        assert value["contacts"] == [
            {"profile": {"name": "Jane Doe"}, "wa_id": "15551230077", "user_id": user.user_id}
        ]
        assert payload["pipes"]["poolNumberId"] == number_id
        assert payload["pipes"]["label"] == "shop"
        assert "test" not in payload["pipes"]
        conversations.add(payload["pipes"]["conversationId"])
    assert len(conversations) == 1
    assert conversations.pop().startswith("conv_")

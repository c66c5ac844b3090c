"""The ``summary`` format, field by field against seed 002 (copied to
tests/fixtures/formats/summary/): the seed describes each field of its payload in words, in
order; FIELDS maps each description to our key. Render tests build the conversation by
hand; the end-to-end test runs simulator → gateway → receiver, with labels, notes, an
external user id and our own replies set through the API."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination, eventually, gateway_with_sim
from tests.formats.seeds import FIXTURES
from wahooks.demo.receiver import Receiver
from wahooks.formats import FORMATS, SPECS, SkipEvent, expresses, summary
from wahooks.formats.summary import message_text
from wahooks.models import (
    ConversationContext,
    ConversationNote,
    EventType,
    MediaInfo,
    MessageEvent,
    MessageRecord,
)
from wahooks.sim.media import MediaStore
from wahooks.sim.messages import MESSAGE_TYPES, MessageBuilder, SimUser

SEED = FIXTURES / "summary" / "seed_002_a8f0e47cba4f5d42.txt"
FIELDS = {
    "Array containing the recent messages in the conversation": "last_messages",
    "Human-readable summary of the recent conversation": "conversation_summary",
    "The phone number of the recipient who sent the message": "phone_number",
    "The name of the recipient if available": "name",
    "Unique identifier for the user in your system": "user_id",
    "The last message sent by the user": "last_user_message",
    "The last message sent by your system": "last_system_message",
    "The type of the latest message (text, image, audio, video, document, location)":
        "message_type",
    "Unix timestamp of the user\N{RIGHT SINGLE QUOTATION MARK}s last message":
        "last_user_message_time",
    "Unix timestamp of your system\N{RIGHT SINGLE QUOTATION MARK}s last message":
        "last_system_message_time",
    "URL to media file if the latest message contains media (null for text messages)":
        "media_url",
    "Custom note field for additional context": "note",
    "Automation-related notes": "automation_note",
    "Comma-separated labels for categorizing the conversation": "labels",
}  # fmt: skip
OURS = ("conversation_id",)  # added: what a reply needs
BASE = "https://gw.example.com"
MEDIA_ID = "aBcDeFgHiJkLmNoPqRs1t"
T0 = 1_749_506_891  # 2025-06-09T22:08:11Z


def seed_descriptions() -> list[str]:
    lines = SEED.read_text().splitlines()
    start = lines.index("Payload Fields") + 1
    end = lines.index("Webhook Management API")
    return lines[start:end]


def record(seq: int, direction: str, item: dict[str, Any], **kw: Any) -> MessageRecord:
    return MessageRecord(
        seq=seq, wamid=str(item.get("id", f"wamid.{seq}")), direction=direction,
        type=str(item["type"]), timestamp=int(item.get("timestamp", T0)), item=item,
        status="read" if direction == "out" else None, status_at=None, created_at=T0, **kw,
    )  # fmt: skip


IMAGE_ITEM = {"from": "15551234567", "id": "wamid.3", "timestamp": str(T0 + 120),
              "type": "image", "image": {"caption": "Is this the right box?", "id": "9",
                                         "mime_type": "image/jpeg", "sha256": "x"}}  # fmt: skip
TEXT_ITEM = {"from": "15551234567", "id": "wamid.1", "timestamp": str(T0),
             "type": "text", "text": {"body": "Where is my order?"}}  # fmt: skip
REPLY_ITEM = {"to": "15551234567", "id": "wamid.2", "timestamp": str(T0 + 60),
              "type": "text", "text": {"body": "It ships today."}}  # fmt: skip
# As the dispatcher hands it over: with its signed link (media/links.py).
LINK = f"{BASE}/v1/media/file/{MEDIA_ID}?expires=1750000000&signature=abc"
IMAGE_MEDIA = MediaInfo(media_id=MEDIA_ID, mime_type="image/jpeg", byte_size=10, url=LINK)


def event(item: dict[str, Any], context: ConversationContext | None, **kw: Any) -> MessageEvent:
    fields: dict[str, Any] = {
        "event_type": EventType.MESSAGE_IN_NEW.value, "number_id": "num_1",
        "display_phone_number": "15550000001", "phone_number_id": "1065", "waba_id": "1022",
        "conversation_id": "conv_1", "label": None, "item": item,
        "contact": {"profile": {"name": "Ann Lee"}, "wa_id": "15551234567"},
        "wa_id": "15551234567", "conversation": context,
    }  # fmt: skip
    fields.update(kw)
    return MessageEvent(**fields)


def context(**kw: Any) -> ConversationContext:
    image = record(3, "in", IMAGE_ITEM, media=IMAGE_MEDIA)
    reply, text = record(2, "out", REPLY_ITEM), record(1, "in", TEXT_ITEM)
    fields: dict[str, Any] = {
        "wa_id": "15551234567", "contact_name": "Ann Lee", "external_user_id": "crm-42",
        "labels": ("vip", "lead"),
        "notes": (ConversationNote(id="note_1", text="Prefers mornings", created_at=T0),
                  ConversationNote(id="note_2", text="Order #77", created_at=T0 + 1)),
        "recent": (image, reply, text), "last_inbound": image, "last_outbound": reply,
    }  # fmt: skip
    fields.update(kw)
    return ConversationContext(**fields)


def render(ev: MessageEvent) -> Any:
    return orjson.loads(summary.render(ev))


# --- the seed ------------------------------------------------------------------------------


def test_every_field_the_seed_describes_has_a_key() -> None:
    assert seed_descriptions() == list(FIELDS)
    assert "message_type" in SEED.read_text()  # the one key the seed spells out
    payload = render(event(IMAGE_ITEM, context(), media=IMAGE_MEDIA))
    assert list(payload) == [*FIELDS.values(), *OURS]


def test_each_field_from_the_conversation() -> None:
    payload = render(event(IMAGE_ITEM, context(), media=IMAGE_MEDIA))
    by = {d: payload[k] for d, k in FIELDS.items()}
    d = list(FIELDS)
    # Array containing the recent messages in the conversation: newest first.
    assert by[d[0]] == [
        {"type": "user", "content": "Is this the right box?",
         "timestamp": "2025-06-09T22:10:11.000Z", "content_type": "image"},
        {"type": "bot", "content": "It ships today.",
         "timestamp": "2025-06-09T22:09:11.000Z", "content_type": "text"},
        {"type": "user", "content": "Where is my order?",
         "timestamp": "2025-06-09T22:08:11.000Z", "content_type": "text"},
    ]  # fmt: skip
    # Human-readable summary of the recent conversation.
    assert by[d[1]] == (
        "Ann Lee last wrote “Is this the right box?” (image, 2025-06-09 22:10 UTC). "
        "Our last message: “It ships today.” (2025-06-09 22:09 UTC). "
        "Recent: 3 messages, 2 from the user and 1 from us. Labels: vip, lead. Notes: 2."
    )
    assert by[d[2]] == "+15551234567"  # the phone number of the user who wrote
    assert by[d[3]] == "Ann Lee"  # the name, if available
    assert by[d[4]] == "crm-42"  # the user's id in the tenant's system: externalUserId
    assert by[d[5]] == "Is this the right box?"  # the last message sent by the user
    assert by[d[6]] == "It ships today."  # the last message sent by the system (us)
    assert by[d[7]] == "image"  # the type of the latest message
    assert by[d[8]] == T0 + 120 and isinstance(by[d[8]], int)  # Unix seconds
    assert by[d[9]] == T0 + 60 and isinstance(by[d[9]], int)
    assert by[d[10]] == LINK  # the signed link: absolute, fetched without a key
    assert by[d[11]] == "Prefers mornings\nOrder #77"  # notes, oldest first
    assert by[d[12]] is None  # no automations in wahooks
    assert by[d[13]] == "vip,lead"
    assert payload["conversation_id"] == "conv_1" and "test" not in payload


def test_absent_values_are_null_or_empty() -> None:
    text = record(1, "in", TEXT_ITEM)
    bare = context(contact_name=None, external_user_id=None, labels=(), notes=(),
                   recent=(text,), last_inbound=text, last_outbound=None)  # fmt: skip
    payload = render(event(TEXT_ITEM, bare, contact={"wa_id": "15551234567"}))
    assert payload["name"] is None and payload["user_id"] is None
    assert payload["last_system_message"] is None
    assert payload["last_system_message_time"] is None
    assert payload["media_url"] is None  # a text message
    assert payload["note"] == "" and payload["labels"] == ""
    assert payload["conversation_summary"] == (
        "+15551234567 last wrote “Where is my order?” (text, 2025-06-09 22:08 UTC). "
        "We have not written yet. Recent: 1 message, 1 from the user and 0 from us."
    )
    # A file we could not fetch: no URL.
    gone = MediaInfo(media_id=None, mime_type="image/jpeg", byte_size=0, unavailable=True)
    payload = render(event(IMAGE_ITEM, context(), media=gone))
    assert payload["message_type"] == "image" and payload["media_url"] is None


def test_long_messages_are_quoted_short_in_the_summary() -> None:
    long = {**TEXT_ITEM, "text": {"body": "x" * 500}}
    msg = record(1, "in", long)
    payload = render(event(long, context(recent=(msg,), last_inbound=msg, last_outbound=None)))
    assert payload["last_user_message"] == "x" * 500  # the field itself is whole
    assert "“" + "x" * 199 + "…”" in payload["conversation_summary"]


def test_without_the_conversation_the_event_alone() -> None:
    """A destination's test delivery (no conversation behind it) still fills every field."""
    payload = render(event(TEXT_ITEM, None, test=True, event_type="test"))
    assert list(payload) == [*FIELDS.values(), *OURS, "test"]
    assert payload["last_messages"] == [
        {"type": "user", "content": "Where is my order?", "timestamp": "2025-06-09T22:08:11.000Z",
         "content_type": "text"}
    ]  # fmt: skip
    assert payload["name"] == "Ann Lee" and payload["phone_number"] == "+15551234567"
    assert payload["last_user_message_time"] == T0 and payload["test"] is True
    unsigned = replace(IMAGE_MEDIA, url=None)
    # Never a URL that needs our key, which the receiver does not have.
    assert render(event(IMAGE_ITEM, None, media=unsigned))["media_url"] is None


@pytest.mark.parametrize("kind", [e.value for e in EventType])
def test_only_incoming_messages_are_expressed(kind: str) -> None:
    ev = event(TEXT_ITEM, context(), event_type=kind, test=kind == "test")
    if kind in ("message:in:new", "test"):
        assert expresses("summary", kind)
        assert FORMATS["summary"](ev)
    else:
        assert not expresses("summary", kind)
        with pytest.raises(SkipEvent) as caught:
            FORMATS["summary"](ev)
        why = "it summarises incoming messages only"
        assert caught.value.reason == f"summary format skips {kind}: {why}"
    assert SPECS["summary"].needs_conversation
    assert not any(SPECS[n].needs_conversation for n in SPECS if n != "summary")


def test_every_message_type_reads_as_text() -> None:
    builder = MessageBuilder(media=MediaStore(), business_number="15550000001", clock=lambda: T0)
    user = SimUser("15551234567", "Ann")
    expected = {
        "text": "Hello from the simulator", "image": "Simulated photo",
        "audio": "[audio]", "video": "Simulated video", "document": "Simulated document",
        "sticker": "[sticker]",
        "location": "[location: Simulated place, 1 Hacker Way, Menlo Park, CA 94025 "
                    "(37.4611978, -122.2164385)]",
        "contacts": "[contact: Chandler Bing]", "reaction": "[reaction: \N{THUMBS UP SIGN}]",
        "interactive": "Yes", "button_reply": "Yes", "list_reply": "First option",
        "button": "Yes", "order": "[order: 2 items]",
        "system": "User Ann changed from 15551234567 to ", "unsupported": "[unsupported]",
        "edit": "[edited] Edited text", "revoke": "[message deleted]",
    }  # fmt: skip
    assert set(expected) == set(MESSAGE_TYPES)
    for kind, text in expected.items():
        got = message_text(builder.build(user, kind))
        assert got.startswith(text), (kind, got)
    assert message_text(builder.build(user, "audio", voice=True)) == "[voice message]"
    assert message_text(builder.build(user, "document", caption=None)) == "[document: document.pdf]"
    assert message_text(builder.build(user, "reaction", emoji="")) == "[reaction removed]"
    assert message_text({"type": "template", "template": {"name": "hello"}}) == "[template: hello]"
    assert message_text({}) == "[message]"


# --- end to end --------------------------------------------------------------------------------


def summaries(receiver: Receiver) -> list[Any]:
    return [a.json() for a in receiver.accepted()]


async def test_through_a_real_gateway(database_url: str, receiver: Receiver) -> None:
    async with gateway_with_sim(database_url, public_url=BASE) as (gateway, sim):
        await add_destination(gateway, receiver, format="summary",
                              events=["message:in:new", "message:out:new"])  # fmt: skip
        ann = sim.user("15551236001", "Ann Lee")
        first = await sim.send(ann, "text", body="Where is my order?")
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        (one,) = summaries(receiver)
        conversation = one["conversation_id"]
        assert one["last_messages"] == [{
            "type": "user", "content": "Where is my order?",
            "timestamp": datetime.fromtimestamp(int(first.message["timestamp"]), tz=UTC)
            .strftime("%Y-%m-%dT%H:%M:%S.000Z"), "content_type": "text",
        }]  # fmt: skip
        assert (one["phone_number"], one["name"], one["user_id"]) == (
            "+15551236001",
            "Ann Lee",
            None,
        )
        assert one["last_user_message"] == "Where is my order?"
        assert one["last_user_message_time"] == int(first.message["timestamp"])
        assert one["last_system_message"] is None and one["last_system_message_time"] is None
        assert (one["message_type"], one["media_url"]) == ("text", None)
        assert (one["note"], one["automation_note"], one["labels"]) == ("", None, "")

        # The tenant labels the conversation, notes something, names the user, replies.
        base = f"/v1/conversations/{conversation}"
        for method, path, body in (
            ("PUT", f"{base}/labels", {"labels": ["vip", "lead"]}),
            ("POST", f"{base}/notes", {"text": "Prefers mornings"}),
            ("PATCH", base, {"externalUserId": "crm-42"}),
            ("POST", "/v1/messages/send",
             {"conversationId": conversation, "text": "It ships today."}),
        ):  # fmt: skip
            status, answer = await gateway.api(method, path, body)
            assert status in (200, 201), answer
        reply_sent = await sim_sent_at(gateway, conversation)
        image = await sim.send(
            ann, "image", caption="Is this the right box?", mime_type="image/png"
        )
        await receiver.wait_for(lambda r: len(r.accepted()) == 2)
        two = summaries(receiver)[1]
        assert [(m["type"], m["content"], m["content_type"]) for m in two["last_messages"]] == [
            ("user", "Is this the right box?", "image"),
            ("bot", "It ships today.", "text"),
            ("user", "Where is my order?", "text"),
        ]  # fmt: skip
        assert two["conversation_summary"].startswith("Ann Lee last wrote “Is this the right box?”")
        assert "Labels: vip, lead. Notes: 1." in two["conversation_summary"]
        assert two["user_id"] == "crm-42"
        assert two["last_user_message"] == "Is this the right box?"
        assert two["last_user_message_time"] == int(image.message["timestamp"])
        assert two["last_system_message"] == "It ships today."
        assert two["last_system_message_time"] == reply_sent
        assert two["message_type"] == "image"
        assert two["media_url"].startswith(f"{BASE}/v1/media/file/")
        # The URL is ours: the same path on the gateway serves the simulator's bytes, no key.
        path = two["media_url"].removeprefix(BASE)
        async with gateway.http.get(gateway.url + path) as got:
            assert got.status == 200
            original = sim.media.get(image.message["image"]["id"])
            assert original is not None and await got.read() == original.read()
        assert (two["note"], two["labels"]) == ("Prefers mornings", "vip,lead")
        assert not any(a.json().get("last_messages") is None for a in receiver.accepted())

        # Each payload is the conversation as it stood at its message; the last ten at most.
        for n in range(12):
            assert (await sim.send(ann, "text", body=f"more {n}")).ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 14, timeout=20)
        later = summaries(receiver)[2:]
        assert [p["last_user_message"] for p in later] == [f"more {n}" for n in range(12)]
        assert [len(p["last_messages"]) for p in later] == [
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            10,
            10,
            10,
            10,
            10,
        ]
        last = later[-1]["last_messages"]
        assert [m["content"] for m in last] == [f"more {n}" for n in range(11, 1, -1)]
        assert all(a.verified for a in receiver.accepted())


async def sim_sent_at(gateway: RunningGateway, conversation: str) -> int:
    """When our reply was sent (its stored timestamp), read back through the API."""

    async def check() -> Any:
        status, body = await gateway.api("GET", f"/v1/conversations/{conversation}/messages")
        assert status == 200
        out = [m for m in body["data"] if m["direction"] == "outbound"]
        return out[0] if out else None

    out = await eventually(check)
    return int(datetime.fromisoformat(out["timestamp"]).timestamp())

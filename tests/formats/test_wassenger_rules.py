"""The ``wassenger`` format's rules (see test_wassenger.py for the seed's shape and the
values in full): type and body per message type, media, the meta flags, batches of failed
messages, what counts as success, and what is skipped."""

from typing import Any

import orjson
import pytest

from tests.formats.test_wassenger import (
    RECEIVED_AT,
    SENT,
    STATUS_AT,
    USER,
    base,
    out_event,
    render,
)
from wahooks.formats import FORMATS, SPECS, SkipEvent, expresses, wassenger
from wahooks.formats.wassenger import MAX_BATCH, accepts, render_batch
from wahooks.models import UNORDERED_EVENTS, EventType, MediaInfo, MessageEvent

DEVICE = {"id": "num_1", "phone": "+1234567890", "alias": "Marketing", "plan": "wahooks",
          "version": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("item", "type_", "body"),
    [
        ({"type": "image", "image": {"caption": "Look", "id": "1"}}, "image", "Look"),
        ({"type": "image", "image": {"id": "1"}}, "image", ""),
        ({"type": "document", "document": {"filename": "a.pdf", "caption": "Q3"}}, "document",
         "Q3"),
        ({"type": "audio", "audio": {"id": "1", "voice": True}}, "audio", ""),
        ({"type": "location", "location": {"latitude": 1.5, "longitude": 2.5, "name": "Home"}},
         "location", "Home"),
        ({"type": "interactive", "interactive": {"type": "button_reply",
          "button_reply": {"id": "b1", "title": "Yes"}}}, "text", "Yes"),
        ({"type": "interactive", "interactive": {"type": "list_reply",
          "list_reply": {"id": "r1", "title": "First", "description": "d"}}}, "text", "First"),
        ({"type": "button", "button": {"payload": "p", "text": "Stop"}}, "text", "Stop"),
        ({"type": "system", "system": {"body": "User changed number", "type": "x"}}, "system",
         "User changed number"),
        ({"type": "order", "order": {"catalog_id": "c", "text": "2 please"}}, "order",
         "2 please"),
        ({"type": "unsupported", "errors": [{"code": 131051}]}, "unsupported", ""),
        ({"type": "contacts", "contacts": [{"name": {"formatted_name": "A"}}]}, "contacts", ""),
        ({"type": "reaction", "reaction": {"message_id": "wamid.A", "emoji": "👍"}}, "reaction",
         "👍"),
        ({"type": "edit", "edit": {"original_message_id": "wamid.A",
          "message": {"type": "text", "text": {"body": "fixed"}}}}, "edit", "fixed"),
        ({"type": "revoke", "revoke": {"original_message_id": "wamid.A"}}, "revoke", ""),
    ],
)  # fmt: skip
def test_type_and_body_per_message_type(item: dict[str, Any], type_: str, body: str) -> None:
    full = {"from": USER, "id": "wamid.X", "timestamp": RECEIVED_AT, **item}
    got = render(base(item=full))
    assert (got["data"]["type"], got["data"]["body"]) == (type_, body)
    assert got["wahooks"]["message"] == full  # Meta's object, for what the envelope lacks
    assert got["data"]["meta"]["isDoc"] == (type_ == "document")
    assert got["data"]["meta"]["isNotification"] == (type_ == "system")


def test_media_is_our_stored_copy_under_wahooks() -> None:
    item = {"from": USER, "id": "wamid.X", "timestamp": RECEIVED_AT, "type": "document",
            "document": {"filename": "a.pdf", "id": "meta-id"}}  # fmt: skip
    info = MediaInfo(
        media_id="m" * 21, mime_type="application/pdf", byte_size=99, file_name="a.pdf"
    )
    got = render(base(item=item, media=info))
    assert got["wahooks"]["media"] == {
        "mediaId": "m" * 21,
        "downloadUrl": f"/v1/media/download/{'m' * 21}",
        "mimeType": "application/pdf",
        "byteSize": 99,
        "fileName": "a.pdf",
    }
    assert "media" not in render(base())["wahooks"]


def test_data_media_is_the_file_as_wassenger_names_it() -> None:
    item = {"from": USER, "id": "wamid.X", "timestamp": RECEIVED_AT, "type": "document",
            "document": {"filename": "a.pdf", "id": "meta-id"}}  # fmt: skip
    link = "https://gw.example.com/v1/media/file/" + "m" * 21 + "?expires=9&signature=ab"
    info = MediaInfo(
        media_id="m" * 21, mime_type="application/pdf", byte_size=99, file_name="a.pdf",
        url=link,
    )  # fmt: skip
    got = render(base(item=item, media=info))
    assert got["data"]["media"] == {
        "id": "m" * 21, "type": "document", "mime": "application/pdf", "size": 99,
        "filename": "a.pdf", "url": link,
    }  # fmt: skip
    assert list(got["data"])[11:13] == ["body", "media"]  # after the body, before the chat
    assert got["wahooks"]["media"]["url"] == link  # and beside our own fields
    assert "media" not in render(base())["data"]


def test_data_media_of_a_file_whatsapp_could_not_give_has_no_url() -> None:
    item = {"from": USER, "id": "wamid.X", "timestamp": RECEIVED_AT, "type": "image",
            "image": {"id": "meta-id"}}  # fmt: skip
    gone = MediaInfo(media_id=None, mime_type="image/jpeg", byte_size=0, unavailable=True)
    assert render(base(item=item, media=gone))["data"]["media"] == {
        "id": None, "type": "image", "mime": "image/jpeg", "size": 0, "url": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "emoji", "rtl"),
    [
        ("Hello", False, False),
        ("Hi 😀", True, False),
        ("שלום", False, True),
        ("مرحبا ❤", True, True),
        ("a © b", False, False),
    ],
)
def test_meta_flags_from_the_body(text: str, emoji: bool, rtl: bool) -> None:
    item = {**base().item, "text": {"body": text}}
    meta = render(base(item=item))["data"]["meta"]
    assert (meta["containsEmoji"], meta["rtl"]) == (emoji, rtl)


@pytest.mark.parametrize("flag", ["forwarded", "frequently_forwarded"])
def test_forwarded(flag: str) -> None:
    item = {**base().item, "context": {flag: True}}
    assert render(base(item=item))["data"]["meta"]["isForwarded"] is True


def test_a_link_preview_we_asked_for() -> None:
    sent = {**SENT, "text": {"body": "see https://example.com", "preview_url": True}}
    assert render(out_event("message:out:new", item=sent))["data"]["meta"]["isLinkPreview"]
    assert not render(out_event("message:out:new"))["data"]["meta"]["isLinkPreview"]


@pytest.mark.parametrize(("label", "alias"), [("Shop", "Shop"), (None, "+1234567890")])
def test_device_alias(label: str | None, alias: str) -> None:
    device = render(base(label=label, display_phone_number="+1234567890"))["device"]
    assert device == {**DEVICE, "alias": alias}


def test_the_test_delivery_is_an_inbound_message_marked_test() -> None:
    got = render(base(event_type="test", test=True, chat=None))
    assert got["event"] == "message:in:new"
    assert got["wahooks"]["test"] is True
    assert "test" not in render(base())["wahooks"]


# --- batches of failed messages ----------------------------------------------------------------


def failed(i: int) -> MessageEvent:
    item = {**SENT, "id": f"wamid.{i}", "text": {"body": f"message {i}"}}
    status = {"id": f"wamid.{i}", "status": "failed", "timestamp": STATUS_AT,
              "recipient_id": USER, "errors": [{"code": 131026}]}  # fmt: skip
    return base(event_type="message:out:failed", item=item, contact=None, status=status)


def test_a_batch_of_25_in_order() -> None:
    events = [failed(i) for i in range(MAX_BATCH)]
    got = orjson.loads(render_batch(events))
    assert MAX_BATCH == 25 and len(got) == 25
    assert [x["entityId"] for x in got] == [f"wamid.{i}" for i in range(25)]
    assert [x["data"]["message"] for x in got] == [f"message {i}" for i in range(25)]
    assert got[7] == orjson.loads(wassenger.render(events[7]))[0]


def test_batch_limits() -> None:
    with pytest.raises(ValueError, match="at most 25"):
        render_batch([failed(i) for i in range(26)])
    with pytest.raises(ValueError, match="at least one"):
        render_batch([])
    with pytest.raises(ValueError, match="message:out:failed events, not message:out:ack"):
        render_batch([failed(0), out_event("message:out:ack", "read")])


def test_the_spec_batches_failed_events_only_and_outside_their_order() -> None:
    batch = SPECS["wassenger"].batch
    assert batch is not None
    assert batch.events == {"message:out:failed"} and batch.max_size == 25
    assert batch.render is render_batch
    assert SPECS["meta"].batch is None and SPECS["whatspie"].batch is None
    # The store keeps them out of their conversation's queue: the same event types.
    for name, spec in SPECS.items():
        assert UNORDERED_EVENTS.get(name, frozenset()) == (
            spec.batch.events if spec.batch is not None else frozenset()
        )
    assert SPECS["wassenger"].needs_chat and not SPECS["pipes"].needs_chat


# --- success, skips ----------------------------------------------------------------------------


def test_200_to_209_is_success() -> None:
    assert [s for s in range(100, 600) if accepts(s)] == list(range(200, 210))
    assert SPECS["wassenger"].accepts is accepts
    assert SPECS["meta"].accepts(299) and not SPECS["meta"].accepts(300)


def test_expressed_event_types() -> None:
    assert SPECS["wassenger"].events == {
        "message:in:new", "message:out:new", "message:out:ack", "message:out:failed", "test",
        "message:reaction", "message:update", "chat:update", "contact:update", "group:update",
    }  # fmt: skip
    assert FORMATS["wassenger"] is wassenger.render


@pytest.mark.parametrize("kind", ["destination:disabled", "call:update", "unsupported"])
def test_other_event_types_are_skipped(kind: str) -> None:
    assert not expresses("wassenger", kind)
    with pytest.raises(SkipEvent) as caught:
        wassenger.render(base(event_type=kind))
    assert caught.value.reason == f"wassenger format skips {kind}: Wassenger has no such event"


def test_every_event_type_is_either_expressed_or_skipped() -> None:
    for kind in EventType:
        ev = base(event_type=kind.value, status={"status": "read", "timestamp": STATUS_AT})
        if expresses("wassenger", kind.value):
            assert wassenger.render(ev)
        else:
            with pytest.raises(SkipEvent):
                wassenger.render(ev)

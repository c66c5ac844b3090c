"""The ``wassenger`` format, field by field against seed 004 (copied to
tests/fixtures/formats/wassenger/).

The seed's examples are not self-consistent (truncated timestamps, chat ids of other numbers),
so they fix the shape, not the values: for each event type, every key the seed has at every
level is either sent, in the seed's order, or listed in ``wassenger.OMITTED``, and nothing is
sent that the seed lacks but our ``wahooks`` object. The values are then checked in full
against hand-written expectations for realistic events, and end to end on a real receiver.
"""

from dataclasses import replace
from typing import Any

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination, eventually
from tests.formats.seeds import FIXTURES, seed_json
from wahooks.demo.receiver import Receiver
from wahooks.formats import FORMATS, SPECS, SkipEvent, expresses, wassenger
from wahooks.formats.wassenger import MAX_BATCH, OMITTED, accepts, render_batch
from wahooks.models import EventType, MediaInfo, MessageEvent
from wahooks.sim import Simulator

SEED = FIXTURES / "wassenger" / "seed_004_2f4da16861570e25.txt"
SEED_IN, SEED_OUT_NEW, SEED_OUT_ACK, SEED_FAILED = seed_json(SEED)

BUSINESS = "1234567890"
USER = "13245635780"
SENT_AT = "1660906748"  # 2022-08-19T10:59:08Z
RECEIVED_AT = "1660906761"  # 2022-08-19T10:59:21Z
STATUS_AT = "1660906800"  # 2022-08-19T11:00:00Z


def base(**overrides: Any) -> MessageEvent:
    fields: dict[str, Any] = {
        "event_type": "message:in:new",
        "number_id": "num_1",
        "display_phone_number": BUSINESS,
        "phone_number_id": "106540352242922",
        "waba_id": "102290129340398",
        "conversation_id": "conv_1",
        "label": "Marketing",
        "item": {"from": USER, "id": "wamid.IN", "timestamp": RECEIVED_AT, "type": "text",
                 "text": {"body": "Hello"}},
        "contact": {"profile": {"name": "Bob A."}, "wa_id": USER, "user_id": "US.1"},
        "wa_id": USER,
    }  # fmt: skip
    fields.update(overrides)
    return MessageEvent(**fields)


SENT = {"to": USER, "type": "text", "text": {"body": "Hello there!", "preview_url": False},
        "id": "wamid.OUT", "timestamp": SENT_AT}  # fmt: skip


def out_event(kind: str, status: str | None = None, **overrides: Any) -> MessageEvent:
    status_obj = None
    if status is not None:
        status_obj = {"id": "wamid.OUT", "status": status, "timestamp": STATUS_AT,
                      "recipient_id": USER}  # fmt: skip
        if status == "failed":
            status_obj["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    return base(event_type=kind, item=SENT, contact=None, status=status_obj, **overrides)


def render(event: MessageEvent) -> Any:
    body = wassenger.render(event)
    assert isinstance(body, bytes)
    return orjson.loads(body)


# --- the shape: every seed key sent (in the seed's order) or listed as omitted ---------------


def check_shape(ours: Any, seed: Any, where: str) -> None:
    omitted = OMITTED.get(where, frozenset())
    assert isinstance(ours, dict), where
    missing = set(seed) - set(ours) - omitted
    assert not missing, f"{where}: seed keys neither sent nor listed as omitted: {missing}"
    assert not (omitted & set(ours)), f"{where}: listed as omitted but sent"
    extra = set(ours) - set(seed) - ({"wahooks"} if where in ("", "failed") else set())
    assert not extra, f"{where}: keys the seed does not have: {extra}"
    shared = [k for k in seed if k in ours]
    assert [k for k in ours if k in shared] == shared, f"{where}: not in the seed's order"
    for key in shared:
        if isinstance(seed[key], dict) and seed[key] and key != "events":
            check_shape(ours[key], seed[key], f"{where}.{key}".lstrip("."))


@pytest.mark.parametrize(
    ("seed", "event"),
    [
        (SEED_IN, base()),
        (SEED_OUT_NEW, out_event("message:out:new")),
        (SEED_OUT_ACK, out_event("message:out:ack", "read")),
    ],
    ids=["message:in:new", "message:out:new", "message:out:ack"],
)
def test_envelope_shape_against_the_seed(seed: Any, event: MessageEvent) -> None:
    ours = render(event)
    assert ours["event"] == seed["event"] == event.event_type
    check_shape(ours, seed, "")


def test_failed_shape_against_the_seed() -> None:
    (seed,) = SEED_FAILED
    ours = render(out_event("message:out:failed", "failed"))
    assert isinstance(ours, list) and len(ours) == 1
    (item,) = ours
    omitted_device = OMITTED["failed.data.device"]
    check_shape(
        {k: v for k, v in item.items() if k != "data"},
        {k: v for k, v in seed.items() if k != "data"},
        "failed",
    )
    data = {k: v for k, v in item["data"].items() if k != "device"}
    check_shape(data, {k: v for k, v in seed["data"].items() if k != "device"}, "failed.data")
    assert set(seed["data"]["device"]) - set(item["data"]["device"]) == omitted_device
    assert list(item["data"]["device"]) == ["id", "phone", "alias"]


def test_types_match_the_seed_where_we_know_the_value() -> None:
    def walk(ours: Any, seed: Any, where: str) -> None:
        for key, value in ours.items():
            if key not in seed or seed[key] is None or value is None:
                continue
            assert type(value) is type(seed[key]), f"{where}.{key}"
            if isinstance(value, dict) and key != "events":
                walk(value, seed[key], f"{where}.{key}")

    walk(render(base()), SEED_IN, "in")
    walk(render(out_event("message:out:new")), SEED_OUT_NEW, "new")
    walk(render(out_event("message:out:ack", "read")), SEED_OUT_ACK, "ack")
    walk(render(out_event("message:out:failed", "failed"))[0], SEED_FAILED[0], "failed")


# --- the values, in full ---------------------------------------------------------------------

DEVICE = {"id": "num_1", "phone": "+1234567890", "alias": "Marketing", "plan": "wahooks",
          "version": 1}  # fmt: skip
META_FALSE = {
    "rtl": False, "containsEmoji": False, "isGif": False, "isStar": False, "isGroup": False,
    "isForwarded": False, "isEphemeral": False, "isNotification": False, "isLive": False,
    "isBroadcast": False, "isBizNotification": False, "isDoc": False, "isLinkPreview": False,
    "isPSA": False, "isRevoked": False, "isUnreadType": False, "isFailed": False,
}  # fmt: skip


def chat(name: str | None, date: str) -> dict[str, Any]:
    return {
        "id": f"{USER}@c.us", "name": name, "date": date, "type": "chat", "status": "active",
        "lastMessageAt": date, "labels": [],
        "contact": {"wid": f"{USER}@c.us", "name": name, "displayName": name,
                    "formattedName": name, "phone": f"+{USER}", "type": "user"},
    }  # fmt: skip


def test_message_in_new_values() -> None:
    ev = base()
    date = "2022-08-19T10:59:21.000Z"
    assert render(ev) == {
        "object": "message",
        "event": "message:in:new",
        "created": 1660906761,
        "device": DEVICE,
        "data": {
            "id": "wamid.IN", "type": "text", "flow": "inbound", "status": "active",
            "ack": "delivered", "from": f"{USER}@c.us", "fromNumber": f"+{USER}",
            "to": f"{BUSINESS}@c.us", "toNumber": f"+{BUSINESS}", "date": date,
            "timestamp": 1660906761, "body": "Hello", "chat": chat("Bob A.", date),
            "events": {"sent": {"date": date}},
            "meta": {**META_FALSE, "source": None, "autoReply": None, "isFirstMessage": False,
                     "isChannel": False, "notifyName": "Bob A."},
            "scope": "message",
            "webhook": {"status": "pending", "webhookSyncedAt": None},
        },
        "wahooks": {"conversationId": "conv_1", "numberId": "num_1", "message": ev.item},
    }  # fmt: skip


def outbound_data(ack: str, events: dict[str, Any]) -> dict[str, Any]:
    date = "2022-08-19T10:59:08.000Z"
    return {
        "id": "wamid.OUT", "type": "text", "flow": "outbound", "status": "active", "ack": ack,
        "from": f"{BUSINESS}@c.us", "fromNumber": f"+{BUSINESS}", "to": f"{USER}@c.us",
        "toNumber": f"+{USER}", "date": date, "timestamp": 1660906748, "body": "Hello there!",
        "chat": chat(None, date), "events": events,
        "meta": {**META_FALSE, "source": "api", "autoReply": None, "isFirstMessage": False,
                 "isChannel": False, "notifyName": "", "via": "api"},
        "scope": "message",
        "webhook": {"status": "pending", "webhookSyncedAt": None},
    }  # fmt: skip


def test_message_out_new_values() -> None:
    assert render(out_event("message:out:new")) == {
        "object": "message",
        "event": "message:out:new",
        "created": 1660906748,
        "device": DEVICE,
        "data": outbound_data("pending", {}),
        "wahooks": {"conversationId": "conv_1", "numberId": "num_1", "message": SENT},
    }


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "played"])
def test_message_out_ack_values(status: str) -> None:
    ev = out_event("message:out:ack", status)
    got = render(ev)
    assert list(got)[:5] == ["object", "event", "created", "ack", "device"]
    assert got == {
        "object": "message",
        "event": "message:out:ack",
        "created": 1660906800,
        "ack": status,
        "device": DEVICE,
        "data": outbound_data(status, {status: {"date": "2022-08-19T11:00:00.000Z"}}),
        "wahooks": {"conversationId": "conv_1", "numberId": "num_1", "message": SENT,
                    "status": ev.status},
    }  # fmt: skip


def test_message_out_failed_values() -> None:
    ev = out_event("message:out:failed", "failed")
    assert render(ev) == [
        {
            "event": "message:out:failed",
            "date": "2022-08-19T11:00:00.000Z",
            "entity": "message",
            "entityId": "wamid.OUT",
            "data": {
                "id": "wamid.OUT", "phone": f"+{USER}", "status": "failed",
                "deliveryStatus": "failed", "createdAt": "2022-08-19T10:59:08.000Z",
                "sentAt": "2022-08-19T10:59:08.000Z", "failedAt": "2022-08-19T11:00:00.000Z",
                "processedAt": "2022-08-19T10:59:08.000Z", "webhookStatus": "pending",
                "message": "Hello there!", "priority": "normal", "schedule": {"enabled": False},
                "retry": {"count": 0, "lastRetryAt": None},
                "device": {"id": "num_1", "phone": "+1234567890", "alias": "Marketing"},
            },
            "wahooks": {"conversationId": "conv_1", "numberId": "num_1", "message": SENT,
                        "status": ev.status},
        }
    ]  # fmt: skip


def test_the_outbound_chat_names_the_contact_when_the_event_has_it() -> None:
    contact = {"profile": {"name": "Bob A."}, "wa_id": USER}
    data = render(replace(out_event("message:out:new"), contact=contact))["data"]
    assert data["chat"] == chat("Bob A.", "2022-08-19T10:59:08.000Z")
    assert data["meta"]["notifyName"] == ""  # our own message: no notify name


@pytest.mark.parametrize(
    ("item", "type_", "body"),
    [
        ({"type": "image", "image": {"caption": "Look", "id": "1"}}, "image", "Look"),
        ({"type": "image", "image": {"id": "1"}}, "image", ""),
        (
            {"type": "document", "document": {"filename": "a.pdf", "caption": "Q3"}},
            "document",
            "Q3",
        ),
        ({"type": "audio", "audio": {"id": "1", "voice": True}}, "audio", ""),
        (
            {"type": "location", "location": {"latitude": 1.5, "longitude": 2.5, "name": "Home"}},
            "location",
            "Home",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "b1", "title": "Yes"},
                },
            },
            "text",
            "Yes",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": "r1", "title": "First", "description": "d"},
                },
            },
            "text",
            "First",
        ),
        ({"type": "button", "button": {"payload": "p", "text": "Stop"}}, "text", "Stop"),
        (
            {"type": "system", "system": {"body": "User changed number", "type": "x"}},
            "system",
            "User changed number",
        ),
        ({"type": "order", "order": {"catalog_id": "c", "text": "2 please"}}, "order", "2 please"),
        ({"type": "unsupported", "errors": [{"code": 131051}]}, "unsupported", ""),
        ({"type": "contacts", "contacts": [{"name": {"formatted_name": "A"}}]}, "contacts", ""),
    ],
)
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


@pytest.mark.parametrize(("label", "alias"), [("Shop", "Shop"), (None, "+1234567890")])
def test_device_alias(label: str | None, alias: str) -> None:
    device = render(base(label=label, display_phone_number="+1234567890"))["device"]
    assert device == {**DEVICE, "alias": alias}


def test_the_test_delivery_is_an_inbound_message_marked_test() -> None:
    got = render(base(event_type="test", test=True))
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


def test_the_spec_batches_failed_events_only() -> None:
    batch = SPECS["wassenger"].batch
    assert batch is not None
    assert batch.events == {"message:out:failed"} and batch.max_size == 25
    assert batch.render is render_batch
    assert SPECS["meta"].batch is None and SPECS["whatspie"].batch is None


# --- success, skips ----------------------------------------------------------------------------


def test_200_to_209_is_success() -> None:
    assert [s for s in range(100, 600) if accepts(s)] == list(range(200, 210))
    assert SPECS["wassenger"].accepts is accepts
    assert SPECS["meta"].accepts(299) and not SPECS["meta"].accepts(300)


def test_expressed_event_types() -> None:
    assert SPECS["wassenger"].events == {
        "message:in:new", "message:out:new", "message:out:ack", "message:out:failed", "test"
    }  # fmt: skip
    assert FORMATS["wassenger"] is wassenger.render


@pytest.mark.parametrize("kind", ["message:update", "message:reaction", "destination:disabled"])
def test_other_event_types_are_skipped(kind: str) -> None:
    assert not expresses("wassenger", kind)
    with pytest.raises(SkipEvent) as caught:
        wassenger.render(base(event_type=kind))
    assert caught.value.reason == (
        f"wassenger format skips {kind}: the seed gives no payload for it"
    )


def test_every_event_type_is_either_expressed_or_skipped() -> None:
    for kind in EventType:
        ev = base(event_type=kind.value, status={"status": "read", "timestamp": STATUS_AT})
        if expresses("wassenger", kind.value):
            assert wassenger.render(ev)
        else:
            with pytest.raises(SkipEvent):
                wassenger.render(ev)


# --- end to end ------------------------------------------------------------------------------


async def test_inbound_and_outbound_events_arrive_in_wassenger_shape(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    events = ["message:in:new", "message:out:new", "message:out:ack", "message:out:failed"]
    await add_destination(gateway, receiver, format="wassenger", events=events,
                          label="Support", retrySchedule=[0, 0.1, 0.2])  # fmt: skip
    user = sim.user("15551230099", "Bob A.")
    inbound = await sim.send(user, "text", body="Hello")
    assert inbound.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    first = receiver.accepted()[0].json()
    conversation = first["wahooks"]["conversationId"]
    sim.fail_next_deliveries(1, code=131026)
    status, answer = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "Doomed"}
    )
    assert status == 200, answer
    doomed = answer["messageId"]
    status, answer = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "Hello there!"}
    )
    assert status == 200, answer
    fine = answer["messageId"]
    # in:new, 2 out:new, failed (1 array), sent/delivered/read for the second message
    await receiver.wait_for(lambda r: len(r.accepted()) == 7)
    payloads = [a.json() for a in receiver.accepted()]
    assert all(a.verified for a in receiver.accepted())

    assert first["event"] == "message:in:new"
    assert first["device"]["phone"] == "+" + sim.settings.display_phone_number
    assert first["device"]["alias"] == "Support"
    assert first["data"]["id"] == inbound.wamid and first["data"]["body"] == "Hello"
    assert first["data"]["fromNumber"] == "+15551230099"
    assert first["data"]["chat"]["name"] == "Bob A."
    assert conversation.startswith("conv_")

    batches = [p for p in payloads if isinstance(p, list)]
    singles = [p for p in payloads if isinstance(p, dict)]
    ((failure,),) = batches
    assert failure["event"] == "message:out:failed" and failure["entityId"] == doomed
    assert failure["data"]["message"] == "Doomed" and failure["data"]["phone"] == "+15551230099"
    assert failure["wahooks"]["status"]["errors"][0]["code"] == 131026
    news = [p for p in singles if p["event"] == "message:out:new"]
    assert sorted(p["data"]["id"] for p in news) == sorted([doomed, fine])
    assert all(p["data"]["ack"] == "pending" and p["data"]["flow"] == "outbound" for p in news)
    acks = [p for p in singles if p["event"] == "message:out:ack"]
    assert sorted(p["ack"] for p in acks) == ["delivered", "read", "sent"]
    assert all(p["data"]["id"] == fine and p["data"]["ack"] == p["ack"] for p in acks)
    assert all(p["data"]["body"] == "Hello there!" for p in acks)


@pytest.mark.xfail(
    strict=True,
    reason="the webhook sender counts every 2xx as success; wassenger wants 200-209 "
    "(SPECS['wassenger'].accepts)",
)
async def test_a_210_answer_is_retried(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, format="wassenger", retrySchedule=[0, 0.1, 0.2])
    receiver.fail_with = [210]
    assert (await sim.send(sim.user("15551230098", "Bob"), "text")).ok

    async def retried() -> bool:
        return receiver.count >= 2

    await eventually(retried, timeout=3)

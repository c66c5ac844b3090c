"""The ``wassenger`` format, field by field against seed 004 (copied to
tests/fixtures/formats/wassenger/).

The seed's examples are not self-consistent (truncated timestamps, chat ids of other numbers),
so they fix the shape, not the values: for each event type, every key the seed has at every
level is either sent, in the seed's order, or listed in ``wassenger.OMITTED``, and nothing is
sent that the seed lacks but our ``wahooks`` object. The values are then checked in full
against hand-written expectations for realistic events, and end to end on a real receiver.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest

from tests.conftest import (
    RunningGateway,
    add_destination,
    eventually,
    registered_sim,
    running_gateway,
)
from tests.formats.seeds import FIXTURES, seed_json
from wahooks.demo.receiver import Receiver
from wahooks.formats import FORMATS, SPECS, SkipEvent, expresses, wassenger
from wahooks.formats.wassenger import MAX_BATCH, OMITTED, accepts, render_batch
from wahooks.models import EventType, MediaInfo, MessageEvent
from wahooks.sim import Simulator

# Statuses (a failure at the first delay) 0.2 s after each send, not 10 ms: on PostgreSQL a
# status ingested while its send is being recorded can still be lost (each transaction misses
# the other's row), and the end-to-end tests here count every one.
SLOW_STATUSES = (0.2, 0.25, 0.3)

SEED = FIXTURES / "wassenger" / "seed_004_2f4da16861570e25.txt"
SEED_IN, SEED_OUT_NEW, SEED_OUT_ACK, SEED_FAILED = seed_json(SEED)

BUSINESS = "1234567890"
USER = "13245635780"
SENT_AT = "1660906748"  # 2022-08-19T10:59:08Z
RECEIVED_AT = "1660906761"  # 2022-08-19T10:59:21Z
STATUS_AT = "1660906800"  # 2022-08-19T11:00:00Z


@pytest.fixture
async def sim(gateway: RunningGateway) -> AsyncIterator[Simulator]:
    """The shared simulator, with SLOW_STATUSES."""
    async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as simulator:
        yield simulator


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
        # The 2026 ids Meta sent, under our names (the seed predates them).
        "wahooks": {"conversationId": "conv_1", "numberId": "num_1", "message": ev.item,
                    "userId": ev.contact["user_id"]},
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


async def delivered_once(gateway: RunningGateway, destination_id: str) -> Any:
    """The destination's only delivery, with its attempts, once it is finished."""

    async def finished() -> Any:
        status, page = await gateway.api(
            "GET", "/v1/deliveries", params={"destinationId": destination_id}
        )
        assert status == 200, page
        done = [d for d in page["data"] if d["status"] in ("succeeded", "failed")]
        return done[0] if done else None

    delivery = await eventually(finished, timeout=5)
    status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
    assert status == 200, detail
    return detail


async def test_a_210_answer_is_retried(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """Wassenger: "HTTP response status code must be 200-209 to be successful"."""
    destination = await add_destination(
        gateway, receiver, format="wassenger", retrySchedule=[0, 0.1, 0.1, 0.1]
    )
    receiver.fail_with = [210, 299, 209]
    assert (await sim.send(sim.user("15551230098", "Bob"), "text")).ok
    delivery = await delivered_once(gateway, destination["id"])
    assert delivery["status"] == "succeeded" and receiver.count == 3
    attempts = [(a["statusCode"], a["error"]) for a in delivery["attemptLog"]]
    assert attempts == [(210, "status_2xx"), (299, "status_2xx"), (209, None)]
    assert "does not count as delivered" in delivery["attemptLog"][0]["errorDetail"]


async def test_the_success_rule_is_the_formats(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """The same 210 acknowledges a delivery in any other format (every 2xx does)."""
    destination = await add_destination(gateway, receiver, format="pipes", retrySchedule=[0, 0.1])
    receiver.fail_with = [210]
    assert (await sim.send(sim.user("15551230097", "Bob"), "text")).ok
    delivery = await delivered_once(gateway, destination["id"])
    assert delivery["status"] == "succeeded" and receiver.count == 1
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [210]


# --- failed messages, batched end to end ---------------------------------------------------


async def open_conversations(
    gateway: RunningGateway, sim: Simulator, wa_ids: list[str]
) -> dict[str, str]:
    """Each user writes once (opening WhatsApp's window); their conversation ids, by wa_id,
    as a pipes receiver of message:in:new learns them."""
    learner = Receiver()
    await learner.start()
    try:
        await add_destination(gateway, learner, events=["message:in:new"])
        for wa_id in wa_ids:
            assert (await sim.send(sim.user(wa_id, "Bob"), "text", body="hi")).ok
        await learner.wait_for(lambda r: len(r.accepted()) == len(wa_ids))
    finally:
        await learner.stop()
    found = {}
    for arrival in learner.accepted():
        payload = arrival.json()
        wa_id = payload["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"]
        found[wa_id] = payload["pipes"]["conversationId"]
    return found


async def fail_sends(gateway: RunningGateway, sim: Simulator, conversations: list[str]) -> None:
    """One send to each conversation (in this order), each then reported failed by Meta."""
    sim.fail_next_deliveries(len(conversations), code=131026)
    for n, conversation in enumerate(conversations):
        status, body = await gateway.api(
            "POST", "/v1/messages/send", {"conversationId": conversation, "text": f"doomed {n}"}
        )
        assert status == 200, body


async def pending_deliveries(gateway: RunningGateway, destination_id: str, n: int) -> list[Any]:
    async def all_there() -> Any:
        status, page = await gateway.api(
            "GET", "/v1/deliveries", params={"destinationId": destination_id, "limit": "200"}
        )
        assert status == 200, page
        return page["data"] if len(page["data"]) == n else None

    return list(await eventually(all_there))


async def attempt_logs(gateway: RunningGateway, deliveries: list[Any]) -> list[list[Any]]:
    """Their attempts, once every one has succeeded (attempts are recorded after the
    receiver has answered)."""

    async def succeeded() -> Any:
        found = []
        for delivery in deliveries:
            status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
            assert status == 200, detail
            if detail["status"] != "succeeded":
                return None
            found.append(detail["attemptLog"])
        return found

    return list(await eventually(succeeded))


@pytest.mark.e2e
async def test_failed_messages_go_out_in_batches_of_25(
    database_url: str, receiver: Receiver
) -> None:
    """28 failures in 27 conversations wait while the destination is disabled; enabled, the
    27 first ones are claimed together and go out as POSTs of 25 and 2, each an array in the
    seed's shape. The conversation with two waits for its first to be answered, so its
    second goes alone, after."""
    async with running_gateway(database_url) as gateway:
        async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as sim:
            wa_ids = [f"155512310{n:02d}" for n in range(27)]
            conversations = await open_conversations(gateway, sim, wa_ids)
            destination = await add_destination(
                gateway, receiver, format="wassenger", events=["message:out:failed"]
            )
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": False}
            )
            assert status == 200, body
            twice = conversations[wa_ids[0]]
            await fail_sends(gateway, sim, [conversations[w] for w in wa_ids] + [twice])
            deliveries = await pending_deliveries(gateway, destination["id"], 28)
            assert receiver.count == 0
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": True}
            )
            assert status == 200, body
            await receiver.wait_for(lambda r: sum(len(a.json()) for a in r.arrivals) == 28)
            logs = await attempt_logs(gateway, deliveries)
    posts = [a.json() for a in receiver.arrivals]
    assert all(isinstance(p, list) for p in posts)
    assert sorted(len(p) for p in posts) == [1, 2, 25]
    items = [item for post in posts for item in post]
    assert all(item["event"] == "message:out:failed" for item in items)
    assert len({item["entityId"] for item in items}) == 28  # each failure once
    assert sorted(i["data"]["message"] for i in items) == sorted([f"doomed {n}" for n in range(28)])
    # The conversation's two failures: in separate POSTs, the second after the first.
    mine = [
        n for n, post in enumerate(posts) for i in post if i["wahooks"]["conversationId"] == twice
    ]
    assert len(mine) == 2 and mine[0] < mine[1] and len(posts[mine[1]]) == 1
    assert [i["data"]["message"] for i in posts[mine[1]]] == ["doomed 27"]
    # A batch has an id of its own; a lone delivery keeps its id.
    webhook_ids = [a.webhook_id for a in receiver.arrivals]
    for post, webhook_id in zip(posts, webhook_ids, strict=True):
        assert webhook_id.startswith("batch_" if len(post) > 1 else "dlv_")
    assert all(a.verified for a in receiver.arrivals)
    # One attempt on each delivery, the POST's answer.
    assert all([(a["statusCode"], a["error"]) for a in log] == [(200, None)] for log in logs)


async def test_a_batch_answer_is_recorded_on_every_delivery_of_it(
    database_url: str, receiver: Receiver
) -> None:
    """The receiver refuses a batch: each of its deliveries records that same attempt, and
    is retried."""
    async with running_gateway(database_url) as gateway:
        async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as sim:
            wa_ids = ["15551231101", "15551231102", "15551231103"]
            conversations = await open_conversations(gateway, sim, wa_ids)
            destination = await add_destination(
                gateway, receiver, format="wassenger", retrySchedule=[0, 0.1],
                events=["message:out:failed"],
            )  # fmt: skip
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": False}
            )
            assert status == 200, body
            await fail_sends(gateway, sim, [conversations[w] for w in wa_ids])
            deliveries = await pending_deliveries(gateway, destination["id"], 3)
            receiver.fail_with = [503]
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": True}
            )
            assert status == 200, body
            await receiver.wait_for(lambda r: sum(len(a.json()) for a in r.accepted()) == 3)
            logs = await attempt_logs(gateway, deliveries)
    refused = receiver.arrivals[0]
    assert refused.answered == 503 and len(refused.json()) == 3
    firsts = [log[0] for log in logs]
    assert all((a["statusCode"], a["error"]) == (503, "status_5xx") for a in firsts)
    assert len({(a["startedAt"], a["latencyMs"]) for a in firsts}) == 1  # the same attempt
    assert all([a["statusCode"] for a in log] == [503, 200] for log in logs)

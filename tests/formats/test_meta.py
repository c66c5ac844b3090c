"""The ``meta`` format: Meta's own notification, checked three ways.

1. Meta's payloads (tests/fixtures/meta, written from Meta's documented format) are
   reproduced byte for byte (in Meta's compact serialisation) from the message/status and
   contact they carry.
2. A real ``pywa`` bot parses what we render for every message type the simulator produces,
   into the right update type with the right fields, over HTTP with pywa's signature check.
3. End to end: a gateway delivers the simulator's messages to that bot, signed with the
   destination's secret, which pywa verifies as the app secret.
"""

import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import pytest
from pywa_async.types import (
    CallbackButton,
    CallbackSelection,
    DeletedMessage,
    EditedMessage,
    Message,
    MessageStatus,
    PhoneNumberChange,
)
from pywa_async.types.message import OutgoingMessage

from tests.conftest import META_FIXTURES, RunningGateway, eventually
from tests.formats.pywa_bot import Parsed, PywaBot, PywaErrors
from wahooks.formats import FORMATS, SPECS, SkipEvent, expresses, meta
from wahooks.formats.samples import sample_event
from wahooks.models import Destination, EventType, MessageEvent
from wahooks.sim import Simulator
from wahooks.sim.media import MediaStore
from wahooks.sim.messages import MESSAGE_TYPES, MessageBuilder, SimUser

SECRET = "meta-destination-secret-0123456789"
PHONE_ID = "106540352242922"
WABA_ID = "102290129340398"
DISPLAY = "15550783881"
USER = SimUser("15551234567", "Jane Doe")
STATUS_EVENT = {
    "sent": "message:out:ack",
    "delivered": "message:out:ack",
    "read": "message:out:ack",
    "played": "message:out:ack",
    "failed": "message:out:failed",
}


def meta_bytes(payload: Any) -> bytes:
    """Meta's serialisation: compact, non-ASCII escaped."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


def fixtures() -> list[tuple[str, Any]]:
    found = []
    for path in sorted(META_FIXTURES.glob("*.json")):
        for name, payload in json.loads(path.read_text()).items():
            found.append((f"{path.stem}:{name}", payload))
    # A parametrisation from files must never collect nothing without saying so.
    assert len(found) >= 30, f"Meta fixtures missing from {META_FIXTURES}"
    return found


FIXTURES = fixtures()


def event_from(payload: Any) -> MessageEvent:
    """What the gateway keeps of a one-item Meta notification, as the dispatcher hands it."""
    (entry,) = payload["entry"]
    (change,) = entry["changes"]
    value = change["value"]
    contacts = value.get("contacts") or [None]
    common: dict[str, Any] = {
        "number_id": "num_1",
        "display_phone_number": value["metadata"]["display_phone_number"],
        "phone_number_id": value["metadata"]["phone_number_id"],
        "waba_id": entry["id"],
        "conversation_id": "conv_1",
        "label": None,
        "contact": contacts[0],
    }
    if "statuses" in value:
        (status,) = value["statuses"]
        sent = {"to": status["recipient_id"], "type": "text", "text": {"body": "hi"},
                "id": status["id"], "timestamp": "1698266900"}  # fmt: skip
        return MessageEvent(
            event_type=STATUS_EVENT[status["status"]],
            item=sent,
            status=status,
            wa_id=status["recipient_id"],
            **common,
        )
    (item,) = value["messages"]
    kind = {"edit": "message:update", "revoke": "message:update", "reaction": "message:reaction"}
    return MessageEvent(
        event_type=kind.get(item["type"], "message:in:new"), item=item, wa_id=item["from"], **common
    )


def sim_event(type_: str, **fields: Any) -> MessageEvent:
    builder = MessageBuilder(media=MediaStore(), business_number=DISPLAY, clock=time.time)
    item = builder.build(USER, type_, **fields)
    kind = {"edit": "message:update", "revoke": "message:update", "reaction": "message:reaction"}
    return MessageEvent(
        event_type=kind.get(item["type"], "message:in:new"),
        number_id="num_1",
        display_phone_number=DISPLAY,
        phone_number_id=PHONE_ID,
        waba_id=WABA_ID,
        conversation_id="conv_1",
        label="support",
        item=item,
        contact=USER.contact(),
        wa_id=USER.wa_id,
    )


def value_of(payload: Any) -> Any:
    return payload["entry"][0]["changes"][0]["value"]


# --- 1. Meta's own payloads, reproduced -----------------------------------------------------


def test_the_fixtures_cover_every_shape_we_send() -> None:
    kinds = set()
    for _, payload in FIXTURES:
        value = value_of(payload)
        kinds.add(value["messages"][0]["type"] if "messages" in value else "status")
    assert {"text", "image", "audio", "video", "document", "sticker", "location", "contacts",
            "reaction", "interactive", "button", "order", "system", "unsupported", "edit",
            "revoke", "status"} <= kinds  # fmt: skip


@pytest.mark.parametrize(("name", "payload"), FIXTURES, ids=[n for n, _ in FIXTURES])
def test_a_meta_fixture_is_reproduced_byte_for_byte(name: str, payload: Any) -> None:
    expected = json.loads(json.dumps(payload))
    value = value_of(expected)
    if "errors" in value and "messages" in value:
        # Value-level errors are not part of the stored message (see the report to the
        # dispatcher's owner); everything else must come back exactly.
        del value["errors"]
    assert meta.render(event_from(payload)) == meta_bytes(expected)


def test_ids_come_from_meta_not_from_us() -> None:
    ev = sim_event("text")
    payload = orjson.loads(meta.render(ev))
    assert payload["object"] == "whatsapp_business_account"
    assert payload["entry"][0]["id"] == WABA_ID
    assert value_of(payload)["metadata"] == {
        "display_phone_number": DISPLAY,
        "phone_number_id": PHONE_ID,
    }
    assert b"num_1" not in meta.render(ev) and b"conv_1" not in meta.render(ev)


@pytest.mark.parametrize("shown", ["+15550783881", "15550783881"])
def test_display_number_is_written_as_meta_writes_it(shown: str) -> None:
    payload = orjson.loads(meta.render(replace(sim_event("text"), display_phone_number=shown)))
    assert value_of(payload)["metadata"]["display_phone_number"] == "15550783881"


def test_timestamps_are_unix_seconds_in_strings() -> None:
    ev = sim_event("text")
    as_int = replace(ev, item={**ev.item, "timestamp": 1700000000})
    (message,) = value_of(orjson.loads(meta.render(as_int)))["messages"]
    assert message["timestamp"] == "1700000000"
    status = {"id": "wamid.x", "status": "read", "timestamp": 1700000001, "recipient_id": "1"}
    out = replace(ev, event_type="message:out:ack", status=status)
    (rendered,) = value_of(orjson.loads(meta.render(out)))["statuses"]
    assert rendered == {**status, "timestamp": "1700000001"}
    assert ev.item["timestamp"] != 1700000000 and status["timestamp"] == 1700000001  # untouched


def test_every_contact_and_message_field_is_kept_including_unknown_ones() -> None:
    ev = sim_event("image")
    contact = {**USER.contact(), "parent_user_id": "US.ENT.1", "future_field": {"x": 1}}
    item = {**ev.item, "future_field": [1, 2], "referral": {"source_id": "ad"}}
    value = value_of(orjson.loads(meta.render(replace(ev, contact=contact, item=item))))
    assert value["contacts"] == [contact]
    assert value["messages"] == [item]
    assert value["contacts"][0]["user_id"] == USER.user_id


def test_one_message_and_one_contact_per_notification() -> None:
    value = value_of(orjson.loads(meta.render(sim_event("text"))))
    assert list(value) == ["messaging_product", "metadata", "contacts", "messages"]
    assert len(value["messages"]) == 1 and len(value["contacts"]) == 1


def test_non_ascii_is_escaped_as_meta_does() -> None:
    ev = sim_event("text", body="ÿ 👍 שלום")
    body = meta.render(ev)
    assert body.isascii() and b"\\ud83d\\udc4d" in body
    assert value_of(json.loads(body))["messages"][0]["text"]["body"] == "ÿ 👍 שלום"


def test_message_out_new_is_an_smb_message_echo() -> None:
    text = {"body": "Thanks!", "preview_url": False}
    sent = {"messaging_product": "whatsapp", "to": USER.wa_id, "type": "text", "text": text,
            "id": "wamid.out", "timestamp": "1700000000"}  # fmt: skip
    ev = replace(sim_event("text"), event_type="message:out:new", item=sent, contact=None)
    payload = orjson.loads(meta.render(ev))
    change = payload["entry"][0]["changes"][0]
    assert change["field"] == "smb_message_echoes"
    assert change["value"] == {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY, "phone_number_id": PHONE_ID},
        "message_echoes": [
            {
                "from": DISPLAY,
                "to": USER.wa_id,
                "id": "wamid.out",
                "timestamp": "1700000000",
                "type": "text",
                "text": {"body": "Thanks!"},
            }
        ],
    }


def test_an_outbound_event_carries_the_contact_when_the_event_has_it() -> None:
    status = {"id": "wamid.x", "status": "sent", "timestamp": "1", "recipient_id": USER.wa_id}
    ev = replace(sim_event("text"), event_type="message:out:ack", status=status)
    assert value_of(orjson.loads(meta.render(ev)))["contacts"] == [USER.contact()]
    assert "contacts" not in value_of(orjson.loads(meta.render(replace(ev, contact=None))))


def test_the_test_delivery_is_a_text_message_marked_test() -> None:
    destination = Destination(
        id="dst_1", tenant_id="ten_1", number_id=None, url="http://127.0.0.1/", secret=SECRET,
        label="support", format="meta", timeout_s=10, retry_schedule=(0,), enabled=True,
        disabled_reason=None, created_at=0,
    )  # fmt: skip
    payload = orjson.loads(meta.render(sample_event(destination, None, 1700000000)))
    assert payload["test"] is True
    (message,) = value_of(payload)["messages"]
    assert message["type"] == "text" and message["timestamp"] == "1700000000"
    assert "test" not in orjson.loads(meta.render(sim_event("text")))


# --- what is skipped ------------------------------------------------------------------------


def test_expressed_event_types() -> None:
    # Our own news (a destination disabled, a conversation changed through our API) has no
    # shape in Meta's notification.
    ours = {"destination:disabled", "chat:update", "contact:update"}
    assert SPECS["meta"].events == {e.value for e in EventType} - ours
    assert FORMATS["meta"] is meta.render
    assert not expresses("meta", "destination:disabled")
    for kind in ("message:in:new", "message:out:new", "message:out:ack", "message:out:failed"):
        assert expresses("meta", kind)


def test_destination_disabled_is_skipped_with_a_reason() -> None:
    ev = replace(sim_event("text"), event_type="destination:disabled")
    with pytest.raises(SkipEvent) as caught:
        meta.render(ev)
    assert caught.value.reason == (
        "meta format skips destination:disabled: Meta has no notification for it"
    )


def test_a_status_event_without_a_status_is_skipped() -> None:
    ev = replace(sim_event("text"), event_type="message:out:ack", status=None)
    with pytest.raises(SkipEvent, match="no status"):
        meta.render(ev)


# --- 2. pywa parses what we render ----------------------------------------------------------


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + digest}


async def post(bot: PywaBot, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(bot.url, data=body, headers=headers) as r:
        await r.read()
        return r.status


def check_parsed(parsed: Parsed, item: Any, user: SimUser, ids: tuple[str, str, str]) -> None:
    """pywa built the right update type for ``item`` with the right fields."""
    phone_id, waba_id, display = ids
    update, kind = parsed.update, item["type"]
    assert update.metadata.phone_number_id == phone_id
    assert update.metadata.display_phone_number == display
    assert update.waba_id == waba_id
    assert update.timestamp == datetime.fromtimestamp(int(item["timestamp"]), UTC)
    assert update.from_user.wa_id == user.wa_id
    # A number change carries the new BSUID (pywa puts it on the user too).
    assert update.from_user.bsuid == (item["system"]["user_id"] if kind == "system"
                                      else user.user_id)  # fmt: skip
    if kind == "system":
        assert parsed.handler == "on_phone_number_change"
        assert isinstance(update, PhoneNumberChange)
        assert update.old_wa_id == user.wa_id
        assert update.new_wa_id == item["system"]["wa_id"]
        assert update.new_user_id == item["system"]["user_id"] != user.user_id
        assert update.body == item["system"]["body"]
        return
    assert update.from_user.name == user.name
    if kind == "edit":
        assert isinstance(update, EditedMessage) and parsed.handler == "on_edited_message"
        assert update.id == item["id"]
        assert update.original_message_id == item["edit"]["original_message_id"]
        assert update.message.text == item["edit"]["message"]["text"]["body"]
        return
    if kind == "revoke":
        assert isinstance(update, DeletedMessage) and parsed.handler == "on_deleted_message"
        assert update.original_message_id == item["revoke"]["original_message_id"]
        return
    assert update.id == item["id"]
    if kind == "interactive" and item["interactive"]["type"] == "list_reply":
        assert isinstance(update, CallbackSelection) and parsed.handler == "on_callback_selection"
        reply = item["interactive"]["list_reply"]
        assert (update.data, update.title) == (reply["id"], reply["title"])
        assert update.description == reply["description"]
        assert update.reply_to_message.id == item["context"]["id"]
        return
    if kind in ("interactive", "button"):
        assert isinstance(update, CallbackButton) and parsed.handler == "on_callback_button"
        if kind == "button":
            assert (update.data, update.title) == (
                item["button"]["payload"],
                item["button"]["text"],
            )
        else:
            reply = item["interactive"]["button_reply"]
            assert (update.data, update.title) == (reply["id"], reply["title"])
        assert update.reply_to_message.id == item["context"]["id"]
        return
    assert isinstance(update, Message) and parsed.handler == "on_message"
    assert update.type.value == kind
    content = item.get(kind)
    if kind == "text":
        assert update.text == content["body"]
    elif kind in ("image", "audio", "video", "document", "sticker"):
        media = getattr(update, kind)
        assert (media.id, media.sha256, media.mime_type) == (
            content["id"], content["sha256"], content["mime_type"],
        )  # fmt: skip
        assert update.caption == content.get("caption")
        if kind == "document":
            assert media.filename == content["filename"]
        if kind == "audio":
            assert media.voice == content["voice"]
        if kind == "sticker":
            assert media.animated == content["animated"]
    elif kind == "location":
        loc = update.location
        assert (loc.latitude, loc.longitude, loc.name, loc.address) == (
            content["latitude"], content["longitude"], content["name"], content["address"],
        )  # fmt: skip
    elif kind == "contacts":
        (card,) = update.contacts
        assert card.name.formatted_name == content[0]["name"]["formatted_name"]
        assert card.phones[0].wa_id == content[0]["phones"][0]["wa_id"]
    elif kind == "reaction":
        assert update.reaction.message_id == content["message_id"]
        assert update.reaction.emoji == content["emoji"]
    elif kind == "order":
        assert update.order.catalog_id == content["catalog_id"]
        assert len(update.order.products) == len(content["product_items"])
    elif kind == "unsupported":
        assert update.error is not None and update.error.code == 131051
    else:
        raise AssertionError(f"no check for {kind}")


async def test_pywa_parses_every_simulator_message_type_we_render() -> None:
    bot = PywaBot(app_secret=SECRET, phone_id=PHONE_ID, waba_id=WABA_ID)
    with PywaErrors().watching() as errors:
        async with bot.running():
            events = [sim_event(type_) for type_ in MESSAGE_TYPES]
            for ev in events:
                body = meta.render(ev)
                assert await post(bot, body, signed(body)) == 200
            parsed = await bot.wait_for(len(MESSAGE_TYPES))
    assert errors.messages == []
    assert len(parsed) == len(MESSAGE_TYPES)
    by_id = {ev.item["id"]: ev.item for ev in events}
    for one in parsed:
        wamid = one.update.id
        check_parsed(one, by_id[wamid], USER, (PHONE_ID, WABA_ID, DISPLAY))


async def test_pywa_parses_our_statuses_and_echoes_when_they_carry_the_contact() -> None:
    bot = PywaBot(app_secret=SECRET, phone_id=PHONE_ID, waba_id=WABA_ID)
    base = sim_event("text")
    sent = {"to": USER.wa_id, "type": "text", "text": {"body": "Thanks!"}, "id": "wamid.out",
            "timestamp": "1700000000"}  # fmt: skip
    failure = {"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
               "error_data": {"details": "unreachable"}}  # fmt: skip
    events = [replace(base, event_type="message:out:new", item=sent)]
    for status in ("sent", "delivered", "read", "failed"):
        item = {"id": "wamid.out", "status": status, "timestamp": "1700000005",
                "recipient_id": USER.wa_id}  # fmt: skip
        if status == "failed":
            item["errors"] = [failure]
        events.append(replace(base, event_type=STATUS_EVENT[status], item=sent, status=item))
    with PywaErrors().watching() as errors:
        async with bot.running():
            for ev in events:
                body = meta.render(ev)
                assert await post(bot, body, signed(body)) == 200
            parsed = await bot.wait_for(len(events))
    assert errors.messages == []
    echo, *statuses = parsed
    assert echo.handler == "on_outgoing_message" and isinstance(echo.update, OutgoingMessage)
    assert echo.update.id == "wamid.out" and echo.update.text == "Thanks!"
    assert echo.update.to_user.wa_id == USER.wa_id
    assert [p.handler for p in statuses] == ["on_message_status"] * 4
    assert all(isinstance(p.update, MessageStatus) for p in statuses)
    assert [p.update.status.value for p in statuses] == ["sent", "delivered", "read", "failed"]
    assert all(p.update.id == "wamid.out" for p in statuses)
    assert all(p.update.from_user.bsuid == USER.user_id for p in statuses)
    assert statuses[-1].update.error.code == 131026


async def test_pywa_refuses_a_wrong_signature_and_foreign_ids() -> None:
    bot = PywaBot(app_secret=SECRET, phone_id=PHONE_ID, waba_id=WABA_ID)
    async with bot.running():
        body = meta.render(sim_event("text"))
        assert await post(bot, body, signed(body, "another-secret-0123456789")) == 403
        assert await post(bot, body, {"Content-Type": "application/json"}) == 401
        # Signed right, but for another WABA: pywa's filter drops it (the ids matter).
        foreign = meta.render(replace(sim_event("text"), waba_id="999"))
        assert await post(bot, foreign, signed(foreign)) == 200
        ok = meta.render(sim_event("text"))
        assert await post(bot, ok, signed(ok)) == 200
        parsed = await bot.wait_for(1)
    assert len(parsed) == 1 and len(bot.raw) == 2


# --- 3. end to end: the gateway delivers to the pywa bot ------------------------------------


async def meta_destination(gateway: RunningGateway, bot: PywaBot, events: list[str]) -> Any:
    status, body = await gateway.api(
        "POST",
        "/v1/destinations",
        {
            "url": bot.url,
            "secret": SECRET,
            "format": "meta",
            "events": events,
            "retrySchedule": [0, 0.1, 0.2, 0.5],
        },
    )
    assert status == 201, body
    return body


async def test_a_pywa_bot_gets_every_message_type_from_the_gateway(
    gateway: RunningGateway, sim: Simulator
) -> None:
    settings = sim.settings
    bot = PywaBot(app_secret=SECRET, phone_id=settings.phone_number_id, waba_id=settings.waba_id)
    user = sim.user("15551230077", "Jane Doe")
    with PywaErrors().watching() as errors:
        async with bot.running():
            await meta_destination(
                gateway, bot, ["message:in:new", "message:update", "message:reaction"]
            )
            sent = {}
            for type_ in MESSAGE_TYPES:
                result = await sim.send(user, type_)
                assert result.ok, type_
                sent[result.wamid] = result.message
            parsed = await bot.wait_for(len(MESSAGE_TYPES))
    assert errors.messages == []
    assert len(parsed) == len(MESSAGE_TYPES) == len(sent)
    ids = (settings.phone_number_id, settings.waba_id, settings.display_phone_number)
    for one in parsed:
        check_parsed(one, sent[one.update.id], user, ids)
    kinds = {type(p.update).__name__ for p in parsed}
    assert kinds == {"Message", "CallbackButton", "CallbackSelection", "PhoneNumberChange",
                     "EditedMessage", "DeletedMessage"}  # fmt: skip


@pytest.mark.e2e
async def test_a_bot_with_another_secret_gets_nothing(
    gateway: RunningGateway, sim: Simulator
) -> None:
    settings = sim.settings
    bot = PywaBot(
        app_secret="not-the-destination-secret-0123",
        phone_id=settings.phone_number_id,
        waba_id=settings.waba_id,
    )
    async with bot.running():
        destination = await meta_destination(gateway, bot, ["message:in:new"])
        assert (await sim.send(sim.user("15551230078", "Eve"), "text")).ok

        async def refused() -> Any:
            (delivery,) = await deliveries(gateway, destinationId=destination["id"])
            return delivery["lastStatusCode"] == 403 and delivery["attempts"] >= 2

        await eventually(refused)
    assert bot.parsed == [] and bot.raw == []


async def deliveries(gateway: RunningGateway, **query: str) -> list[Any]:
    status, page = await gateway.api("GET", "/v1/deliveries", params=query)
    assert status == 200, page
    return list(page["data"])


async def outbound_round(gateway: RunningGateway, sim: Simulator, bot: PywaBot) -> str:
    """A user writes, we answer through the REST API, the simulator reports sent, delivered,
    read; the bot is subscribed to everything. Returns our message's wamid."""
    events = ["message:in:new", "message:out:new", "message:out:ack", "message:out:failed"]
    await meta_destination(gateway, bot, events)
    inbound = await sim.send(sim.user("15551230079", "Jane Doe"), "text", body="hello")
    assert inbound.ok
    await bot.wait_for(1)
    (delivery,) = await deliveries(gateway)
    conversation = delivery["conversationId"]
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "Thanks!"}
    )
    assert status == 200, sent
    return str(sent["messageId"])


async def test_out_events_reach_the_bot_in_meta_shapes(
    gateway: RunningGateway, sim: Simulator
) -> None:
    settings = sim.settings
    bot = PywaBot(app_secret=SECRET, phone_id=settings.phone_number_id, waba_id=settings.waba_id)
    async with bot.running():
        wamid = await outbound_round(gateway, sim, bot)
        await eventually(lambda: _count(bot, 5), timeout=15)
    # pywa verified the signature and routed them (raw updates are recorded after that).
    fields = [u["entry"][0]["changes"][0]["field"] for u in bot.raw]
    values = [u["entry"][0]["changes"][0]["value"] for u in bot.raw]
    assert fields == ["messages", "smb_message_echoes", "messages", "messages", "messages"]
    echo = values[1]["message_echoes"][0]
    assert echo["id"] == wamid and echo["text"] == {"body": "Thanks!"}
    assert echo["from"] == settings.display_phone_number and echo["to"] == "15551230079"
    statuses = [v["statuses"][0] for v in values[2:]]
    assert sorted(s["status"] for s in statuses) == ["delivered", "read", "sent"]
    assert all(s["id"] == wamid and s["timestamp"].isdigit() for s in statuses)
    assert all(s["recipient_id"] == "15551230079" for s in statuses)


async def _count(bot: PywaBot, n: int) -> bool:
    return len(bot.raw) >= n


async def test_pywa_builds_statuses_from_the_gateway(
    gateway: RunningGateway, sim: Simulator
) -> None:
    """Meta's statuses carry no contact; pywa (>= 4.5) builds a MessageStatus and an
    OutgoingMessage only from ``contacts[0]`` with its ``user_id``. The gateway lends them
    the contact of the user's last message, so the bot knows whom each status is about."""
    settings = sim.settings
    bot = PywaBot(app_secret=SECRET, phone_id=settings.phone_number_id, waba_id=settings.waba_id)
    with PywaErrors().watching() as errors:
        async with bot.running():
            wamid = await outbound_round(gateway, sim, bot)
            parsed = await bot.wait_for(5, timeout=5)
    assert errors.messages == []
    assert sorted(p.handler for p in parsed) == sorted(
        ["on_message", "on_outgoing_message"] + ["on_message_status"] * 3
    )
    user = sim.user("15551230079", "Jane Doe")
    statuses = [p.update for p in parsed if p.handler == "on_message_status"]
    assert all(isinstance(s, MessageStatus) for s in statuses)
    assert sorted(s.status.value for s in statuses) == ["delivered", "read", "sent"]
    assert all(s.id == wamid for s in statuses)
    for update in [*statuses, *(p.update for p in parsed if p.handler != "on_message_status")]:
        assert update.from_user.wa_id == user.wa_id and update.from_user.name == "Jane Doe"
        assert update.from_user.bsuid == user.user_id


async def test_the_test_delivery_reaches_a_pywa_bot(
    gateway: RunningGateway, sim: Simulator
) -> None:
    """POST /v1/destinations/{id}/test in the meta format: pywa verifies it and parses it
    as a text message (the sample's contact carries a user_id, as Meta's do)."""
    settings = sim.settings
    bot = PywaBot(app_secret=SECRET, phone_id=settings.phone_number_id, waba_id=settings.waba_id)
    async with bot.running():
        destination = await meta_destination(gateway, bot, ["message:in:new"])
        status, result = await gateway.api("POST", f"/v1/destinations/{destination['id']}/test")
        assert status == 200 and result["success"] is True, result
        (parsed,) = await bot.wait_for(1)
    assert parsed.handler == "on_message" and isinstance(parsed.update, Message)
    assert parsed.update.text == "This is a test delivery from wahooks."
    assert parsed.update.metadata.phone_number_id == settings.phone_number_id
    assert parsed.update.raw["test"] is True

"""Messages of every type reach the gateway in Meta's shape, signed, in every batch layout."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from wahooks.sim import MESSAGE_TYPES, InvalidMessage, Simulator, notifications
from wahooks.sim.messages import SimUser

from .helpers import APP_SECRET, Receiver, load_fixture

Json = dict[str, Any]


def shape(obj: Any) -> Any:
    """Keys and value types, recursively; a list is described by its first element."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shape(obj[0])] if obj else []
    if isinstance(obj, bool):
        return "bool"
    if isinstance(obj, int | float):
        return "number"
    return type(obj).__name__


def fixture_message(file: str, key: str) -> Json:
    item: Json = load_fixture(file)[key]["entry"][0]["changes"][0]["value"]["messages"][0]
    return item


# (fixture file, fixture key, our type, our fields): each pair must have the same shape.
CASES: list[tuple[str, str, str, Json]] = [
    ("message.json", "text", "text", {}),
    ("message.json", "image", "image", {"caption": None}),
    ("message.json", "video", "video", {"forwarded": True}),
    ("message.json", "document", "document", {"forwarded": True}),
    ("message.json", "audio", "audio", {"forwarded": True}),
    ("message.json", "voice", "audio", {"voice": True}),
    ("message.json", "static_sticker", "sticker", {}),
    ("message.json", "animated_sticker", "sticker", {"animated": True}),
    ("message.json", "reaction", "reaction", {}),
    ("message.json", "unreaction_empty", "reaction", {"emoji": ""}),
    ("message.json", "unreaction_no_emoji", "reaction", {"emoji": None}),
    (
        "message.json",
        "current_location",
        "location",
        {"forwarded": True, "name": None, "address": None},
    ),
    ("message.json", "chosen_location", "location", {"forwarded": True, "url": "https://m.ap/x"}),
    ("message.json", "contacts", "contacts", {}),
    ("message.json", "order", "order", {}),
    ("message.json", "unsupported", "unsupported", {}),
    ("message.json", "unsupported_with_type", "unsupported", {"unsupported_type": "poll"}),
    ("message.json", "reply", "text", {"reply_to": "wamid.original"}),
    ("message.json", "forwarded", "text", {"forwarded": True}),
    ("message.json", "forwarded_many_times", "text", {"frequently_forwarded": True}),
    ("message.json", "referral", "text", {"referral": True}),
    ("callback_button.json", "button", "button_reply", {}),
    ("callback_button.json", "quick_reply", "button", {}),
    ("callback_selection.json", "callback", "list_reply", {"description": None}),
    ("callback_selection.json", "description", "list_reply", {}),
    ("callback_selection.json", "description", "interactive", {"interactive_type": "list_reply"}),
    ("system.json", "phone_number_change", "system", {}),
    ("deleted_message.json", "revoke", "revoke", {}),
]


@pytest.mark.parametrize(("file", "key", "type_", "fields"), CASES)
def test_message_has_meta_shape(
    sim: Simulator, file: str, key: str, type_: str, fields: Json
) -> None:
    user = sim.user("15551230001", "Jane")
    built = sim.build_message(user, type_, **fields)
    if type_ == "system":
        # Meta added the previous BSUID to system messages (changelog, Aug 11, 2026), after
        # pywa's sample was taken.
        assert built["system"].pop("previous_user_id") == user.user_id
    assert shape(built) == shape(fixture_message(file, key))
    assert built["from"] == "15551230001"
    assert built["id"].startswith("wamid.") and len(built["id"]) > 20
    assert isinstance(built["timestamp"], str) and built["timestamp"].isdigit()


def test_edit_has_meta_shape(sim: Simulator) -> None:
    fixture = fixture_message("edited_message.json", "image")
    built = sim.build_message(
        sim.user("15551230001", "Jane"), "edit", original_message_id="wamid.orig", body="fixed"
    )
    assert shape({k: v for k, v in built.items() if k != "edit"}) == shape(
        {k: v for k, v in fixture.items() if k != "edit"}
    )
    assert built["edit"] == {
        "original_message_id": "wamid.orig",
        "message": {"type": "text", "text": {"body": "fixed"}},
    }
    image = {"type": "image", "image": fixture["edit"]["message"]["image"]}
    assert sim.build_message(sim.user("1", "A"), "edit", message=image)["edit"]["message"] == image


def test_every_type_builds_with_defaults_and_unique_ids(sim: Simulator) -> None:
    user = sim.user("15551230001", "Jane")
    ids = set()
    for type_ in MESSAGE_TYPES:
        message = sim.build_message(user, type_)
        ids.add(message["id"])
        assert {"from", "id", "timestamp", "type"} <= message.keys()
    assert len(ids) == len(MESSAGE_TYPES)


def test_overrides_and_bad_fields(sim: Simulator) -> None:
    user = sim.user("15551230001", "Jane")
    msg = sim.build_message(user, "document", filename="report.txt", mime_type="text/plain")
    assert msg["document"]["filename"] == "report.txt"
    assert msg["document"]["mime_type"] == "text/plain"
    assert sim.build_message(user, "text", body="hi", timestamp=1234)["timestamp"] == "1234"
    with pytest.raises(InvalidMessage, match="unknown message type"):
        sim.build_message(user, "poll")
    with pytest.raises(InvalidMessage, match="unknown field"):
        sim.build_message(user, "text", caption="no captions on text")
    with pytest.raises(InvalidMessage, match="must be"):
        sim.build_message(user, "text", body=42)


def test_user_contact_looks_like_meta() -> None:
    user = SimUser("15551230001", "Jane")
    contact = user.contact()
    assert contact["profile"] == {"name": "Jane"} and contact["wa_id"] == "15551230001"
    assert contact["user_id"].startswith("US.") and contact["user_id"][3:].isdigit()
    assert SimUser("15551230001", "Other").user_id == contact["user_id"]
    assert SimUser("15551230002", "Jane").user_id != contact["user_id"]


def verify(body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


async def test_send_arrives_signed_in_meta_envelope(sim: Simulator, receiver: Receiver) -> None:
    user = sim.user("15551230001", "Zoë")
    result = await sim.send(user, "text", body="héllo ✓ 👍")
    assert result.ok and result.status == 200
    (post,) = await receiver.wait_for(1)
    assert post.body == result.body
    assert post.headers["Content-Type"] == "application/json"
    assert verify(post.body, post.headers["X-Hub-Signature-256"])
    # Meta escapes non-ASCII; the signature is over exactly these bytes.
    assert post.body.isascii() and b"\\u00e9" in post.body and b"\\ud83d\\udc4d" in post.body
    assert b": " not in post.body and b", " not in post.body

    fixture = load_fixture("message.json")["text"]
    for contact in fixture["entry"][0]["changes"][0]["value"]["contacts"]:
        contact.pop("parent_user_id")
    assert shape(post.json()) == shape(fixture)
    value = post.json()["entry"][0]["changes"][0]["value"]
    assert post.json()["entry"][0]["id"] == sim.settings.waba_id
    assert value["metadata"] == {
        "display_phone_number": sim.settings.display_phone_number,
        "phone_number_id": sim.settings.phone_number_id,
    }
    assert value["contacts"] == [user.contact()]
    assert value["messages"] == [result.message]
    assert result.message["text"]["body"] == "héllo ✓ 👍"


async def test_every_type_arrives(sim: Simulator, receiver: Receiver) -> None:
    user = sim.user("15551230001", "Jane")
    for type_ in MESSAGE_TYPES:
        assert (await sim.send(user, type_)).ok
    posts = await receiver.wait_for(len(MESSAGE_TYPES))
    got = [p.json()["entry"][0]["changes"][0]["value"]["messages"][0]["type"] for p in posts]
    expected = ["interactive" if t in ("button_reply", "list_reply") else t for t in MESSAGE_TYPES]
    assert got == expected
    assert all(verify(p.body, p.headers["X-Hub-Signature-256"]) for p in posts)


async def test_wrong_signature_is_wrong(sim: Simulator, receiver: Receiver) -> None:
    receiver.status = 401
    result = await sim.send(sim.user("15551230001", "Jane"), "text", wrong_signature=True)
    assert result.status == 401 and not result.ok
    (post,) = await receiver.wait_for(1)
    header = post.headers["X-Hub-Signature-256"]
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert not verify(post.body, header)


async def test_deliver_unsigned_and_raw_bytes(sim: Simulator, receiver: Receiver) -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert await sim.deliver(body, sign=False) == 200
    (post,) = await receiver.wait_for(1)
    assert post.body == body and "X-Hub-Signature-256" not in post.headers


async def test_deliver_retries_until_200(sim: Simulator, receiver: Receiver) -> None:
    receiver.status = 503
    assert await sim.deliver({"object": "whatsapp_business_account", "entry": []}, retries=2) == 503
    assert len(receiver.posts) == 3
    assert len({p.body for p in receiver.posts}) == 1


@pytest.mark.parametrize("layout", ["one_value", "changes", "entries"])
async def test_batch_layouts(sim: Simulator, receiver: Receiver, layout: Any) -> None:
    jane, joe = sim.user("15551230001", "Jane"), sim.user("15551230002", "Joe")
    result = await sim.send_batch(
        [(jane, "text", {"body": "one"}), (joe, "image", {}), (jane, "reaction", {})],
        layout=layout,
    )
    assert result.ok and len(result.wamids) == 3
    (post,) = await receiver.wait_for(1)
    assert verify(post.body, post.headers["X-Hub-Signature-256"])
    entries = post.json()["entry"]
    values = [c["value"] for e in entries for c in e["changes"]]
    assert [m["id"] for v in values for m in v["messages"]] == result.wamids
    if layout == "one_value":
        assert len(entries) == 1 and len(values) == 1
        assert [c["wa_id"] for c in values[0]["contacts"]] == ["15551230001", "15551230002"]
    elif layout == "changes":
        assert len(entries) == 1 and len(values) == 3
    else:
        assert len(entries) == 3 and all(len(e["changes"]) == 1 for e in entries)
    for value in values:
        senders = {c["wa_id"] for c in value["contacts"]}
        assert {m["from"] for m in value["messages"]} <= senders
        assert value["messaging_product"] == "whatsapp"
    assert all(e["id"] == sim.settings.waba_id for e in entries)


async def test_duplicate_sends_identical_bytes_twice(sim: Simulator, receiver: Receiver) -> None:
    result = await sim.send(sim.user("15551230001", "Jane"), "text", duplicate=True)
    assert result.statuses == (200, 200)
    first, second = await receiver.wait_for(2)
    assert first.body == second.body == result.body
    assert first.headers["X-Hub-Signature-256"] == second.headers["X-Hub-Signature-256"]
    batch = await sim.send_batch(
        [(sim.user("1555", "A"), "text", {}), (sim.user("1556", "B"), "text", {})],
        layout="entries",
        duplicate=True,
    )
    assert batch.statuses == (200, 200)
    posts = await receiver.wait_for(4)
    assert posts[2].body == posts[3].body == batch.body


async def test_status_notification_shapes(sim: Simulator, receiver: Receiver) -> None:
    fixtures = load_fixture("message_status.json")
    for status in ("sent", "delivered", "read", "failed"):
        code = 131047 if status == "failed" else None
        assert await sim.send_status("wamid.out", status, "15551230001", error_code=code) == 200
    posts = await receiver.wait_for(4)
    for post, status in zip(posts, ("sent", "delivered", "read", "failed"), strict=True):
        assert verify(post.body, post.headers["X-Hub-Signature-256"])
        (item,) = post.json()["entry"][0]["changes"][0]["value"]["statuses"]
        fixture = fixtures[status]["entry"][0]["changes"][0]["value"]["statuses"][0]
        assert shape(item) == shape(fixture)
        assert item["id"] == "wamid.out" and item["recipient_id"] == "15551230001"
    failed = posts[3].json()["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert failed["errors"][0]["code"] == 131047


async def test_subscribe_handshake(sim: Simulator, receiver: Receiver) -> None:
    assert await sim.subscribe() is True
    assert await sim.subscribe(verify_token="wrong") is False


def test_notification_is_plain_json(sim: Simulator) -> None:
    user = sim.user("15551230001", "Jane")
    note = sim.notification([(user, sim.build_message(user, "text"))])
    assert json.loads(json.dumps(note)) == note
    assert note["object"] == "whatsapp_business_account"


async def test_value_level_errors_notification(sim: Simulator, receiver: Receiver) -> None:
    note = notifications.errors_notification(sim.settings, [notifications.graph_error_item(131000)])
    assert await sim.deliver(note) == 200
    (post,) = await receiver.wait_for(1)
    value = post.json()["entry"][0]["changes"][0]["value"]
    fixture = load_fixture("message.json")["interactive_message_with_err"]
    fixture_error = fixture["entry"][0]["changes"][0]["value"]["errors"][0]
    assert value["errors"][0].keys() >= fixture_error.keys()
    assert value["errors"][0]["code"] == 131000 and "messages" not in value


async def test_a_bsuid_change_names_both_ids_and_no_contacts(
    sim: Simulator, receiver: Receiver
) -> None:
    hidden = sim.user("15551230001", "Jane", username="@jane", hides_phone=True)
    await sim.send(hidden, "system", system_type="user_changed_user_id")
    (post,) = await receiver.wait_for(1)
    value = post.json()["entry"][0]["changes"][0]["value"]
    # Meta's system messages carry no contacts (its system messages reference).
    assert "contacts" not in value
    (item,) = value["messages"]
    assert item["from_user_id"] == hidden.user_id and "from" not in item
    system = item["system"]
    assert system["type"] == "user_changed_user_id" and "wa_id" not in system
    assert system["previous_user_id"] == hidden.user_id
    assert system["user_id"] == hidden.with_new_user_id().user_id != hidden.user_id

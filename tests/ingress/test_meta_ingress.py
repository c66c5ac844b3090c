"""/ingress/meta against a real gateway on both databases: Meta's real payloads, batches,
redeliveries, signatures, malformed notifications, size limits, the subscription handshake,
statuses of our outbound messages, and changes we do not parse."""

import asyncio
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import RunningGateway, add_destination, running_gateway
from tests.ingress.helpers import (
    Json,
    assert_error,
    deliveries,
    encode,
    fixture_payloads,
    post_ingress,
    retarget,
    sign,
    table,
    values,
    wait_until_finished,
)
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.demo.registration import number_registration
from wahooks.sim import LAYOUTS, Layout, SimSettings, Simulator
from wahooks.sim import notifications as sim_notifications

# Meta's message types; anything else is stored as "unsupported" with the item verbatim.
META_MESSAGE_TYPES = {
    "text", "image", "audio", "video", "document", "sticker", "location", "contacts",
    "reaction", "interactive", "button", "order", "system", "unsupported", "edit", "revoke",
    "request_welcome",
}  # fmt: skip


def iso(unix_seconds: str | int) -> str:
    return datetime.fromtimestamp(int(unix_seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def pipes_message(arrival: Arrival) -> Json:
    """The one message of a pipes-format delivery, after checking the envelope."""
    payload = arrival.json()
    assert payload["object"] == "whatsapp_business_account"
    assert len(payload["entry"]) == 1 and len(payload["entry"][0]["changes"]) == 1
    change = payload["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    value = change["value"]
    assert len(value["messages"]) == 1, value
    assert len(value["contacts"]) == 1, value
    assert payload["pipes"]["conversationId"].startswith("conv_")
    message: Json = value["messages"][0]
    return message


def assert_pipes_delivery(arrival: Arrival, original: Json) -> None:
    """Pipes format: the item as Meta sent it, type preserved, timestamp as ISO 8601."""
    assert arrival.verified, arrival.headers
    message = pipes_message(arrival)
    assert message["type"] == original["type"]
    assert message["timestamp"] == iso(original["timestamp"])
    without_ts = {k: v for k, v in message.items() if k != "timestamp"}
    assert without_ts == {k: v for k, v in original.items() if k != "timestamp"}


def wamid_of(arrival: Arrival) -> str:
    wamid: str = pipes_message(arrival)["id"]
    return wamid


async def stored_messages(gateway: RunningGateway) -> dict[str, Json]:
    rows = await table(gateway.gateway.settings.database_url, "messages")
    return {r["wamid"]: r for r in rows}


async def arrivals_settled(gateway: RunningGateway, receiver: Receiver, n: int) -> list[Arrival]:
    """Wait for ``n`` deliveries to succeed; then the receiver has seen exactly those."""
    found = await wait_until_finished(gateway, n)
    assert len({d["id"] for d in found}) == n
    arrivals = receiver.accepted()
    assert len(arrivals) == n, [a.json() for a in arrivals]
    assert {a.webhook_id for a in arrivals} == {d["id"] for d in found}
    return arrivals


def database(gateway: RunningGateway) -> str:
    return gateway.gateway.settings.database_url


# --- Meta's real payloads ---------------------------------------------------------------


@pytest.mark.e2e
async def test_every_fixture_payload_is_accepted_stored_and_delivered(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    secret = sim.settings.app_secret
    originals: dict[str, Json] = {}  # wamid -> message item as POSTed
    statuses: list[tuple[str, str]] = []
    errors_values = 0
    payloads = fixture_payloads()
    assert len(payloads) >= 30, "fixture files not found"
    for i, (name, payload) in enumerate(payloads):
        notification = retarget(payload, sim.settings.phone_number_id, wamid_tag=f"fx{i}")
        status, body = await post_ingress(gateway, encode(notification), secret)
        assert status == 200, (name, body)
        for value in values(notification):
            for message in value.get("messages", []):
                # Value-level errors ride with the messages they came with.
                extra = {"errors": value["errors"]} if "errors" in value else {}
                originals[message["id"]] = {**message, **extra}
            statuses += [(s["id"], s["status"]) for s in value.get("statuses", [])]
            errors_values += "errors" in value

    assert len(originals) == 34 and len(statuses) == 8 and errors_values == 1
    # Stored: every message once, its item verbatim, its type as Meta named it.
    stored = await stored_messages(gateway)
    assert set(stored) == set(originals)
    for wamid, original in originals.items():
        row = stored[wamid]
        assert row["direction"] == "in"
        assert row["type"] == original["type"] and original["type"] in META_MESSAGE_TYPES
        assert json.loads(row["item"]) == original
        assert row["timestamp"] == int(original["timestamp"])
    status_rows = await table(database(gateway), "message_statuses")
    assert sorted((r["wamid"], r["status"]) for r in status_rows) == sorted(set(statuses))
    # The errors came with a message: carried by it, nothing left over.
    assert [m for m in originals.values() if "errors" in m] != []
    assert await table(database(gateway), "unhandled_updates") == []

    # Delivered: exactly one pipes delivery per message.
    arrivals = await arrivals_settled(gateway, receiver, len(originals))
    by_wamid = {wamid_of(a): a for a in arrivals}
    assert set(by_wamid) == set(originals)
    for wamid, original in originals.items():
        assert_pipes_delivery(by_wamid[wamid], original)


async def test_unknown_message_type_is_delivered_and_stored_as_unsupported(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Holo User")
    item = sim.build_message(user, "text")
    del item["text"]
    item["type"] = "hologram"
    item["hologram"] = {"frames": [1, 2, 3], "caption": "ça va? 👋"}
    status = await sim.deliver(sim.notification([(user, item)]))
    assert status == 200

    row = (await stored_messages(gateway))[item["id"]]
    assert row["type"] == "unsupported"
    assert json.loads(row["item"]) == item
    (arrival,) = await arrivals_settled(gateway, receiver, 1)
    assert_pipes_delivery(arrival, item)
    assert pipes_message(arrival)["hologram"] == item["hologram"]


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_several_messages_in_one_post_are_all_stored_and_delivered(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, layout: Layout
) -> None:
    await add_destination(gateway, receiver)
    ann, bob = sim.user("15551230001", "Ann"), sim.user("15551230002", "Bob")
    sent = await sim.send_batch(
        [
            (ann, "text", {"body": "one"}),
            (bob, "location", {}),
            (ann, "reaction", {"emoji": "🎉"}),
            (bob, "text", {"body": "four"}),
        ],
        layout=layout,
    )
    assert sent.ok
    shape = json.loads(sent.body)
    counts = {"one_value": (1, 1), "changes": (1, 4), "entries": (4, 4)}[layout]
    assert (len(shape["entry"]), sum(len(e["changes"]) for e in shape["entry"])) == counts

    assert set(await stored_messages(gateway)) == set(sent.wamids)
    arrivals = await arrivals_settled(gateway, receiver, 4)
    by_wamid = {wamid_of(a): a for a in arrivals}
    assert set(by_wamid) == set(sent.wamids)
    for original in sent.messages:
        assert_pipes_delivery(by_wamid[original["id"]], original)
    # Each sender has one conversation; Ann's messages arrive in the order she sent them.
    conversations = {a.json()["pipes"]["conversationId"] for a in arrivals}
    assert len(conversations) == 2
    ann_order = [wamid_of(a) for a in arrivals if pipes_message(a)["from"] == ann.wa_id]
    assert ann_order == [sent.wamids[0], sent.wamids[2]]


# --- deduplication ----------------------------------------------------------------------


async def test_a_redelivered_notification_is_delivered_once(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    first = await sim.send(user, "text", body="only once", duplicate=True)
    assert first.statuses == (200, 200)
    assert len(await deliveries(gateway)) == 1
    # A later message of the same conversation is delivered after any earlier one, so once
    # it has arrived, a second copy of the first would have arrived too.
    later = await sim.send(user, "text", body="sentinel")
    assert later.ok
    arrivals = await arrivals_settled(gateway, receiver, 2)
    assert [wamid_of(a) for a in arrivals] == [first.wamid, later.wamid]
    assert len(await stored_messages(gateway)) == 2


async def test_the_same_wamid_twice_in_one_post_is_stored_and_delivered_once(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    wamid = "wamid.same-in-one-post"
    sent = await sim.send_batch(
        [
            (user, "text", {"id": wamid, "body": "first copy"}),
            (user, "text", {"body": "between"}),
            (user, "text", {"id": wamid, "body": "second copy"}),
        ]
    )
    assert sent.ok
    stored = await stored_messages(gateway)
    assert set(stored) == {wamid, sent.wamids[1]}
    assert json.loads(stored[wamid]["item"])["text"]["body"] == "first copy"
    arrivals = await arrivals_settled(gateway, receiver, 2)
    assert [wamid_of(a) for a in arrivals] == [wamid, sent.wamids[1]]


# --- signatures and numbers -------------------------------------------------------------


@pytest.mark.e2e
async def test_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    wrong = await sim.send(user, "text", wrong_signature=True)
    assert wrong.statuses == (401,)
    notification = sim.notification([(user, sim.build_message(user, "text"))])
    body = encode(notification)
    assert await sim.deliver(body, sign=False) == 401
    good = sign(sim.settings.app_secret, body)
    attempts: list[tuple[str, dict[str, str], bytes]] = [
        ("empty header", {"X-Hub-Signature-256": ""}, body),
        ("no sha256= prefix", {"X-Hub-Signature-256": good.removeprefix("sha256=")}, body),
        ("other algorithm", {"X-Hub-Signature-256": "sha1=" + good[7:]}, body),
        ("truncated", {"X-Hub-Signature-256": good[:-2]}, body),
        # Signed bytes differ from the bytes sent (re-serialised with spaces).
        ("re-serialised", {"X-Hub-Signature-256": good}, json.dumps(notification).encode()),
    ]
    for what, headers, sent_body in attempts:
        status, answer = await post_ingress(gateway, sent_body, None, headers=headers)
        assert status == 401, (what, answer)
        assert_error(answer, code="invalid_signature")
    status, answer = await post_ingress(gateway, body, None)
    assert status == 401
    assert_error(answer, mentions="X-Hub-Signature-256")

    assert await deliveries(gateway) == []
    assert await stored_messages(gateway) == {}
    # The same bytes, rightly signed, go through: the refusals above were the signature's.
    status, _ = await post_ingress(gateway, body, sim.settings.app_secret)
    assert status == 200
    assert len(await deliveries(gateway)) == 1


@pytest.mark.e2e
async def test_unknown_phone_number_id_is_acknowledged_and_ignored(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    ours = sim.build_message(user, "text", body="for us")
    theirs = sim.build_message(user, "text", body="for someone else")
    stranger = retarget(sim.notification([(user, theirs)]), "999000999000999")
    # Meta must not retry notifications for numbers we do not serve: 200, signed or not.
    for secret in (sim.settings.app_secret, "someone-elses-app-secret", None):
        status, answer = await post_ingress(gateway, encode(stranger), secret)
        assert status == 200, answer
    assert await deliveries(gateway) == []
    assert await stored_messages(gateway) == {}

    # One POST for both: only our number's message is kept.
    mixed = sim.notification([(user, ours)], layout="entries")
    mixed["entry"] += stranger["entry"]
    status, _ = await post_ingress(gateway, encode(mixed), sim.settings.app_secret)
    assert status == 200
    assert set(await stored_messages(gateway)) == {ours["id"]}
    (arrival,) = await arrivals_settled(gateway, receiver, 1)
    assert wamid_of(arrival) == ours["id"]


# --- malformed notifications ------------------------------------------------------------


@pytest.mark.e2e
async def test_malformed_json_is_a_400_with_a_json_error(
    gateway: RunningGateway, sim: Simulator
) -> None:
    for body in (b"{not json", b"", b'{"entry": [', b"\xff\xfe", b"[]", b"42", b"null"):
        status, answer = await post_ingress(gateway, body, sim.settings.app_secret)
        assert status == 400, (body, answer)
        assert_error(answer)
    status, answer = await post_ingress(gateway, b"{not json", sim.settings.app_secret)
    assert_error(answer, code="invalid_json")


def _break(notification: Json, how: str) -> Json:
    """One malformed variant of a valid notification with one message."""
    bad = copy.deepcopy(notification)
    value = bad["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    if how == "entry not a list":
        bad["entry"] = bad["entry"][0]
    elif how == "entry missing":
        del bad["entry"]
    elif how == "changes not a list":
        bad["entry"][0]["changes"] = "messages"
    elif how == "value not an object":
        bad["entry"][0]["changes"][0]["value"] = [value]
    elif how == "field missing":
        del bad["entry"][0]["changes"][0]["field"]
    elif how == "metadata missing":
        del value["metadata"]
    elif how == "phone_number_id not a string":
        value["metadata"]["phone_number_id"] = int(value["metadata"]["phone_number_id"])
    elif how == "messages not a list":
        value["messages"] = message
    elif how == "message not an object":
        value["messages"] = ["hello"]
    elif how == "message without id":
        del message["id"]
    elif how == "message with empty id":
        message["id"] = ""
    elif how == "message without from":
        del message["from"]
    elif how == "timestamp not digits":
        message["timestamp"] = "yesterday"
    elif how == "timestamp with a sign":
        message["timestamp"] = "-1697043223"
    elif how == "timestamp with unicode digits":
        message["timestamp"] = "169704322²"
    elif how == "timestamp beyond 64 bits":
        message["timestamp"] = "9" * 30
    elif how == "timestamp missing":
        del message["timestamp"]
    elif how == "timestamp a float":
        message["timestamp"] = 1697043223.5
    elif how == "status without id":
        value["statuses"] = [{"status": "read", "timestamp": "1697043223", "recipient_id": "1"}]
    else:
        raise AssertionError(how)
    return bad


MALFORMED = [
    ("entry not a list", "entry"),
    ("entry missing", "entry"),
    ("changes not a list", "changes"),
    ("value not an object", "value"),
    ("field missing", "field"),
    ("metadata missing", "metadata"),
    ("phone_number_id not a string", "phone_number_id"),
    ("messages not a list", "messages"),
]
"""What makes a POST not a notification at all: refused whole."""

ODD_ITEMS = [
    ("message not an object", "messages[0]"),
    ("message without id", "id"),
    ("message with empty id", "id"),
    ("timestamp not digits", "timestamp"),
    ("timestamp with a sign", "timestamp"),
    ("timestamp with unicode digits", "timestamp"),
    ("timestamp beyond 64 bits", "timestamp"),
    ("timestamp missing", "timestamp"),
    ("timestamp a float", "timestamp"),
    ("status without id", "statuses[0]"),
]
"""An item that does not parse: kept with its reason, never at the cost of the rest."""


async def test_wrong_schema_is_a_400_naming_the_problem_and_nothing_is_stored(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    valid = sim.notification([(user, sim.build_message(user, "text"))])
    problems = []
    for how, mention in MALFORMED:
        status, answer = await post_ingress(
            gateway, encode(_break(valid, how)), sim.settings.app_secret
        )
        if status != 400:
            problems.append(f"{how}: {status} {answer}")
            continue
        assert_error(answer, code="invalid_notification", mentions=mention)
    assert problems == []
    assert await stored_messages(gateway) == {}
    assert await deliveries(gateway) == []
    assert await table(database(gateway), "message_statuses") == []


async def test_an_odd_item_is_kept_with_its_reason_and_costs_nothing_else(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """Each odd item beside a valid message: 200, the valid one stored and delivered, the odd
    one kept raw with why, and an ``unsupported`` event for destinations that want it."""
    await add_destination(gateway, receiver, events=["message:in:new", "unsupported"])
    user = sim.user("15551230001", "Ann")
    for n, (how, mention) in enumerate(ODD_ITEMS):
        good = sim.build_message(user, "text", body=f"valid {n}")
        broken = _break(sim.notification([(user, sim.build_message(user, "text"))]), how)
        value = broken["entry"][0]["changes"][0]["value"]
        if how.startswith("status"):
            value["messages"] = [good]
        else:
            value["messages"].append(good)
        status, answer = await post_ingress(gateway, encode(broken), sim.settings.app_secret)
        assert status == 200, (how, answer)
        assert good["id"] in await stored_messages(gateway), how
        kept = await table(database(gateway), "unhandled_updates")
        assert len(kept) == n + 1, how
        reason = json.loads(kept[-1]["value"])["reason"]
        assert mention in reason, (how, reason)
    found = await wait_until_finished(gateway, 2 * len(ODD_ITEMS))
    kinds = sorted(d["eventType"] for d in found)
    assert kinds == sorted(["message:in:new", "unsupported"] * len(ODD_ITEMS))
    unsupported = [a.json() for a in receiver.accepted() if a.json().get("event") == "unsupported"]
    assert len(unsupported) == len(ODD_ITEMS)
    assert {u["data"]["kind"] for u in unsupported} == {"message", "status"}
    assert all(u["data"]["reason"] and "item" in u["data"] for u in unsupported)


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_a_post_with_one_odd_message_stores_the_others(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, layout: Layout
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    good = sim.build_message(user, "text", body="valid")
    bad = sim.build_message(user, "text", body="no timestamp")
    bad["timestamp"] = "soon"
    notification = sim.notification([(user, good), (user, bad)], layout=layout)
    status, answer = await post_ingress(gateway, encode(notification), sim.settings.app_secret)
    assert status == 200, answer
    assert set(await stored_messages(gateway)) == {good["id"]}
    (kept,) = await table(database(gateway), "unhandled_updates")
    assert kept["field"] == "messages.invalid"
    assert json.loads(kept["value"])["item"] == bad


# --- size limit -------------------------------------------------------------------------


def _padded(sim: Simulator, size: int) -> bytes:
    """A valid one-message notification of exactly ``size`` bytes."""
    user = sim.user("15551230001", "Ann")
    message = sim.build_message(user, "text", body="")
    base = len(encode(sim.notification([(user, message)])))
    message["text"]["body"] = "x" * (size - base)
    body = encode(sim.notification([(user, message)]))
    assert len(body) == size
    return body


async def _chunks(body: bytes, size: int = 64 * 1024) -> Any:
    for i in range(0, len(body), size):
        yield body[i : i + size]


@pytest.mark.e2e
async def test_a_body_over_the_limit_is_a_413(database_url: str) -> None:
    limit = 8192
    async with running_gateway(database_url, ingress_max_body_bytes=limit) as gateway:
        settings = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000777")
        async with Simulator(settings) as sim:
            status, _ = await gateway.api("POST", "/v1/numbers", number_registration(sim))
            assert status == 201
            secret = sim.settings.app_secret
            over = _padded(sim, limit + 1)
            status, answer = await post_ingress(gateway, over, secret)
            assert status == 413, answer
            assert_error(answer, code="payload_too_large", mentions=str(limit))
            # Without Content-Length (chunked), the limit holds as the body streams in.
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(secret, over),
            }
            async with gateway.http.post(
                gateway.ingress_url, data=_chunks(over), headers=headers
            ) as response:
                assert response.status == 413
                assert_error(await response.json(), code="payload_too_large")
            assert await stored_messages(gateway) == {}
            # At the limit exactly: accepted.
            status, answer = await post_ingress(gateway, _padded(sim, limit), secret)
            assert status == 200, answer
            assert len(await stored_messages(gateway)) == 1


async def test_the_default_limit_is_one_megabyte(gateway: RunningGateway, sim: Simulator) -> None:
    secret = sim.settings.app_secret
    status, answer = await post_ingress(gateway, _padded(sim, 1_000_001), secret)
    assert status == 413, answer
    assert_error(answer, code="payload_too_large")
    status, answer = await post_ingress(gateway, _padded(sim, 1_000_000), secret)
    assert status == 200, answer


# --- the subscription handshake ---------------------------------------------------------


async def test_handshake_echoes_the_challenge_for_the_right_verify_token(
    gateway: RunningGateway, sim: Simulator
) -> None:
    assert await sim.subscribe()
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": sim.settings.verify_token,
        "hub.challenge": "1158201444",
    }
    async with gateway.http.get(gateway.ingress_url, params=params) as response:
        assert response.status == 200
        assert await response.text() == "1158201444"
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # an echo of the caller


async def test_handshake_with_a_wrong_token_is_403(gateway: RunningGateway, sim: Simulator) -> None:
    assert not await sim.subscribe(verify_token="not-the-verify-token")
    params = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "12345"}
    async with gateway.http.get(gateway.ingress_url, params=params) as response:
        assert response.status == 403
        body = await response.json()
    assert_error(body, code="forbidden")
    assert "12345" not in json.dumps(body)


MISSING_PARAMS = {
    "none": {},
    "no token": {"hub.mode": "subscribe", "hub.challenge": "1"},
    "no challenge": {"hub.mode": "subscribe", "hub.verify_token": "sim-verify-token"},
    "no mode": {"hub.verify_token": "sim-verify-token", "hub.challenge": "1"},
    "wrong mode": {
        "hub.mode": "unsubscribe",
        "hub.verify_token": "sim-verify-token",
        "hub.challenge": "1",
    },
}


async def test_handshake_with_missing_params_is_400(
    gateway: RunningGateway, sim: Simulator
) -> None:
    assert sim.settings.verify_token == "sim-verify-token"
    for what, params in MISSING_PARAMS.items():
        async with gateway.http.get(gateway.ingress_url, params=params) as response:
            assert response.status == 400, what
            assert_error(await response.json(), code="invalid_request", mentions="hub.")


# --- statuses of our outbound messages --------------------------------------------------


async def test_statuses_are_stored_and_move_outbound_messages_only_forward(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    store = gateway.gateway.store
    (number,) = await store.numbers.of_tenant(gateway.tenant_id)
    to = "15551230001"
    item = {"type": "text", "text": {"body": "hello from the business"}}
    await store.inbound.record_outbound(number, to, "wamid.out.1", "text", item)
    await store.inbound.record_outbound(number, to, "wamid.out.2", "text", item)
    assert await store.inbound.outbound_status(number.id, "wamid.out.1") == "accepted"

    async def status(wamid: str, value: str, **kw: Any) -> str | None:
        assert await sim.send_status(wamid, value, to, **kw) == 200
        return await store.inbound.outbound_status(number.id, wamid)

    # Out of order: read first, then the older news; read stays.
    assert await status("wamid.out.1", "read") == "read"
    assert await status("wamid.out.1", "delivered") == "read"
    assert await status("wamid.out.1", "sent") == "read"
    assert await status("wamid.out.1", "played") == "played"
    # Failed is terminal.
    assert await status("wamid.out.2", "sent") == "sent"
    assert await status("wamid.out.2", "failed", error_code=131026) == "failed"
    for later in ("delivered", "read", "played", "sent"):
        assert await status("wamid.out.2", later) == "failed"
    # A redelivered status changes nothing.
    assert await status("wamid.out.1", "read") == "played"

    rows = await table(database(gateway), "message_statuses")
    kept = sorted((r["wamid"], r["status"]) for r in rows)
    assert kept == sorted(
        [("wamid.out.1", s) for s in ("read", "delivered", "sent", "played")]
        + [("wamid.out.2", s) for s in ("sent", "failed", "delivered", "read", "played")]
    )
    failed = next(r for r in rows if r["status"] == "failed")
    assert json.loads(failed["item"])["errors"][0]["code"] == 131026
    # Statuses are not inbound messages: nothing new is stored as one.
    inbound = [m for m in (await stored_messages(gateway)).values() if m["direction"] == "in"]
    assert inbound == []


async def test_a_status_for_a_message_we_do_not_know_is_kept(
    gateway: RunningGateway, sim: Simulator
) -> None:
    assert await sim.send_status("wamid.never-sent", "delivered", "15551230001") == 200
    rows = await table(database(gateway), "message_statuses")
    assert [(r["wamid"], r["status"]) for r in rows] == [("wamid.never-sent", "delivered")]
    assert await stored_messages(gateway) == {}


async def test_status_notifications_cannot_be_forged(
    gateway: RunningGateway, sim: Simulator
) -> None:
    store = gateway.gateway.store
    (number,) = await store.numbers.of_tenant(gateway.tenant_id)
    await store.inbound.record_outbound(
        number, "15551230001", "wamid.out.x", "text", {"type": "text"}
    )
    item = sim_notifications.status_item(
        "wamid.out.x", "read", "15551230001", timestamp=1_700_000_000
    )
    body = encode(sim_notifications.statuses_notification(sim.settings, [item]))
    status, _ = await post_ingress(gateway, body, "forged-secret")
    assert status == 401
    assert await store.inbound.outbound_status(number.id, "wamid.out.x") == "accepted"
    assert await table(database(gateway), "message_statuses") == []


# --- what we do not parse is kept, not a 500 --------------------------------------------


async def test_value_level_errors_are_acknowledged_and_kept(
    gateway: RunningGateway, sim: Simulator
) -> None:
    errors = [sim_notifications.graph_error_item(131000)]
    notification = sim_notifications.errors_notification(sim.settings, errors)
    assert await sim.deliver(notification) == 200
    (row,) = await table(database(gateway), "unhandled_updates")
    assert row["field"] == "messages.errors"
    assert row["number_id"] == sim.number_id  # type: ignore[attr-defined]
    assert json.loads(row["value"])["errors"] == errors


async def test_changes_of_other_fields_are_acknowledged_and_kept(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    message = sim.build_message(user, "text", body="next to other news")
    notification = sim.notification([(user, message)])
    # A field Meta may add, addressed to our number like message changes are...
    history = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": sim.settings.phone_number_id},
        "history": [{"threads": []}],
    }
    # ...and account_update, which names no number (Meta sends it per WABA).
    account = {"phone_number": sim.settings.display_phone_number, "event": "VERIFIED_ACCOUNT"}
    notification["entry"][0]["changes"] += [
        {"value": history, "field": "history"},
        {"value": account, "field": "account_update"},
    ]
    assert await sim.deliver(notification) == 200

    rows = await table(database(gateway), "unhandled_updates")
    by_field = {r["field"]: r for r in rows}
    assert set(by_field) == {"history", "account_update"}
    assert json.loads(by_field["history"]["value"]) == history
    assert by_field["history"]["number_id"] == sim.number_id  # type: ignore[attr-defined]
    assert json.loads(by_field["account_update"]["value"]) == account
    # The message beside them went its normal way.
    assert set(await stored_messages(gateway)) == {message["id"]}
    assert len(await wait_until_finished(gateway, 1)) == 1


@pytest.mark.e2e
async def test_a_notification_of_only_another_field_is_acknowledged(
    gateway: RunningGateway, sim: Simulator
) -> None:
    account = {"phone_number": sim.settings.display_phone_number, "event": "VERIFIED_ACCOUNT"}
    notification = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": sim.settings.waba_id, "time": 1700000000,
             "changes": [{"value": account, "field": "account_update"}]}
        ],
    }  # fmt: skip
    assert await sim.deliver(notification) == 200
    assert await deliveries(gateway) == []


async def test_a_change_with_only_contacts_is_acknowledged(
    gateway: RunningGateway, sim: Simulator
) -> None:
    user = sim.user("15551230001", "Ann")
    notification = sim.notification([(user, sim.build_message(user, "text"))])
    del notification["entry"][0]["changes"][0]["value"]["messages"]
    assert await sim.deliver(notification) == 200
    assert await stored_messages(gateway) == {}


async def test_concurrent_redeliveries_store_one_message(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Ann")
    body = encode(sim.notification([(user, sim.build_message(user, "text"))]))
    results = await asyncio.gather(*(sim.deliver(body) for _ in range(8)))
    assert results == [200] * 8
    assert len(await stored_messages(gateway)) == 1
    assert len(await arrivals_settled(gateway, receiver, 1)) == 1

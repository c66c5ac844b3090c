"""/v1/conversations through a real gateway and the simulator, on SQLite and PostgreSQL:
listing and filters, one conversation, its messages both ways, labels, notes, the external
user id, validation, and isolation (another tenant's key, an App key)."""

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api.helpers import assert_error, other_tenant
from tests.conftest import RunningGateway, eventually
from wahooks.demo.registration import number_registration
from wahooks.ids import new_id
from wahooks.keys import new_key
from wahooks.models import KeyKind
from wahooks.sim import SimSettings, Simulator
from wahooks.store.migrate import sqlalchemy_url
from wahooks.store.schema import apps


def ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


async def conversation_of(gateway: RunningGateway, wa_id: str) -> Any:
    """The conversation with this contact, once the gateway has stored it."""

    async def check() -> Any:
        status, body = await gateway.api("GET", "/v1/conversations?limit=200")
        assert status == 200, body
        return next((c for c in body["data"] if c["waId"] == wa_id), None)

    return await eventually(check)


async def get(gateway: RunningGateway, path: str) -> Any:
    status, body = await gateway.api("GET", path)
    assert status == 200, (path, body)
    return body


@pytest.mark.e2e
async def test_list_get_and_messages_both_ways(gateway: RunningGateway, sim: Simulator) -> None:
    ann, bob = sim.user("15551230001", "Ann Lee"), sim.user("15551230002", "Bob")
    before = time.time()
    assert (await sim.send(ann, "text", body="Where is my order?")).ok
    assert (await sim.send(ann, "image", caption="the box", mime_type="image/png")).ok
    assert (await sim.send(ann, "location", name="Home", address="1 Main St")).ok
    await asyncio.sleep(0.02)
    assert (await sim.send(bob, "text", body="hi")).ok
    conv = await conversation_of(gateway, ann.wa_id)

    # Our reply: stored as outbound, its status moves on as the simulator reports.
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conv["id"], "text": "It ships today"}
    )
    assert status == 200, sent

    # Newest activity first: Ann (we just wrote to her), then Bob.
    listed = await get(gateway, "/v1/conversations")
    assert [c["waId"] for c in listed["data"]] == [ann.wa_id, bob.wa_id]
    assert listed["nextCursor"] is None

    detail = await get(gateway, f"/v1/conversations/{conv['id']}")
    assert detail["id"] == conv["id"] and detail["id"].startswith("conv_")
    assert detail["numberId"] == sim.number_id  # type: ignore[attr-defined]
    assert detail["waId"] == ann.wa_id and detail["contactName"] == "Ann Lee"
    assert detail["labels"] == [] and detail["notes"] == []
    assert detail["externalUserId"] is None and detail["activationId"] is None
    last_in = ts(detail["lastInboundAt"])
    assert before - 2 <= last_in <= time.time() + 1
    assert ts(detail["windowOpenUntil"]) == last_in + 24 * 3600
    assert detail["windowOpen"] is True
    assert ts(detail["lastMessageAt"]) >= ts(detail["createdAt"])
    assert detail["messageCounts"] == {"inbound": 3, "outbound": 1, "total": 4}

    async def read() -> Any:
        body = await get(gateway, f"/v1/conversations/{conv['id']}/messages")
        out, image = body["data"][0], body["data"][2]
        ready = image["media"] and not image["media"]["unavailable"]
        return body if out["status"] == "read" and ready else None

    messages = (await eventually(read))["data"]
    assert [m["type"] for m in messages] == ["text", "location", "image", "text"]
    assert [m["direction"] for m in messages] == ["outbound", "inbound", "inbound", "inbound"]
    out, location, image, text = messages
    assert out["id"] == sent["messageId"] and out["text"] == "It ships today"
    assert out["status"] == "read" and out["statusAt"] and out["media"] is None
    assert location["text"].startswith("[location: Home, 1 Main St (")
    assert location["status"] is None
    assert image["text"] == "the box" and image["caption"] == "the box"
    media = image["media"]
    assert media["mimeType"] == "image/png" and media["byteSize"] > 0
    assert media["downloadUrl"] == f"/v1/media/download/{media['mediaId']}"
    headers = {"Authorization": f"Bearer {gateway.api_key}"}
    async with gateway.http.get(gateway.url + media["downloadUrl"], headers=headers) as got:
        assert got.status == 200 and len(await got.read()) == media["byteSize"]
    assert text["text"] == "Where is my order?" and text["caption"] is None
    for m in messages:
        assert m["timestamp"].endswith("Z") and m["createdAt"].endswith("Z")


async def test_pages_of_conversations_and_messages(gateway: RunningGateway, sim: Simulator) -> None:
    users = [sim.user(f"155512310{n:02d}", f"User {n}") for n in range(5)]
    for user in users:
        assert (await sim.send(user, "text", body=f"from {user.name}")).ok
    await conversation_of(gateway, users[-1].wa_id)
    seen: list[str] = []
    cursor = ""
    while True:
        page = await get(gateway, f"/v1/conversations?limit=2{cursor}")
        seen += [c["waId"] for c in page["data"]]
        if page["nextCursor"] is None:
            break
        cursor = f"&cursor={page['nextCursor']}"
    assert seen == [u.wa_id for u in reversed(users)]

    ann = users[0]
    for n in range(4):
        assert (await sim.send(ann, "text", body=f"message {n}")).ok
    conv = await conversation_of(gateway, ann.wa_id)
    texts: list[str] = []
    path = f"/v1/conversations/{conv['id']}/messages?limit=2"
    page = await get(gateway, path)
    while True:
        texts += [m["text"] for m in page["data"]]
        if page["nextCursor"] is None:
            break
        page = await get(gateway, f"{path}&cursor={page['nextCursor']}")
    assert texts == ["message 3", "message 2", "message 1", "message 0", "from User 0"]

    for bad in ("abc", "1.5~x", "nan~conv_x", "inf~conv_x"):
        status, body = await gateway.api("GET", f"/v1/conversations?cursor={bad}")
        assert_error(status, body, 400, "cursor")
    status, body = await gateway.api("GET", f"/v1/conversations/{conv['id']}/messages?cursor=x")
    assert_error(status, body, 400, "cursor")
    status, body = await gateway.api("GET", "/v1/conversations?limit=0")
    assert_error(status, body, 400, "limit")
    # NUL cannot reach PostgreSQL's text: refused wherever a value goes to the database.
    for path in (
        "/v1/conversations?numberId=%00",
        "/v1/conversations?externalUserId=a%00",
        "/v1/conversations?label=a%00",
        "/v1/conversations/conv_%00",
        f"/v1/conversations/{conv['id']}%00/messages",
        f"/v1/conversations/{conv['id']}/labels/a%00",
        "/v1/deliveries?conversationId=%00",
        "/v1/deliveries?destinationId=%00",
        "/v1/deliveries/dlv_%00",
        "/v1/deliveries/recoveries/rcv_%00",
    ):
        method = "DELETE" if "/labels/" in path else "GET"
        status, body = await gateway.api(method, path)
        assert_error(status, body, 400, "NUL")


async def test_labels_notes_and_external_user_id(gateway: RunningGateway, sim: Simulator) -> None:
    ann, bob = sim.user("15551230011", "Ann"), sim.user("15551230012", "Bob")
    assert (await sim.send(ann, "text", body="hello")).ok
    assert (await sim.send(bob, "text", body="hello")).ok
    conv = await conversation_of(gateway, ann.wa_id)
    other = await conversation_of(gateway, bob.wa_id)
    base = f"/v1/conversations/{conv['id']}"

    status, body = await gateway.api("PUT", f"{base}/labels", {"labels": ["vip", " lead ", "vip"]})
    assert status == 200 and body == {"labels": ["vip", "lead"]}, body
    status, body = await gateway.api("POST", f"{base}/labels", {"label": "50%_off"})
    assert status == 200 and body == {"labels": ["vip", "lead", "50%_off"]}, body
    status, body = await gateway.api("POST", f"{base}/labels", {"label": "vip"})  # already there
    assert status == 200 and body == {"labels": ["vip", "lead", "50%_off"]}, body
    status, body = await gateway.api("DELETE", f"{base}/labels/lead")
    assert status == 200 and body == {"labels": ["vip", "50%_off"]}, body
    status, body = await gateway.api("DELETE", f"{base}/labels/lead")
    assert_error(status, body, 404, "lead")
    # Labels with quotes and LIKE wildcards match exactly, nothing else.
    status, _ = await gateway.api("PUT", f"/v1/conversations/{other['id']}/labels",
                                  {"labels": ['say "vip"', "50xxoff", "v"]})  # fmt: skip
    assert status == 200

    async def filtered(query: str) -> list[str]:
        body = await get(gateway, f"/v1/conversations?{query}")
        return [c["waId"] for c in body["data"]]

    assert await filtered("label=vip") == [ann.wa_id]
    assert await filtered("label=50%25_off") == [ann.wa_id]
    assert await filtered("label=v") == [bob.wa_id]
    assert await filtered("label=say%20%22vip%22") == [bob.wa_id]
    assert await filtered("label=vi") == []
    assert await filtered(f"numberId={sim.number_id}&label=vip") == [ann.wa_id]  # type: ignore[attr-defined]
    assert await filtered("numberId=num_other") == []
    assert await filtered(f"waId={bob.wa_id}") == [bob.wa_id]
    assert await filtered(f"waId={bob.wa_id}&label=vip") == []
    assert await filtered("waId=15550000000") == []

    # Validation: sizes, commas, count.
    for labels, mentions in (
        ([""], "1-50"), (["x" * 51], "1-50"), (["a,b"], "comma"), (["a\nb"], "control"),
        (["a\ud800"], "surrogates"),
        ([f"l{n}" for n in range(21)], "labels"),
    ):  # fmt: skip
        status, body = await gateway.api("PUT", f"{base}/labels", {"labels": labels})
        assert_error(status, body, 400, mentions)
    full = [f"l{n}" for n in range(20)]
    status, body = await gateway.api("PUT", f"{base}/labels", {"labels": full})
    assert status == 200 and body["labels"] == full
    status, body = await gateway.api("POST", f"{base}/labels", {"label": "one more"})
    assert_error(status, body, 400, "at most 20")
    for bad in ({}, {"label": ""}, {"label": 5}, {"label": "ok", "extra": 1}):
        status, body = await gateway.api("POST", f"{base}/labels", bad)
        assert_error(status, body, 400)
    status, body = await gateway.api("GET", "/v1/conversations?label=a,b")
    assert_error(status, body, 400, "comma")
    detail = await get(gateway, base)
    assert detail["labels"] == full

    # Notes.
    status, first = await gateway.api("POST", f"{base}/notes", {"text": "Prefers mornings"})
    assert status == 201, first
    assert first["id"].startswith("note_") and first["text"] == "Prefers mornings"
    status, second = await gateway.api("POST", f"{base}/notes", {"text": "n" * 2000})
    assert status == 201, second
    for bad in ({"text": ""}, {"text": "n" * 2001}, {}, {"text": None}, {"text": "\ud800"}):
        status, body = await gateway.api("POST", f"{base}/notes", bad)
        assert_error(status, body, 400, "text")
    detail = await get(gateway, base)
    assert [n["id"] for n in detail["notes"]] == [first["id"], second["id"]]
    status, body = await gateway.api("DELETE", f"{base}/notes/{first['id']}")
    assert status == 204, body
    status, body = await gateway.api("DELETE", f"{base}/notes/{first['id']}")
    assert_error(status, body, 404, first["id"])
    status, body = await gateway.api(
        "DELETE", f"/v1/conversations/{other['id']}/notes/{second['id']}"
    )
    assert_error(status, body, 404)  # a note of another conversation
    assert [n["text"] for n in (await get(gateway, base))["notes"]] == ["n" * 2000]

    # The external user id: set, filter, clear.
    status, body = await gateway.api("PATCH", base, {"externalUserId": "crm-42"})
    assert status == 200 and body["externalUserId"] == "crm-42", body
    assert await filtered("externalUserId=crm-42") == [ann.wa_id]
    assert await filtered("externalUserId=crm-4") == []
    for bad in (
        {},
        {"externalUserId": ""},
        {"externalUserId": "x" * 257},
        {"other": 1},
        {"externalUserId": "\udfff"},
    ):
        status, body = await gateway.api("PATCH", base, bad)
        assert_error(status, body, 400, "externalUserId" if bad != {"other": 1} else None)
    status, body = await gateway.api("PATCH", base, {"externalUserId": None})
    assert status == 200 and body["externalUserId"] is None, body
    assert await filtered("externalUserId=crm-42") == []


async def test_another_tenant_sees_none_of_it(gateway: RunningGateway, sim: Simulator) -> None:
    ann = sim.user("15551230021", "Ann")
    assert (await sim.send(ann, "text", body="hello")).ok
    conv = await conversation_of(gateway, ann.wa_id)
    base = f"/v1/conversations/{conv['id']}"
    status, note = await gateway.api("POST", f"{base}/notes", {"text": "mine"})
    assert status == 201
    status, _ = await gateway.api("POST", f"{base}/labels", {"label": "vip"})
    assert status == 200

    stranger = await other_tenant(gateway)
    status, body = await stranger.api("GET", "/v1/conversations")
    assert status == 200 and body == {"data": [], "nextCursor": None}
    for method, path, payload in (
        ("GET", base, None),
        ("GET", f"{base}/messages", None),
        ("PATCH", base, {"externalUserId": "x"}),
        ("PUT", f"{base}/labels", {"labels": []}),
        ("POST", f"{base}/labels", {"label": "x"}),
        ("DELETE", f"{base}/labels/vip", None),
        ("POST", f"{base}/notes", {"text": "x"}),
        ("DELETE", f"{base}/notes/{note['id']}", None),
    ):
        status, body = await stranger.api(method, path, payload)
        assert_error(status, body, 404, conv["id"])
    # Nothing changed.
    detail = await get(gateway, base)
    assert detail["labels"] == ["vip"] and [n["text"] for n in detail["notes"]] == ["mine"]
    assert detail["externalUserId"] is None
    status, body = await gateway.api("GET", "/v1/conversations/conv_doesnotexist")
    assert_error(status, body, 404, "conv_doesnotexist")
    status, body = await gateway.api("GET", "/v1/conversations", headers={"Authorization": ""})
    assert_error(status, body, 401)
    status, body = await gateway.operator("GET", "/v1/conversations")
    assert_error(status, body, 403)


async def _create_app(database_url: str, tenant_id: str) -> tuple[str, str]:
    """An App of the tenant with its key, written straight into the apps table."""
    made = new_key(KeyKind.APP)
    app_id, now = new_id("app"), time.time()
    row = {"id": app_id, "tenant_id": tenant_id, "name": "support bot", "slug": app_id.lower(),
           "key_prefix": made.prefix, "key_hash": made.key_hash, "created_at": now,
           "updated_at": now}  # fmt: skip
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(apps.insert().values(**row))
        engine.dispose()
    else:
        async_engine = create_async_engine(url)
        async with async_engine.begin() as aconn:
            await aconn.execute(apps.insert().values(**row))
        await async_engine.dispose()
    return app_id, made.key


async def test_an_app_key_sees_its_apps_conversations_only(
    database_url: str, gateway: RunningGateway, sim: Simulator
) -> None:
    app_id, app_key = await _create_app(database_url, gateway.tenant_id)
    settings = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000777")
    async with Simulator(settings) as app_sim:
        body = {**number_registration(app_sim), "appId": app_id}
        status, number = await gateway.api("POST", "/v1/numbers", body)
        assert status == 201, number
        assert (await app_sim.send(app_sim.user("15551230031", "To App"), "text")).ok
        assert (await sim.send(sim.user("15551230032", "To Tenant"), "text")).ok
        mine = await conversation_of(gateway, "15551230031")
        theirs = await conversation_of(gateway, "15551230032")

    as_app = {"Authorization": f"Bearer {app_key}"}
    status, listed = await gateway.api("GET", "/v1/conversations", headers=as_app)
    assert status == 200 and [c["id"] for c in listed["data"]] == [mine["id"]], listed
    status, body = await gateway.api("GET", f"/v1/conversations/{mine['id']}", headers=as_app)
    assert status == 200 and body["numberId"] == number["id"]
    status, body = await gateway.api("POST", f"/v1/conversations/{mine['id']}/labels",
                                     {"label": "bot"}, headers=as_app)  # fmt: skip
    assert status == 200 and body["labels"] == ["bot"]
    status, body = await gateway.api("GET", f"/v1/conversations/{theirs['id']}", headers=as_app)
    assert_error(status, body, 404)
    # The tenant sees both.
    listed = await get(gateway, "/v1/conversations")
    assert {c["id"] for c in listed["data"]} == {mine["id"], theirs["id"]}

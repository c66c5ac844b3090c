"""The Graph API: media metadata and download, sends with statuses, failures, uploads."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import aiohttp

from wahooks.sim import Simulator

from .helpers import AUTH, FakeClock, Receiver, make_settings


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


async def media_meta(
    http: aiohttp.ClientSession, sim: Simulator, media_id: str, headers: Any = AUTH
) -> tuple[int, dict[str, Any]]:
    async with http.get(f"{sim.graph_base_url}/{media_id}", headers=headers) as r:
        return r.status, await r.json()


async def download(
    http: aiohttp.ClientSession, url: str, headers: Any = AUTH
) -> tuple[int, bytes, aiohttp.ClientResponse]:
    async with http.get(url, headers=headers) as r:
        return r.status, await r.read(), r


async def test_media_metadata_and_download(sim: Simulator, http: aiohttp.ClientSession) -> None:
    user = sim.user("15551230001", "Jane")
    for type_ in ("image", "audio", "video", "document", "sticker"):
        msg = sim.build_message(user, type_)
        obj = msg[type_]
        status, meta = await media_meta(http, sim, obj["id"])
        assert status == 200
        assert meta["messaging_product"] == "whatsapp" and meta["id"] == obj["id"]
        assert meta["mime_type"] == obj["mime_type"] and meta["sha256"] == obj["sha256"]
        assert meta["url"].startswith(f"{sim.base_url}/media-download/{obj['id']}?expires=")
        status, data, response = await download(http, meta["url"])
        assert status == 200
        assert len(data) == meta["file_size"]
        assert b64sha(data) == obj["sha256"]
        assert response.headers["Content-Type"].split(";")[0] == obj["mime_type"].split(";")[0]
    jpeg = sim.build_message(user, "image")["image"]["id"]
    assert sim.media.get(jpeg) is not None
    assert sim.media.get(jpeg).read().startswith(b"\xff\xd8\xff")  # type: ignore[union-attr]


async def test_media_of_requested_size_and_content(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    user = sim.user("15551230001", "Jane")
    big = sim.build_message(user, "video", size=5 * 1024 * 1024 + 3)["video"]
    _, meta = await media_meta(http, sim, big["id"])
    status, data, _ = await download(http, meta["url"])
    assert status == 200 and len(data) == 5 * 1024 * 1024 + 3 == meta["file_size"]
    assert b64sha(data) == big["sha256"]
    assert data[4:8] == b"ftyp"

    exact = os.urandom(1000)
    doc = sim.build_message(user, "document", content=exact, mime_type="application/zip")
    _, meta = await media_meta(http, sim, doc["document"]["id"])
    assert (await download(http, meta["url"]))[1] == exact


async def test_graph_requires_bearer(sim: Simulator, http: aiohttp.ClientSession) -> None:
    media_id = sim.build_message(sim.user("15551230001", "Jane"), "image")["image"]["id"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        status, body = await media_meta(http, sim, media_id, headers=headers)
        assert status == 401
        assert body["error"]["type"] == "OAuthException" and body["error"]["code"] == 190
        assert body["error"]["fbtrace_id"]
    _, meta = await media_meta(http, sim, media_id)
    status, _, _ = await download(http, meta["url"], headers={})
    assert status == 401
    async with http.post(f"{sim.graph_base_url}/{sim.settings.phone_number_id}/messages") as r:
        assert r.status == 401


async def test_download_url_expires(receiver: Receiver, http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with Simulator(make_settings(receiver, media_url_ttl_s=60), clock=clock) as sim:
        media_id = sim.build_message(sim.user("15551230001", "Jane"), "image")["image"]["id"]
        _, meta = await media_meta(http, sim, media_id)
        clock.now += 59
        assert (await download(http, meta["url"]))[0] == 200
        clock.now += 2
        status, body, _ = await download(http, meta["url"])
        assert status == 404
        assert b'"code":100' in body
        # A fresh metadata call gives a fresh URL.
        _, meta = await media_meta(http, sim, media_id)
        assert (await download(http, meta["url"]))[0] == 200
        # A tampered URL is refused too.
        tampered = meta["url"].replace("expires=", "expires=9")
        assert (await download(http, tampered))[0] == 404


async def test_unavailable_and_unknown_media(sim: Simulator, http: aiohttp.ClientSession) -> None:
    user = sim.user("15551230001", "Jane")
    gone = sim.build_message(user, "audio", unavailable=True)["audio"]["id"]
    status, body = await media_meta(http, sim, gone)
    assert status == 404 and body["error"]["code"] == 100
    assert (await media_meta(http, sim, "999"))[0] == 404

    later = sim.build_message(user, "image")["image"]["id"]
    _, meta = await media_meta(http, sim, later)
    sim.media.make_unavailable(later)
    assert (await download(http, meta["url"]))[0] == 404
    assert (await media_meta(http, sim, later))[0] == 404


async def test_wrong_sha256_flag(sim: Simulator, http: aiohttp.ClientSession) -> None:
    obj = sim.build_message(sim.user("15551230001", "Jane"), "image", wrong_sha256=True)["image"]
    _, meta = await media_meta(http, sim, obj["id"])
    _, data, _ = await download(http, meta["url"])
    assert len(base64.b64decode(obj["sha256"])) == 32
    assert b64sha(data) != obj["sha256"]


async def graph_send(
    http: aiohttp.ClientSession, sim: Simulator, payload: Any, node: str | None = None
) -> tuple[int, dict[str, Any]]:
    url = f"{sim.graph_base_url}/{node or sim.settings.phone_number_id}/messages"
    async with http.post(url, json=payload, headers=AUTH) as r:
        return r.status, await r.json()


TEXT = {
    "messaging_product": "whatsapp",
    "to": "15551230001",
    "type": "text",
    "text": {"body": "hi"},
}


async def test_send_answers_wamid_then_statuses(
    sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    status, body = await graph_send(http, sim, TEXT)
    assert status == 200
    wamid = body["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    assert body["contacts"] == [{"input": "15551230001", "wa_id": "15551230001"}]
    assert body["messaging_product"] == "whatsapp"
    assert [s.wamid for s in sim.sent] == [wamid]
    assert sim.sent[0].payload == TEXT and sim.sent[0].to == "15551230001"

    await receiver.wait_for(3)
    statuses = receiver.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert {s["id"] for s in statuses} == {wamid}
    assert all(s["recipient_id"] == "15551230001" for s in statuses)
    assert len({s["conversation"]["id"] for s in statuses}) == 1


async def test_send_validation(sim: Simulator, http: aiohttp.ClientSession) -> None:
    bad: list[Any] = [
        {**TEXT, "messaging_product": "sms"},
        {k: v for k, v in TEXT.items() if k != "to"},
        {**TEXT, "type": "poll"},
        {**TEXT, "text": {}},
        {"messaging_product": "whatsapp", "to": "1555", "type": "image", "image": {}},
        [1, 2],
    ]
    for payload in bad:
        status, body = await graph_send(http, sim, payload)
        assert status == 400, payload
        assert body["error"]["code"] == 100
    status, body = await graph_send(http, sim, TEXT, node="123456")
    assert status == 400 and body["error"]["error_subcode"] == 33
    assert sim.sent == []
    # Meta defaults a missing type to text.
    assert (await graph_send(http, sim, {k: v for k, v in TEXT.items() if k != "type"}))[0] == 200


async def test_other_send_types_and_mark_read(sim: Simulator, http: aiohttp.ClientSession) -> None:
    ok: list[dict[str, Any]] = [
        {"type": "image", "image": {"link": "https://example.com/a.jpg"}},
        {"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}},
        {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}},
        {"type": "interactive", "interactive": {"type": "button", "action": {}}},
        {"type": "location", "location": {"latitude": 1, "longitude": 2}},
        {"type": "contacts", "contacts": [{"name": {"formatted_name": "A"}}]},
    ]
    for extra in ok:
        payload = {"messaging_product": "whatsapp", "to": "+1 555-123-0001", **extra}
        status, body = await graph_send(http, sim, payload)
        assert status == 200, body
        assert body["contacts"][0] == {"input": "+1 555-123-0001", "wa_id": "15551230001"}
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in"}
    assert await graph_send(http, sim, read) == (200, {"success": True})
    assert sim.graph.marked_read == ["wamid.in"]


async def test_injected_send_failures(receiver: Receiver, http: aiohttp.ClientSession) -> None:
    async with Simulator(make_settings(receiver, send_statuses=False)) as sim:
        sim.fail_next_sends(2, code=130429)
        sim.fail_next_sends(1, code=131047)
        sim.fail_next_sends(1, code=500)
        results = [await graph_send(http, sim, TEXT) for _ in range(5)]
        assert [r[0] for r in results] == [400, 400, 400, 500, 200]
        assert [r[1].get("error", {}).get("code") for r in results[:4]] == [
            130429,
            130429,
            131047,
            131000,
        ]
        assert results[0][1]["error"]["type"] == "OAuthException"
        assert "(#130429)" in results[0][1]["error"]["message"]
        assert len(sim.sent) == 1
        await sim.wait_idle()
        assert receiver.posts == []


async def test_asynchronous_failure_is_a_failed_status(
    sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    sim.fail_next_deliveries(1, code=131047)
    status, body = await graph_send(http, sim, TEXT)
    assert status == 200
    await receiver.wait_for(1)
    await sim.wait_idle()
    (item,) = receiver.statuses()
    assert item["status"] == "failed" and item["id"] == body["messages"][0]["id"]
    assert item["errors"][0]["code"] == 131047


async def test_upload_then_download(sim: Simulator, http: aiohttp.ClientSession) -> None:
    data = os.urandom(70_000)
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", "image/png")
    form.add_field("file", data, filename="a.png", content_type="image/png")
    url = f"{sim.graph_base_url}/{sim.settings.phone_number_id}/media"
    async with http.post(url, data=form, headers=AUTH) as r:
        assert r.status == 200
        media_id = (await r.json())["id"]
    assert media_id.isdigit()
    status, meta = await media_meta(http, sim, media_id)
    assert status == 200 and meta["file_size"] == len(data) and meta["mime_type"] == "image/png"
    assert meta["sha256"] == b64sha(data)
    assert (await download(http, meta["url"]))[1] == data

    bad = aiohttp.FormData()
    bad.add_field("type", "image/png")
    bad.add_field("file", data, filename="a.png", content_type="image/png")
    async with http.post(url, data=bad, headers=AUTH) as r:
        assert r.status == 400


async def test_phone_number_node(sim: Simulator, http: aiohttp.ClientSession) -> None:
    status, body = await media_meta(http, sim, sim.settings.phone_number_id)
    assert status == 200 and body["id"] == sim.settings.phone_number_id


async def test_stop_cancels_pending_statuses(
    receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    sim = Simulator(make_settings(receiver, status_delays_s=(30.0, 60.0, 90.0)))
    await sim.start()
    assert (await graph_send(http, sim, TEXT))[0] == 200
    await sim.stop()
    assert receiver.posts == []


async def test_generated_files_per_mime_type(sim: Simulator, http: aiohttp.ClientSession) -> None:
    user = sim.user("15551230001", "Jane")
    magic = {
        "image/png": b"\x89PNG",
        "image/webp": b"RIFF",
        "text/plain": b"",
        "application/pdf": b"%PDF",
        "audio/mpeg": b"ID3",
    }
    for mime, head in magic.items():
        for size in (3, 100, 200_000):
            obj = sim.build_message(user, "document", mime_type=mime, size=size)["document"]
            _, meta = await media_meta(http, sim, obj["id"])
            _, data, _ = await download(http, meta["url"])
            assert len(data) == size and b64sha(data) == obj["sha256"]
            assert data.startswith(head[:size])
            if mime == "text/plain":
                assert data.isascii()

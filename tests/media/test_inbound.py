"""Inbound media end to end: simulator → ingress → fetch into the blob store → delivery with
``pipes.media`` → download through the API; unavailable files, ranges, owners, expiry."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningGateway, add_destination, eventually
from tests.destinations.helpers import JumpingClock
from tests.media.conftest import new_s3_store, s3_settings
from tests.socket.conftest import WsClient, gateway_with_sim, socket_destination
from wahooks.accounts import issue_tenant_key
from wahooks.demo.receiver import Receiver
from wahooks.media.s3 import S3BlobStore
from wahooks.sim import Simulator

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


def pipes_of(receiver: Receiver, n: int) -> dict[str, Any]:
    payload: dict[str, Any] = receiver.accepted()[n].json()
    return payload


async def download(
    gateway: RunningGateway, media_id: str, key: str | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    auth = {} if key == "" else {"Authorization": f"Bearer {key or gateway.api_key}"}
    async with gateway.http.get(
        f"{gateway.url}/v1/media/download/{media_id}", headers={**auth, **headers}
    ) as response:
        return response.status, dict(response.headers), await response.read()


@pytest.mark.e2e
@pytest.mark.parametrize("kind", MEDIA_TYPES)
async def test_every_media_type_is_fetched_delivered_and_downloadable(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, kind: str
) -> None:
    await add_destination(gateway, receiver)
    sent = await sim.send(sim.user("15551236001", "Pic"), kind, size=200_000)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    media = pipes_of(receiver, 0)["pipes"]["media"]
    graph_id = sent.message[kind]["id"]
    original = sim.media.get(graph_id)
    assert original is not None
    data = original.read()
    assert len(media["mediaId"]) == 21 and media["mediaId"] != graph_id
    assert media["downloadUrl"] == f"/v1/media/download/{media['mediaId']}"
    assert media["byteSize"] == len(data)
    assert media["mimeType"] == sent.message[kind]["mime_type"]
    assert "unavailable" not in media
    if kind == "document":
        assert media["fileName"] == "document.pdf"
    status, headers, body = await download(gateway, media["mediaId"])
    assert status == 200 and body == data
    assert headers["Content-Type"].startswith(media["mimeType"].split(";")[0])
    assert headers["Content-Length"] == str(len(data))
    assert headers["Content-Disposition"].startswith("attachment; filename=")
    # A user's file: never sniffed into HTML, and sandboxed if a browser renders it.
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("sandbox")


async def test_unavailable_media_is_still_delivered_and_marked(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551236002", "Broken")
    await sim.send(user, "image", unavailable=True)  # Graph answers 404
    await sim.send(user, "document", wrong_sha256=True, filename="contract.pdf")
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    for n in range(2):
        media = pipes_of(receiver, n)["pipes"]["media"]
        assert media["unavailable"] is True and media["byteSize"] == 0
        assert "mediaId" not in media and "downloadUrl" not in media
    # No file, but the document's name Meta sent is kept; an image has none.
    assert "fileName" not in pipes_of(receiver, 0)["pipes"]["media"]
    assert pipes_of(receiver, 1)["pipes"]["media"]["fileName"] == "contract.pdf"


@pytest.mark.e2e
async def test_a_slow_file_holds_only_its_own_conversation(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_with_sim(database_url, media_fetch_backoff_s=1.0) as (gateway, sim):
        await add_destination(gateway, receiver)
        sim.fail_next_media(1, 503)  # the first fetch fails; the retry waits ~1 s
        slow = await sim.send(sim.user("15551236003", "Slow"), "video")
        fast = await sim.send(sim.user("15551236004", "Fast"), "text", body="not held")
        await receiver.wait_for(lambda r: len(r.accepted()) == 2, timeout=15)
        order = [
            a.json()["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            for a in receiver.accepted()
        ]
        assert order == [fast.wamid, slow.wamid]
        assert receiver.accepted()[1].json()["pipes"]["media"]["byteSize"] > 0


@pytest.mark.e2e
async def test_ranges_owners_and_unknown_ids(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    sent = await sim.send(sim.user("15551236005", "Ranges"), "document", size=10_000)
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    media_id = pipes_of(receiver, 0)["pipes"]["media"]["mediaId"]
    original = sim.media.get(sent.message["document"]["id"])
    assert original is not None
    data = original.read()
    status, headers, body = await download(gateway, media_id, Range="bytes=0-9")
    assert (status, body) == (206, data[:10])
    assert headers["Content-Range"] == f"bytes 0-9/{len(data)}"
    status, headers, body = await download(gateway, media_id, Range="bytes=-5")
    assert (status, body) == (206, data[-5:])
    status, headers, body = await download(gateway, media_id, Range="bytes=9990-")
    assert (status, body) == (206, data[9990:])
    status, headers, body = await download(gateway, media_id, Range="bytes=20000-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}"
    assert json.loads(body)["error"]["code"] == "range_not_satisfiable"
    store = gateway.gateway.store
    other = (
        await issue_tenant_key(store, (await store.tenants.create_tenant("ten_x", "X")).id)
    ).key
    assert (await download(gateway, media_id, other))[0] == 404  # no existence leak
    assert (await download(gateway, media_id, ""))[0] == 401
    assert (await download(gateway, "A" * 21))[0] == 404
    assert (await download(gateway, "../../etc/passwd"))[0] == 404


async def test_the_socket_frame_carries_the_media_object(
    gateway: RunningGateway, sim: Simulator
) -> None:
    await socket_destination(gateway)
    client = await WsClient.open(gateway)
    await sim.send(sim.user("15551236006", "Sock"), "image", caption="look")
    (data,) = await client.messages(1)
    assert data["type"] == "image" and data["text"] == "look"
    assert len(data["media"]["mediaId"]) == 21 and data["media"]["byteSize"] > 0
    status, _, _ = await download(gateway, data["media"]["mediaId"])
    assert status == 200
    # And its signed link, absolute under the public URL, which needs no key.
    public = gateway.gateway.settings.public_url
    link = data["media"]["url"]
    assert link.startswith(f"{public}/v1/media/file/{data['media']['mediaId']}?expires=")
    async with gateway.http.get(gateway.url + link.removeprefix(public)) as response:
        assert response.status == 200 and len(await response.read()) == data["media"]["byteSize"]
    await client.close()


async def _attempts_recorded(gateway: RunningGateway, n: int) -> bool:
    status, page = await gateway.api("GET", "/v1/deliveries")
    assert status == 200, page
    return [d["attempts"] for d in page["data"]] == [n]


@pytest.mark.e2e
async def test_expired_files_are_purged_only_after_their_deliveries(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    media_dir = tmp_path / "media"
    # The gateway's clock jumps (by less in all than the 5 minutes a receiver lets a
    # webhook-timestamp be off); the purge runs on it every 0.1 s.
    clock = JumpingClock()
    settings = {
        "media_url": f"file://{media_dir}",
        "media_ttl_s": 60,
        "media_grace_s": 30,
        "maintenance_interval_s": 0.1,
        "clock": clock,
    }
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        receiver.always = 503  # the consumer is backlogged
        await add_destination(gateway, receiver, retrySchedule=[0, 120])
        await sim.send(sim.user("15551236007", "Backlog"), "image")
        await receiver.wait_for(lambda r: len(r.arrivals) == 1)
        media_id = receiver.arrivals[0].json()["pipes"]["media"]["mediaId"]
        await eventually(lambda: _attempts_recorded(gateway, 1))  # before the clock moves
        # Past its TTL, but its delivery is still pending: the file stays, purge after purge.
        clock.jump(70)
        await asyncio.sleep(0.3)  # a few purge passes (every 0.1 s) on the jumped clock
        assert (await download(gateway, media_id))[0] == 200
        receiver.always = None
        clock.jump(60)  # the retry is due
        await receiver.wait_for(lambda r: len(r.accepted()) == 1, timeout=5)
        assert (await download(gateway, media_id))[0] == 200  # within the grace period
        # Delivered; after the grace period the purge removes blob and bytes.
        clock.jump(40)
        await eventually(lambda: _gone(gateway, media_id), timeout=5)
        assert [p for p in media_dir.rglob("*") if p.is_file()] == []


async def _gone(gateway: RunningGateway, media_id: str) -> bool:
    return (await download(gateway, media_id))[0] == 410


@pytest.mark.e2e
async def test_an_s3_store_redirects_downloads_to_a_presigned_url(
    database_url: str, receiver: Receiver, s3_endpoint: str
) -> None:
    """The gateway's own S3 code against an S3 server on 127.0.0.1: fetched into the bucket,
    downloaded through a 302 to a URL that works without our key."""
    bucket_store = await new_s3_store(s3_endpoint)
    assert isinstance(bucket_store, S3BlobStore)
    bucket = bucket_store.bucket
    await bucket_store.close()
    s3 = s3_settings(s3_endpoint, bucket)
    settings = {
        name: getattr(s3, name)
        for name in ("media_url", "media_s3_endpoint_url", "media_s3_access_key_id",
                     "media_s3_secret_access_key", "media_s3_part_bytes")
    }  # fmt: skip
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        await add_destination(gateway, receiver)
        sent = await sim.send(sim.user("15551236008", "Bucket"), "video", size=300_000)
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        media_id = pipes_of(receiver, 0)["pipes"]["media"]["mediaId"]
        original = sim.media.get(sent.message["video"]["id"])
        assert original is not None
        async with gateway.http.get(
            f"{gateway.url}/v1/media/download/{media_id}",
            headers={"Authorization": f"Bearer {gateway.api_key}"},
            allow_redirects=False,
        ) as response:
            assert response.status == 302
            location = response.headers["Location"]
        assert location.startswith(s3_endpoint) and gateway.api_key not in location
        async with gateway.http.get(location) as presigned:
            assert presigned.status == 200
            assert await presigned.read() == original.read()
        # The bucket sends no nosniff: a file a browser would run is presigned as bytes.
        page = await sim.send(
            sim.user("15551236008", "Bucket"),
            "document",
            content=b"<script>alert(1)</script>",
            mime_type="text/html",
            filename="page.html",
        )
        assert page.ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 2)
        html_id = pipes_of(receiver, 1)["pipes"]["media"]["mediaId"]
        async with gateway.http.get(
            f"{gateway.url}/v1/media/download/{html_id}",
            headers={"Authorization": f"Bearer {gateway.api_key}"},
            allow_redirects=False,
        ) as response:
            assert response.status == 302
            location = response.headers["Location"]
        async with gateway.http.get(location) as presigned:
            assert presigned.status == 200
            assert presigned.headers["Content-Type"] == "application/octet-stream"
            assert presigned.headers["Content-Disposition"].startswith("attachment;")
            assert await presigned.read() == b"<script>alert(1)</script>"

"""Sending media: POST /v1/messages/send with a media id, an https URL or base64, through the
simulator's Graph API (upload, then send by the uploaded id), and every way it can be refused."""

import base64
import os
import time
from typing import Any

import aiohttp

from tests.conftest import RunningGateway, add_destination
from tests.send.files import FileServer
from tests.send.test_send import conversation_of, out_events, send
from wahooks.accounts import issue_tenant_key
from wahooks.demo.receiver import Receiver
from wahooks.media.ids import new_media_id
from wahooks.models import MediaRecord
from wahooks.sim import Simulator

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
MP4 = b"\x00\x00\x00\x20ftypisom" + os.urandom(200_000)
PDF = b"%PDF-1.4\n" + os.urandom(5000)
OGG = b"OggS" + os.urandom(4000)
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + os.urandom(2000)
MB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def uploaded(sim: Simulator, sent_index: int = -1) -> tuple[str, dict[str, Any], bytes]:
    """(type, media object, uploaded bytes) of a media message the simulator received."""
    payload = sim.sent[sent_index].payload
    kind = payload["type"]
    media = sim.media.get(payload[kind]["id"])
    assert media is not None, "the send must reference an id the upload returned"
    return kind, payload[kind], media.read()


async def download(gateway: RunningGateway, media_id: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {gateway.api_key}"}
    async with gateway.http.get(
        f"{gateway.url}/v1/media/download/{media_id}", headers=headers
    ) as response:
        return response.status, await response.read()


async def upload(gateway: RunningGateway, data: bytes, **fields: str) -> tuple[int, Any]:
    form = aiohttp.FormData()
    for name, value in fields.items():
        if name != "file_name" and name != "content_type":
            form.add_field(name, value)
    form.add_field(
        "file",
        data,
        filename=fields.get("file_name", "upload.bin"),
        content_type=fields.get("content_type", "application/octet-stream"),
    )
    return await gateway.api("POST", "/v1/media", data=form)


async def test_base64_media_is_uploaded_then_sent_by_its_graph_id_and_stored(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=["message:in:new", "message:out:new"])
    conversation = await conversation_of(gateway, receiver, sim, "15551239001")
    status, body = await send(
        gateway,
        {"conversationId": conversation, "media": b64(PNG), "mimeType": "image/png",
         "text": "look at this"},
    )  # fmt: skip
    assert status == 200, body
    assert body["success"] is True and body["conversationId"] == conversation
    kind, media, data = uploaded(sim)
    assert (kind, media["caption"], data) == ("image", "look at this", PNG)
    assert sim.sent[-1].wamid == body["messageId"] and sim.sent[-1].to == "15551239001"
    (upload_record,) = sim.uploads
    assert upload_record.mime_type == "image/png"
    # Streamed from the blob store with its length known: not chunked.
    assert upload_record.content_length is not None
    # Stored as ours, with its message:out:new event.
    await receiver.wait_for(lambda r: len(out_events(r)) == 1)
    ((event, value),) = out_events(receiver)
    echo = value["message_echoes"][0]
    assert event == "message:out:new" and echo["type"] == "image"
    assert echo["id"] == body["messageId"]
    # The file is the tenant's media now: downloadable, and sendable again by its id.
    assert await download(gateway, body["mediaId"]) == (200, PNG)
    status, again = await send(gateway, {"conversationId": conversation, "media": body["mediaId"]})
    assert status == 200, again
    assert uploaded(sim)[2] == PNG and len(sim.uploads) == 2


async def test_the_message_type_follows_the_mime_type(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239002")
    cases = [
        (MP4, "video/mp4", {"caption": "clip"}, "video"),
        (OGG, "audio/ogg; codecs=opus", {}, "audio"),
        (WEBP, "image/webp", {}, "sticker"),
        (
            PDF,
            "application/pdf",
            {"fileName": "invoice.pdf", "caption": "your invoice"},
            "document",
        ),
        (b"plain text file", "text/plain", {}, "document"),
    ]
    for data, mime, extra, expected in cases:
        status, body = await send(
            gateway, {"conversationId": conversation, "media": b64(data), "mimeType": mime, **extra}
        )
        assert status == 200, (mime, body)
        kind, media, got = uploaded(sim)
        assert (kind, got) == (expected, data), mime
        assert media.get("caption") == extra.get("caption"), mime
    assert sim.sent[3].payload["document"]["filename"] == "invoice.pdf"
    # A document without a name still gets one (Meta shows it), from its type.
    assert sim.sent[4].payload["document"]["filename"].endswith(".txt")


async def test_a_received_file_is_sent_again_by_its_media_id(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239003")
    photo = b"\xff\xd8\xff\xe0" + os.urandom(10_000)
    await sim.send(sim.user("15551239003", "Customer"), "image", content=photo)
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    media_id = receiver.accepted()[1].json()["pipes"]["media"]["mediaId"]
    status, body = await send(
        gateway,
        {"conversationId": conversation, "media": media_id, "caption": "is this yours?",
         "text": "ignored: caption wins"},
    )  # fmt: skip
    assert status == 200, body
    assert body["mediaId"] == media_id
    kind, media, data = uploaded(sim)
    assert (kind, media["caption"], data) == ("image", "is this yours?", photo)


async def test_an_https_url_is_fetched_and_sent(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, files: FileServer
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239004")
    url = files.add("clip.mp4", MP4, "video/mp4")
    status, body = await send(gateway, {"conversationId": conversation, "media": url})
    assert status == 200, body
    kind, _, data = uploaded(sim)
    assert (kind, data) == ("video", MP4)
    # Redirects are followed (to https), and a generic type is replaced by the path's.
    pdf_url = files.add("report.pdf", PDF)  # served as application/octet-stream
    hop = files.url("/redirect?to=" + pdf_url)
    status, body = await send(gateway, {"conversationId": conversation, "media": hop})
    assert status == 200, body
    kind, media, data = uploaded(sim)
    assert (kind, media["filename"], data) == ("document", "report.pdf", PDF)
    # A body without Content-Length is counted as it comes.
    files.add("chunked.png", PNG, "image/png")
    status, body = await send(
        gateway, {"conversationId": conversation, "media": files.url("/chunked/chunked.png")}
    )
    assert status == 200, body
    assert uploaded(sim)[2] == PNG


async def test_an_uploaded_file_is_sent_by_its_media_id(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239005")
    status, body = await upload(
        gateway, PDF, fileName="terms.pdf", file_name="x.bin", content_type="application/pdf"
    )
    assert status == 201, body
    assert set(body) == {"mediaId", "mimeType", "byteSize", "fileName", "expiresAt"}
    assert (body["mimeType"], body["byteSize"], body["fileName"]) == (
        "application/pdf", len(PDF), "terms.pdf"
    )  # fmt: skip
    assert len(body["mediaId"]) == 21
    status, sent = await send(gateway, {"conversationId": conversation, "media": body["mediaId"]})
    assert status == 200, sent
    kind, media, data = uploaded(sim)
    assert (kind, media["filename"], data) == ("document", "terms.pdf", PDF)


async def test_a_transient_graph_upload_failure_is_retried_from_the_stored_copy(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239006")
    sim.fail_next_uploads(1, http_status=503)
    status, body = await send(
        gateway, {"conversationId": conversation, "media": b64(PNG), "mimeType": "image/png"}
    )
    assert status == 200, body
    assert uploaded(sim)[2] == PNG and len(sim.uploads) == 1
    # A final refusal is reported with Meta's code, and nothing is sent.
    sim.fail_next_uploads(1, http_status=400)
    status, body = await send(
        gateway, {"conversationId": conversation, "media": b64(PNG), "mimeType": "image/png"}
    )
    assert status == 502, body
    assert body["error"]["code"] == "graph_error" and "upload" in body["error"]["message"]
    assert len(sim.sent) == 1


async def test_bad_media_sends_are_clear_4xx_and_nothing_reaches_meta(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, files: FileServer
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239007")
    store = gateway.gateway.store
    other = await store.tenants.create_tenant("ten_other", "Other")
    other_key = (await issue_tenant_key(store, other.id)).key
    as_other = RunningGateway(
        gateway.url,
        gateway.gateway,
        other.id,
        other_key,
        gateway.http,
        gateway.operator_key,
        gateway.graph,
    )
    status, theirs = await upload(as_other, PNG, content_type="image/png")
    assert status == 201, theirs
    expired = MediaRecord(
        id=new_media_id(), tenant_id=gateway.tenant_id, kind="image", state="ready",
        reason=None, blob_key=f"{gateway.tenant_id}/gone", mime_type="image/png",
        file_name=None, byte_size=10, expires_at=time.time() - 1, created_at=time.time() - 9,
    )  # fmt: skip
    await store.media.add(expired, sha256="")
    big_png = b"\x89PNG" + bytes(5 * MB)
    files.add("big.png", big_png, "image/png")
    files.add("page.html", b"<html>", "text/html")
    c = {"conversationId": conversation}
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({**c, "media": new_media_id()}, 404, "not_found", "no media"),
        ({**c, "media": theirs["mediaId"]}, 404, "not_found", "no media"),
        ({**c, "media": expired.id}, 410, "gone", "expired"),
        ({**c, "media": "not base64 at all!"}, 400, "invalid_media", "base64"),
        ({**c, "media": b64(PNG)}, 400, "invalid_request", "mimeType"),
        ({**c, "media": b64(PNG), "mimeType": "nonsense"}, 400, "invalid_request", "mimeType"),
        ({**c, "media": "http://example.com/a.png"}, 400, "insecure_url", "https"),
        ({**c, "media": b64(big_png), "mimeType": "image/png"}, 413, "media_too_large", "5 MB"),
        ({**c, "media": files.url("/files/big.png")}, 413, "media_too_large", "5 MB"),
        ({**c, "media": files.url("/chunked/big.png")}, 413, "media_too_large", "5 MB"),
        ({**c, "media": files.url("/status/404")}, 400, "media_url_failed", "404"),
        ({**c, "media": files.url("/redirect?to=http://127.0.0.1/x")}, 400, "insecure_url", ""),
        ({**c, "media": b64(OGG), "mimeType": "audio/ogg", "caption": "hi"}, 400,
         "invalid_request", "caption"),
        ({**c, "media": b64(PNG), "mimeType": "image/png", "text": "x" * 1025}, 400,
         "invalid_request", "1024"),
        ({**c, "media": b64(PNG), "mimeType": "image/png", "caption": "x" * 1025}, 400,
         "invalid_request", "caption"),
        ({**c, "caption": "no media"}, 400, "invalid_request", "media"),
        ({"conversationId": "conv_nope", "media": b64(PNG), "mimeType": "image/png"}, 404,
         "not_found", "conv_nope"),
    ]  # fmt: skip
    for body, expected, code, mentions in cases:
        status, answer = await send(gateway, body)
        assert status == expected, (body.get("media", "")[:60], answer)
        assert answer["error"]["code"] == code, answer
        assert mentions in answer["error"]["message"], answer
    assert sim.sent == [] and sim.uploads == []
    # Any type WhatsApp does not show inline goes as a document.
    status, answer = await send(gateway, {**c, "media": files.url("/files/page.html")})
    assert status == 200, answer
    assert uploaded(sim)[0] == "document"


async def test_a_sticker_may_be_bigger_only_when_its_bytes_say_it_is_animated(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239008")
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"
    animated = vp8x + b"\x02" + os.urandom(200 * 1024)
    static = vp8x + b"\x00" + os.urandom(200 * 1024)
    c = {"conversationId": conversation, "mimeType": "image/webp"}
    status, body = await send(gateway, {**c, "media": b64(static)})
    assert status == 413, body
    assert "static sticker files may be at most 100 KB" in body["error"]["message"]
    status, body = await send(gateway, {**c, "media": b64(animated)})
    assert status == 200, body
    assert uploaded(sim)[::2] == ("sticker", animated)

"""POST /v1/media: multipart uploads streamed into the blob store, kept as the tenant's
media (downloadable, sendable by id), and refused clearly when they cannot be sent."""

import os
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from tests.conftest import RunningGateway
from tests.send.test_send_media import download, upload

MB = 1024 * 1024


def stored_files(gateway: RunningGateway) -> list[Path]:
    root = Path(urlsplit(gateway.gateway.settings.media_url).path)
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]


async def raw_post(gateway: RunningGateway, body: bytes, content_type: str) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {gateway.api_key}", "Content-Type": content_type}
    async with gateway.http.post(gateway.url + "/v1/media", data=body, headers=headers) as r:
        return r.status, await r.json()


async def test_an_upload_is_stored_with_its_type_name_size_and_expiry(
    gateway: RunningGateway,
) -> None:
    data = os.urandom(3 * MB)  # three times the default API body limit: streamed
    status, body = await upload(
        gateway, data, file_name="notes.pdf", content_type="application/pdf"
    )
    assert status == 201, body
    assert (body["mimeType"], body["byteSize"], body["fileName"]) == (
        "application/pdf", len(data), "notes.pdf"
    )  # fmt: skip
    expires = datetime.fromisoformat(body["expiresAt"]).timestamp()
    assert abs(expires - (time.time() + 48 * 3600)) < 60
    assert await download(gateway, body["mediaId"]) == (200, data)
    # The type: the mimeType field, else the part's own, else guessed from the file name.
    status, body = await upload(
        gateway, b"\xff\xd8\xff" + bytes(100), mimeType="image/jpeg", file_name="x"
    )
    assert (status, body["mimeType"], body["fileName"]) == (201, "image/jpeg", "x")
    status, body = await upload(gateway, b"RIFF", file_name="sticker.webp")
    assert (status, body["mimeType"]) == (201, "image/webp")
    status, body = await upload(gateway, b"?", file_name="mystery")
    assert (status, body["mimeType"]) == (201, "application/octet-stream")


async def test_uploads_that_cannot_be_sent_are_refused_and_nothing_is_kept(
    gateway: RunningGateway,
) -> None:
    status, body = await upload(gateway, bytes(5 * MB + 1), content_type="image/png")
    assert status == 413, body
    assert body["error"]["code"] == "media_too_large"
    assert "image files may be at most 5 MB" in body["error"]["message"]
    status, body = await upload(gateway, bytes(101 * 1024), content_type="image/webp")
    assert status == 201, body  # an animated sticker may be 500 KB; sending checks which
    before = stored_files(gateway)
    boundary = "b0undary"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    cases = [
        (b'{"file": "x"}', "application/json", 400, "multipart/form-data"),
        (f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}", 400,
         "no `file` part"),
        (part + b"\x89PNG" + bytes(1000), f"multipart/form-data; boundary={boundary}", 400,
         "ended before"),
        (part + b"\x89PNG\r\n" + f"--{boundary}\r\n".encode()
         + b'Content-Disposition: form-data; name="fileName"\r\n\r\nlate\r\n'
         + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}", 400,
         "last part"),
        (f'--{boundary}\r\nContent-Disposition: form-data; name="colour"\r\n\r\nred\r\n'
         f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}", 400,
         "unknown field"),
    ]  # fmt: skip
    for raw, content_type, expected, mentions in cases:
        status, answer = await raw_post(gateway, raw, content_type)
        assert status == expected, (raw[:80], answer)
        assert mentions in answer["error"]["message"], answer
    assert stored_files(gateway) == before
    async with gateway.http.post(gateway.url + "/v1/media", data=aiohttp.FormData()) as r:
        assert r.status == 401


async def test_names_and_types_are_refused_or_kept_so_the_file_can_be_stored_and_served(
    gateway: RunningGateway,
) -> None:
    """NUL cannot be stored (PostgreSQL) and CR/LF cannot go back in a header: each was a
    500, at the upload or at every download after it (found by schemathesis)."""
    before = stored_files(gateway)
    for fields, mentions in [
        ({"fileName": "\x00"}, "fileName"),
        ({"mimeType": "image/png\x00"}, "mimeType"),
        ({"mimeType": "text/plain\r\nX-Injected: 1"}, "mimeType"),
    ]:
        status, answer = await upload(gateway, b"hello", **fields)
        assert status == 400 and mentions in answer["error"]["message"], (fields, answer)
    assert stored_files(gateway) == before
    status, body = await upload(gateway, b"hello", fileName="a\r\nX-Injected: 1")
    assert status == 201, body
    headers = {"Authorization": f"Bearer {gateway.api_key}"}
    async with gateway.http.get(
        f"{gateway.url}/v1/media/download/{body['mediaId']}", headers=headers
    ) as response:
        assert (response.status, await response.read()) == (200, b"hello")
        assert "X-Injected" not in response.headers
        disposition = response.headers["Content-Disposition"]
        assert 'filename="a__X-Injected: 1"' in disposition, disposition
        assert "filename*=UTF-8''a%0D%0AX-Injected%3A%201" in disposition, disposition

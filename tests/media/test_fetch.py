"""Inbound media from the real Cloud API simulator into the blob stores, through the SSRF
guard (127.0.0.1 allow-listed, as the test suite does everywhere)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from wahooks.media.addresses import AddressPolicy
from wahooks.media.blobs import BlobNotFound, BlobStore
from wahooks.media.fetch import (
    FetchedMedia,
    FetchPolicy,
    GraphMedia,
    MediaFetcher,
    UnavailableMedia,
    decode_sha256,
)
from wahooks.media.guard import guarded_session
from wahooks.media.ids import new_media_id
from wahooks.media.local import LocalBlobStore
from wahooks.sim import SimSettings, Simulator

from .helpers import counting_server

LOCAL = AddressPolicy.allowing(["127.0.0.1/32"])
MiB = 1024 * 1024
TOKEN = "media-test-token"


class Sleeps:
    """Records backoff delays instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimSettings(access_token=TOKEN)) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with guarded_session(LOCAL) as http:
        yield http


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "media")


def webhook_media(sim: Simulator, type_: str, **fields: Any) -> GraphMedia:
    """A media message from a simulated user, as the gateway's ingress would read it."""
    obj = sim.build_message(sim.user("15551230001", "Jane"), type_, **fields)[type_]
    return GraphMedia(
        media_id=obj["id"],
        mime_type=obj["mime_type"],
        sha256=obj["sha256"],
        file_name=obj.get("filename"),
    )


def fetcher(
    session: aiohttp.ClientSession, store: BlobStore, **policy: Any
) -> tuple[MediaFetcher, Sleeps]:
    sleeps = Sleeps()
    values: dict[str, Any] = {"attempts": 4, "backoff_s": 0.5, "timeout_s": 30, **policy}
    return MediaFetcher(session, store, FetchPolicy(**values), sleep=sleeps), sleeps


@pytest.mark.e2e
@pytest.mark.parametrize("type_", ["image", "audio", "video", "document", "sticker"])
async def test_every_media_type(
    sim: Simulator, session: aiohttp.ClientSession, store: BlobStore, type_: str
) -> None:
    media = webhook_media(sim, type_, size=300_000)
    fetch, sleeps = fetcher(session, store)
    key = new_media_id()
    result = await fetch.fetch(sim.graph_base_url, TOKEN, media, key)
    original = sim.media.get(media.media_id)
    assert original is not None
    data = original.read()
    assert result == FetchedMedia(
        key=key,
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        mime_type=media.mime_type or "",
        file_name="document.pdf" if type_ == "document" else None,
    )
    assert await (await store.open(key)).read() == data
    assert sleeps.delays == []


async def test_unknown_media_id_is_unavailable_at_once(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    media = webhook_media(sim, "image", unavailable=True)
    fetch, sleeps = fetcher(session, local_store)
    result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "k1")
    assert isinstance(result, UnavailableMedia) and result.code == "not_found"
    assert "HTTP 404" in result.reason and "does not exist" in result.reason
    assert sleeps.delays == []  # a 404 is final: no retries
    with pytest.raises(BlobNotFound):
        await local_store.size("k1")


async def test_expired_download_url_is_unavailable_at_once(
    session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    # Every URL this simulator hands out has expired by the time it is used.
    async with Simulator(SimSettings(access_token=TOKEN, media_url_ttl_s=-1)) as sim:
        media = webhook_media(sim, "video")
        fetch, sleeps = fetcher(session, local_store)
        result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "k2")
    assert isinstance(result, UnavailableMedia) and result.code == "url_expired"
    assert "URL expired" in result.reason
    assert sleeps.delays == []
    with pytest.raises(BlobNotFound):
        await local_store.size("k2")


@pytest.mark.parametrize("size", [5000, 3 * MiB])
async def test_sha256_mismatch_deletes_the_blob(
    sim: Simulator, session: aiohttp.ClientSession, store: BlobStore, size: int
) -> None:
    # The simulator advertises a wrong hash in the webhook and in Graph's metadata alike,
    # as if the bytes had been corrupted on Meta's side.
    media = webhook_media(sim, "document", size=size, wrong_sha256=True)
    fetch, sleeps = fetcher(session, store)
    result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "k3")
    assert isinstance(result, UnavailableMedia) and result.code == "sha256_mismatch"
    assert sleeps.delays == []
    with pytest.raises(BlobNotFound):
        await store.size("k3")


async def test_webhook_hash_that_disagrees_with_graph_is_refused(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    media = webhook_media(sim, "image")
    other = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    fetch, _ = fetcher(session, local_store)
    result = await fetch.fetch(
        sim.graph_base_url,
        TOKEN,
        GraphMedia(media.media_id, media.mime_type, other),
        "k4",
    )
    assert isinstance(result, UnavailableMedia) and result.code == "sha256_mismatch"


async def test_hex_sha256_is_accepted(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    media = webhook_media(sim, "image")
    assert media.sha256 is not None
    hex_sha = base64.b64decode(media.sha256).hex()
    fetch, _ = fetcher(session, local_store)
    result = await fetch.fetch(
        sim.graph_base_url, TOKEN, GraphMedia(media.media_id, media.mime_type, hex_sha), "k5"
    )
    assert isinstance(result, FetchedMedia) and result.sha256 == hex_sha


@pytest.mark.parametrize(
    ("status", "on"), [(503, "metadata"), (500, "download"), (429, "metadata"), (502, "cut")]
)
async def test_transient_failure_then_success(
    sim: Simulator,
    session: aiohttp.ClientSession,
    local_store: LocalBlobStore,
    status: int,
    on: Any,
) -> None:
    media = webhook_media(sim, "video", size=2 * MiB)
    sim.fail_next_media(2, status, on=on)
    fetch, sleeps = fetcher(session, local_store)
    result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "k6")
    assert isinstance(result, FetchedMedia), result
    assert result.byte_size == 2 * MiB
    original = sim.media.get(media.media_id)
    assert original is not None
    assert await (await local_store.open("k6")).read() == original.read()
    # Two failures, two waits, doubling (+/-20% jitter).
    assert len(sleeps.delays) == 2
    assert 0.4 <= sleeps.delays[0] <= 0.6 and 0.8 <= sleeps.delays[1] <= 1.2
    assert list((local_store.root / ".partial").iterdir()) == []


async def test_persistent_failure_gives_up(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    media = webhook_media(sim, "audio")
    sim.fail_next_media(10, 503)
    fetch, sleeps = fetcher(session, local_store, attempts=3)
    result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "k7")
    assert isinstance(result, UnavailableMedia) and result.code == "unreachable"
    assert "3 tries" in result.reason and "HTTP 503" in result.reason
    assert len(sleeps.delays) == 2
    with pytest.raises(BlobNotFound):
        await local_store.size("k7")


async def test_wrong_token_is_final(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    fetch, sleeps = fetcher(session, local_store)
    result = await fetch.fetch(sim.graph_base_url, "wrong", webhook_media(sim, "image"), "k8")
    assert isinstance(result, UnavailableMedia) and result.code == "graph_refused"
    assert "HTTP 401" in result.reason
    assert sleeps.delays == []


async def test_graph_base_url_at_a_forbidden_address(
    sim: Simulator, local_store: LocalBlobStore
) -> None:
    # A tenant registering a number with an internal "Graph" URL gets nothing from it.
    async with counting_server("127.0.0.1") as internal, guarded_session(AddressPolicy()) as http:
        fetch, sleeps = fetcher(http, local_store)
        result = await fetch.fetch(
            f"http://127.0.0.1:{internal.port}/v21.0", TOKEN, webhook_media(sim, "image"), "k9"
        )
        assert internal.connections == 0
    assert isinstance(result, UnavailableMedia) and result.code == "forbidden_address"
    assert sleeps.delays == []


async def test_unreachable_graph_is_retried(local_store: LocalBlobStore) -> None:
    async with counting_server("127.0.0.1") as gone:
        port = gone.port
    async with guarded_session(LOCAL) as http:
        fetch, sleeps = fetcher(http, local_store, attempts=2)
        result = await fetch.fetch(
            f"http://127.0.0.1:{port}/v21.0", TOKEN, GraphMedia("123"), "k10"
        )
    assert isinstance(result, UnavailableMedia) and result.code == "unreachable"
    assert len(sleeps.delays) == 1


async def test_over_the_size_cap(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    media = webhook_media(sim, "video", size=MiB + 1)
    fetch, sleeps = fetcher(session, local_store, max_bytes=MiB)
    result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "k11")
    assert isinstance(result, UnavailableMedia) and result.code == "too_large"
    assert sleeps.delays == []
    with pytest.raises(BlobNotFound):
        await local_store.size("k11")


async def test_a_body_longer_than_graph_announced_is_cut_off_at_once(
    local_store: LocalBlobStore,
) -> None:
    announced, offered, chunk = 10_000, 64 * MiB, 64 * 1024
    sent = 0
    base = ""

    async def graph(target: str, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        if not target.startswith("/file"):
            body = orjson.dumps({"url": base + "file", "file_size": announced, "id": "123"})
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
            writer.write(head.encode() + b"Content-Type: application/json\r\n\r\n" + body)
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n")
        while sent < offered:  # no Content-Length: only the reader can stop it
            writer.write(b"\0" * chunk)
            await writer.drain()
            sent += chunk

    async with counting_server("127.0.0.1", graph) as server, guarded_session(LOCAL) as http:
        base = server.url
        fetch, sleeps = fetcher(http, local_store, max_bytes=offered)
        result = await fetch.fetch(server.url + "v21.0", TOKEN, GraphMedia("123"), "k12")
    assert isinstance(result, UnavailableMedia) and result.code == "size_mismatch", result
    assert str(announced) in result.reason
    assert sent < 16 * MiB  # stopped past the announced size, not at the 64 MiB limit
    assert sleeps.delays == []
    with pytest.raises(BlobNotFound):
        await local_store.size("k12")


@pytest.mark.parametrize("media_id", ["../../etc/passwd", "", "a/b", "x" * 200])
async def test_media_id_must_look_like_one(local_store: LocalBlobStore, media_id: str) -> None:
    async with guarded_session(LOCAL) as http:
        fetch, _ = fetcher(http, local_store)
        result = await fetch.fetch("http://127.0.0.1:9/v21.0", TOKEN, GraphMedia(media_id), "k")
    assert isinstance(result, UnavailableMedia) and result.code == "invalid_media_id"


async def test_50_mb_is_streamed_with_bounded_memory(
    sim: Simulator, session: aiohttp.ClientSession, local_store: LocalBlobStore
) -> None:
    size = 50 * MiB
    media = webhook_media(sim, "video", size=size)
    fetch, _ = fetcher(session, local_store, max_bytes=100 * MiB)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = await fetch.fetch(sim.graph_base_url, TOKEN, media, "big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, FetchedMedia) and result.byte_size == size
    assert (local_store.root / "big").stat().st_size == size
    # Simulator (same process), HTTP buffers and one chunk in flight: nowhere near 50 MiB.
    assert peak < 8 * MiB, peak


def test_decode_sha256() -> None:
    digest = hashlib.sha256(b"x").digest()
    assert decode_sha256(base64.b64encode(digest).decode()) == digest
    assert decode_sha256(base64.urlsafe_b64encode(digest).decode().rstrip("=")) == digest
    assert decode_sha256(digest.hex()) == digest
    assert decode_sha256(digest.hex().upper()) == digest
    # Too short to be a SHA-256 (the shape of some documentation samples), or not base64.
    assert decode_sha256("4654+8g=") is None
    assert decode_sha256("not a hash!") is None

"""One contract for every blob store, run against a directory and against S3 (moto server)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from wahooks.api.errors import status_of
from wahooks.config import Settings
from wahooks.errors import ConfigError
from wahooks.media.blobs import (
    BlobNotFound,
    BlobRangeError,
    BlobStore,
    BlobTooLarge,
    InvalidBlobKey,
)
from wahooks.media.local import LocalBlobStore
from wahooks.media.s3 import S3BlobStore, bucket_and_prefix
from wahooks.media.stores import open_blob_store

from .conftest import S3_PART_BYTES

MiB = 1024 * 1024


async def stream(data: bytes, chunk: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), chunk):
        yield data[i : i + chunk]


async def generated(size: int, block: bytes) -> AsyncIterator[bytes]:
    """`size` bytes made of `block` repeated with a counter, produced as they are consumed."""
    n = 0
    sent = 0
    while sent < size:
        piece = (n.to_bytes(8, "big") + block)[: size - sent]
        n += 1
        sent += len(piece)
        yield piece


def expected_sha256(size: int, block: bytes) -> str:
    digest = hashlib.sha256()
    n = sent = 0
    while sent < size:
        piece = (n.to_bytes(8, "big") + block)[: size - sent]
        n += 1
        sent += len(piece)
        digest.update(piece)
    return digest.hexdigest()


async def failing(data: bytes, after: int) -> AsyncIterator[bytes]:
    yield data[:after]
    raise ConnectionResetError("upstream went away")


async def test_write_then_read(store: BlobStore) -> None:
    data = os.urandom(100_000)
    written = await store.write("abc", stream(data), content_type="image/jpeg")
    assert (written.key, written.size, written.sha256) == (
        "abc",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert await store.size("abc") == len(data)
    blob = await store.open("abc")
    assert (blob.size, blob.start, blob.end, blob.length) == (len(data), 0, len(data), len(data))
    assert await blob.read() == data


async def test_empty_blob(store: BlobStore) -> None:
    written = await store.write("empty", stream(b""))
    assert (written.size, written.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert await store.size("empty") == 0
    assert await (await store.open("empty")).read() == b""
    for start, end in ((1, None), (0, 10)):
        with pytest.raises(BlobRangeError):
            await store.open("empty", start, end)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 10, slice(0, 10)),
        (10, None, slice(10, None)),
        (999, 1000, slice(999, 1000)),
        (500, 5000, slice(500, 1000)),  # a last byte past the end means "to the end"
        (0, None, slice(0, None)),
    ],
)
async def test_ranges(store: BlobStore, start: int, end: int | None, expected: slice) -> None:
    data = os.urandom(1000)
    await store.write("ranged", stream(data, 7))
    blob = await store.open("ranged", start, end)
    part = await blob.read()
    assert part == data[expected]
    assert (blob.size, blob.start, blob.end) == (1000, start, start + len(part))


@pytest.mark.parametrize(("start", "end"), [(1000, None), (2000, 3000), (5, 5), (6, 5), (-1, 3)])
async def test_unsatisfiable_ranges(store: BlobStore, start: int, end: int | None) -> None:
    await store.write("ranged", stream(os.urandom(1000)))
    with pytest.raises(BlobRangeError) as refused:
        await store.open("ranged", start, end)
    assert refused.value.size == 1000
    assert status_of(refused.value) == 416


async def test_missing_keys(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        await store.open("nothing-here")
    with pytest.raises(BlobNotFound):
        await store.open("nothing-here", 5, 10)
    with pytest.raises(BlobNotFound):
        await store.size("nothing-here")
    await store.delete("nothing-here")  # purges may run twice


@pytest.mark.e2e
async def test_delete(store: BlobStore) -> None:
    await store.write("doomed", stream(b"bytes"))
    await store.delete("doomed")
    with pytest.raises(BlobNotFound):
        await store.open("doomed")
    with pytest.raises(BlobNotFound):
        await store.size("doomed")


async def test_overwrite_replaces(store: BlobStore) -> None:
    await store.write("k", stream(b"first version"))
    await store.write("k", stream(b"second"))
    assert await (await store.open("k")).read() == b"second"


async def test_keys_with_folders(store: BlobStore) -> None:
    await store.write("ab/cd/abcdef", stream(b"deep"))
    assert await (await store.open("ab/cd/abcdef")).read() == b"deep"


@pytest.mark.parametrize(
    "key", ["", "../escape", "a/../../b", "/abs", "a//b", ".partial/x", "a/.hidden", "sp ace", "é"]
)
async def test_invalid_keys(store: BlobStore, key: str) -> None:
    for call in (
        store.write(key, stream(b"x")),
        store.open(key),
        store.size(key),
        store.delete(key),
        store.presign(key, 60),
    ):
        with pytest.raises(InvalidBlobKey):
            await call


@pytest.mark.parametrize("size", [1000, S3_PART_BYTES + 100_000])  # one PUT; multipart
async def test_a_failing_stream_stores_nothing(store: BlobStore, size: int) -> None:
    await store.write("kept", stream(b"previous"))
    with pytest.raises(ConnectionResetError):
        await store.write("kept", failing(os.urandom(size), size - 10))
    with pytest.raises(ConnectionResetError):
        await store.write("never", failing(os.urandom(size), size - 10))
    assert await (await store.open("kept")).read() == b"previous"
    with pytest.raises(BlobNotFound):
        await store.size("never")
    await assert_no_leftovers(store)


@pytest.mark.e2e
@pytest.mark.parametrize("size", [1000, S3_PART_BYTES * 2 + 1])
async def test_max_bytes(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    with pytest.raises(BlobTooLarge) as refused:
        await store.write("big", stream(data, 64 * 1024), max_bytes=size - 1)
    assert status_of(refused.value) == 413
    with pytest.raises(BlobNotFound):
        await store.size("big")
    written = await store.write("big", stream(data, 64 * 1024), max_bytes=size)
    assert written.size == size
    await assert_no_leftovers(store)


async def assert_no_leftovers(store: BlobStore) -> None:
    if isinstance(store, LocalBlobStore):
        assert list((store.root / ".partial").iterdir()) == []
    elif isinstance(store, S3BlobStore):
        uploads = await store.client.list_multipart_uploads(Bucket=store.bucket)
        assert uploads.get("Uploads", []) == []


@pytest.mark.parametrize(
    "size", [S3_PART_BYTES - 1, S3_PART_BYTES, S3_PART_BYTES + 1, 2 * S3_PART_BYTES]
)
async def test_part_boundaries(store: BlobStore, size: int) -> None:
    block = os.urandom(100_000)
    written = await store.write("edge", generated(size, block))
    assert (written.size, written.sha256) == (size, expected_sha256(size, block))
    digest = hashlib.sha256()
    async for chunk in await store.open("edge"):
        digest.update(chunk)
    assert digest.hexdigest() == written.sha256


async def test_large_stream_with_bounded_memory(store: BlobStore) -> None:
    size = 20 * MiB
    block = os.urandom(64 * 1024)
    expected = expected_sha256(size, block)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        written = await store.write("large", generated(size, block), content_type="video/mp4")
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        read = 0
        async for chunk in await store.open("large"):
            digest.update(chunk)
            read += len(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (written.size, written.sha256) == (size, expected)
    assert (read, digest.hexdigest()) == (size, expected)
    # A local write holds one chunk at a time; an S3 write gathers one part (5 MiB here) and
    # joins it into one body to send. Neither grows with the file.
    write_bound = 2 * MiB if isinstance(store, LocalBlobStore) else 2 * S3_PART_BYTES + MiB
    assert write_peak < write_bound, write_peak
    assert read_peak < 4 * MiB, read_peak


async def test_stopping_early_closes_the_stream(store: BlobStore) -> None:
    await store.write("partly", stream(os.urandom(3 * MiB), 64 * 1024))
    async with await store.open("partly") as blob:
        async for chunk in blob:
            assert chunk
            break
    # The store is still fully usable afterwards (no leaked connection or file blocking it).
    for _ in range(20):
        async with await store.open("partly", 0, 10) as blob:
            assert len(await blob.read()) == 10


async def test_concurrent_writes_and_reads(store: BlobStore) -> None:
    blobs = {f"c{i}": os.urandom(50_000 + i) for i in range(10)}
    await asyncio.gather(*(store.write(k, stream(v, 4096)) for k, v in blobs.items()))

    async def read(key: str) -> bytes:
        return await (await store.open(key)).read()

    assert await asyncio.gather(*(read(k) for k in blobs)) == list(blobs.values())


async def test_presign(store: BlobStore) -> None:
    data = os.urandom(10_000)
    await store.write("shared", stream(data), content_type="application/pdf")
    url = await store.presign("shared", 300, content_type="application/pdf", file_name="r é.pdf")
    if isinstance(store, LocalBlobStore):
        assert url is None
        return
    assert url is not None and url.startswith("http://127.0.0.1:")
    # No credentials: the URL alone grants access, as a customer following a 302 would.
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            assert await response.read() == data
            assert response.headers["Content-Type"] == "application/pdf"
            assert "filename*=UTF-8''r%20%C3%A9.pdf" in response.headers["Content-Disposition"]
        async with http.get(url, headers={"Range": "bytes=10-19"}) as response:
            assert response.status == 206 and await response.read() == data[10:20]
        tampered = url.replace("shared", "shareD")
        async with http.get(tampered) as response:
            assert response.status == 403


def test_bucket_and_prefix() -> None:
    assert bucket_and_prefix("s3://media") == ("media", "")
    assert bucket_and_prefix("s3://media/") == ("media", "")
    assert bucket_and_prefix("s3://media/a/b/") == ("media", "a/b/")
    with pytest.raises(ValueError, match="without a bucket"):
        bucket_and_prefix("s3:///x")


async def test_open_blob_store_by_scheme(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = await open_blob_store(f"file://{tmp_path}/m", Settings())
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "m"
    monkeypatch.chdir(tmp_path)  # the default is relative to the working directory
    relative = await open_blob_store("file://./data/media", Settings())
    assert isinstance(relative, LocalBlobStore) and relative.root == Path("data/media")
    assert (tmp_path / "data" / "media").is_dir()
    settings = Settings(
        media_s3_endpoint_url=s3_endpoint,
        media_s3_access_key_id="k",
        media_s3_secret_access_key="s",
    )
    s3 = await open_blob_store("s3://bucket/prefix", settings)
    try:
        assert isinstance(s3, S3BlobStore)
        assert (s3.bucket, s3.prefix) == ("bucket", "prefix/")
    finally:
        await s3.close()
    with pytest.raises(ConfigError, match="WAHOOKS_MEDIA_URL"):
        await open_blob_store("ftp://x", Settings())
    with pytest.raises(ConfigError, match="both or neither"):
        await open_blob_store("s3://bucket", Settings(media_s3_access_key_id="k"))


async def test_s3_keys_live_under_the_prefix(s3_endpoint: str) -> None:
    from .conftest import new_s3_store

    store = await new_s3_store(s3_endpoint)
    try:
        assert isinstance(store, S3BlobStore)
        await store.write("abc", stream(b"x"))
        listed = await store.client.list_objects_v2(Bucket=store.bucket)
        assert [o["Key"] for o in listed.get("Contents", [])] == ["media/abc"]
    finally:
        await store.close()


async def test_local_partials_from_a_crash_are_swept(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    stale = tmp_path / ".partial" / "deadbeef"
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    fresh = tmp_path / ".partial" / "inflight"
    fresh.write_bytes(b"writing")
    assert await store.remove_partials(older_than_s=3600) == 1
    assert [p.name for p in (tmp_path / ".partial").iterdir()] == ["inflight"]

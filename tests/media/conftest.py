"""Blob stores for the contract tests: a temp directory, and S3 over the real S3 protocol
against a moto server that these tests start on 127.0.0.1 (in its own process, so its memory
does not count in ours)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from wahooks.config import Settings
from wahooks.media.blobs import BlobStore
from wahooks.media.local import LocalBlobStore
from wahooks.media.stores import open_blob_store

S3_PART_BYTES = 5 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_settings(endpoint: str, bucket: str) -> Settings:
    return Settings(
        media_url=f"s3://{bucket}/media",
        media_s3_endpoint_url=endpoint,
        media_s3_access_key_id="test-key",
        media_s3_secret_access_key="test-secret",
        media_s3_part_bytes=S3_PART_BYTES,
    )


async def new_s3_store(endpoint: str) -> BlobStore:
    """The gateway's own S3 store code on a fresh bucket; only the endpoint is the test's."""
    bucket = "wahooks-" + uuid.uuid4().hex[:12]
    settings = s3_settings(endpoint, bucket)
    store = await open_blob_store(settings.media_url, settings)
    from wahooks.media.s3 import S3BlobStore

    assert isinstance(store, S3BlobStore)
    await store.client.create_bucket(Bucket=bucket)
    return store


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    blob_store: BlobStore
    if request.param == "local":
        blob_store = LocalBlobStore(tmp_path / "media")
    else:
        blob_store = await new_s3_store(request.getfixturevalue("s3_endpoint"))
    try:
        yield blob_store
    finally:
        await blob_store.close()

"""Blob stores for the contract tests: a temp directory, and S3 over the real S3 protocol
against a moto server that these tests start on 127.0.0.1 (in its own process, so its memory
does not count in ours)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.moto_servers import moto_server
from wahooks.config import Settings
from wahooks.media.blobs import BlobStore
from wahooks.media.local import LocalBlobStore
from wahooks.media.stores import open_blob_store

S3_PART_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


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

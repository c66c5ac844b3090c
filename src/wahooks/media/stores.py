"""Open the blob store ``WAHOOKS_MEDIA_URL`` names: ``file://…`` (default) or ``s3://…``."""

from __future__ import annotations

from wahooks.config import Settings
from wahooks.errors import ConfigError
from wahooks.media.blobs import BlobStore
from wahooks.media.local import LocalBlobStore, path_from_url


async def open_blob_store(media_url: str, settings: Settings) -> BlobStore:
    """The store for `media_url`, with S3 endpoint and credentials from `settings`.

    Close it with ``await store.close()`` when the gateway stops.
    """
    try:
        if media_url.startswith("file://"):
            return LocalBlobStore(path_from_url(media_url))
        if media_url.startswith("s3://"):
            # Imported here: botocore takes a while to load and most installs use files.
            from wahooks.media.s3 import S3BlobStore

            return await S3BlobStore.connect(
                media_url,
                endpoint_url=settings.media_s3_endpoint_url,
                region=settings.media_s3_region,
                access_key_id=settings.media_s3_access_key_id,
                secret_access_key=settings.media_s3_secret_access_key,
                part_bytes=settings.media_s3_part_bytes,
            )
    except ValueError as exc:
        raise ConfigError(f"media store for WAHOOKS_MEDIA_URL={media_url!r}: {exc}") from exc
    raise ConfigError(f"WAHOOKS_MEDIA_URL must start with file:// or s3://, not {media_url!r}")

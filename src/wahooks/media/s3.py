"""Blob store on S3-compatible object storage (``s3://bucket/prefix``), for several nodes.

Uses aiobotocore (botocore's request signing and S3 model, on aiohttp). A stream of unknown
length is uploaded as a multipart upload, one part (``part_bytes``, S3's minimum is 5 MiB)
buffered at a time, so memory stays at about one part whatever the file size; a stream that
ends within the first part is one plain PUT. A failed or oversized upload is aborted, so S3
keeps no parts and the key keeps its previous object, if any.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from wahooks.media.blobs import (
    READ_CHUNK_BYTES,
    BlobNotFound,
    BlobRangeError,
    BlobStream,
    BlobTooLarge,
    WrittenBlob,
    check_key,
)

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

MIN_PART_BYTES = 5 * 1024 * 1024
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


def bucket_and_prefix(media_url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix/``); the prefix may be empty."""
    if not media_url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {media_url!r}")
    bucket, _, prefix = media_url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"s3:// URL without a bucket: {media_url!r}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _content_disposition(file_name: str) -> str:
    # RFC 6266: an ASCII fallback plus the exact name, percent-encoded, for everyone else.
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


class S3BlobStore:
    """Create with ``await S3BlobStore.connect(...)``; ``close()`` when done."""

    def __init__(
        self,
        client: S3Client,
        exit_stack: contextlib.AsyncExitStack,
        bucket: str,
        prefix: str,
        part_bytes: int,
    ) -> None:
        self._client = client
        self._exit_stack = exit_stack
        self.bucket = bucket
        self.prefix = prefix
        self._part_bytes = part_bytes

    @classmethod
    async def connect(
        cls,
        media_url: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_bytes: int = 8 * 1024 * 1024,
    ) -> S3BlobStore:
        """A store on `media_url`. Empty credentials fall back to botocore's usual chain
        (environment, config files, instance roles)."""
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"part_bytes must be at least {MIN_PART_BYTES} (S3's minimum)")
        if bool(access_key_id) != bool(secret_access_key):
            raise ValueError("give both or neither of the S3 access key id and secret")
        bucket, prefix = bucket_and_prefix(media_url)
        # Self-hosted S3 (MinIO, Ceph, moto) usually has no per-bucket DNS names: path-style.
        config = AioConfig(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
        )
        stack = contextlib.AsyncExitStack()
        client: S3Client = await stack.enter_async_context(
            get_session().create_client(
                "s3",
                region_name=region,
                endpoint_url=endpoint_url or None,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                config=config,
            )
        )
        return cls(client, stack, bucket, prefix, part_bytes)

    @property
    def client(self) -> S3Client:
        return self._client

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def write(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> WrittenBlob:
        name = self.object_key(key)
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        digest = hashlib.sha256()
        size = 0
        # The part being gathered, as the chunks that arrived: joined once when it is sent.
        pending: list[bytes] = []
        pending_bytes = 0
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []
        try:
            async for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise BlobTooLarge(key, max_bytes)
                digest.update(chunk)
                pending.append(chunk)
                pending_bytes += len(chunk)
                if pending_bytes >= self._part_bytes:
                    if upload_id is None:
                        created = await self._client.create_multipart_upload(
                            Bucket=self.bucket, Key=name, **extra
                        )
                        upload_id = created["UploadId"]
                    body = b"".join(pending)
                    pending.clear()
                    pending_bytes = 0
                    parts.append(await self._upload_part(name, upload_id, len(parts) + 1, body))
                    del body
            rest = b"".join(pending)
            pending.clear()
            if upload_id is None:
                await self._client.put_object(Bucket=self.bucket, Key=name, Body=rest, **extra)
            else:
                if rest or not parts:
                    parts.append(await self._upload_part(name, upload_id, len(parts) + 1, rest))
                await self._client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await self._client.abort_multipart_upload(
                        Bucket=self.bucket, Key=name, UploadId=upload_id
                    )
            raise
        return WrittenBlob(key=key, size=size, sha256=digest.hexdigest())

    async def _upload_part(
        self, name: str, upload_id: str, number: int, body: bytes
    ) -> CompletedPartTypeDef:
        answer = await self._client.upload_part(
            Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"ETag": answer["ETag"], "PartNumber": number}

    async def open(self, key: str, start: int = 0, end: int | None = None) -> BlobStream:
        name = self.object_key(key)
        if start < 0 or (end is not None and end <= start):
            raise BlobRangeError(key, await self.size(key), start, end)
        ranged = start > 0 or end is not None
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": name}
        if ranged:
            request["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            answer = await self._client.get_object(**request)
        except ClientError as exc:
            code = _error_code(exc)
            if code in _MISSING:
                raise BlobNotFound(key) from None
            if code == "InvalidRange":
                raise BlobRangeError(key, await self.size(key), start, end) from None
            raise
        body = answer["Body"]
        length = int(answer["ContentLength"])
        size = length
        if ranged:
            match = _CONTENT_RANGE.fullmatch(answer.get("ContentRange", ""))
            if match is None:  # a server that ignored Range sent the whole object
                body.close()
                raise RuntimeError(f"S3 answered a range request for {name!r} without a range")
            start, size = int(match[1]), int(match[3])
        else:
            start = 0

        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in body.iter_chunks(READ_CHUNK_BYTES):
                yield chunk

        async def close() -> None:
            body.close()

        return BlobStream(size=size, start=start, end=start + length, chunks=chunks(), close=close)

    async def size(self, key: str) -> int:
        try:
            answer = await self._client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise BlobNotFound(key) from None
            raise
        return int(answer["ContentLength"])

    async def delete(self, key: str) -> None:
        await self._client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    async def presign(
        self,
        key: str,
        expires_s: int,
        *,
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str | None:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        if file_name:
            params["ResponseContentDisposition"] = _content_disposition(file_name)
        url: str = await self._client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_s
        )
        return url

    async def close(self) -> None:
        await self._exit_stack.aclose()

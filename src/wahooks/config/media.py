"""Options of the media layer: the blob store, fetching and sending files, and the SSRF
guard every outbound connection goes through."""

import ipaddress
from typing import Any

from pydantic import Field, field_validator

from wahooks.config.base import Options

# A shorter link could run out between the POST and the receiver's download of a big file.
MIN_MEDIA_LINK_S = 60


class MediaOptions(Options):
    """Files in and out, and which addresses outbound connections may reach."""

    media_url: str = Field("file://./data/media", description="Where media blobs are stored.")
    media_s3_endpoint_url: str = Field(
        "", description="S3-compatible endpoint for s3:// media URLs; empty: AWS's own."
    )
    media_s3_region: str = Field("us-east-1", description="Region of the s3:// media bucket.")
    media_s3_access_key_id: str = Field(
        "", description="Access key id for s3:// media; empty: botocore's credential chain."
    )
    media_s3_secret_access_key: str = Field(
        "", description="Secret access key for s3:// media; empty: botocore's credential chain."
    )
    media_s3_part_bytes: int = Field(
        8 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        le=5 * 1024 * 1024 * 1024,
        description="Part size of S3 multipart uploads (S3's minimum is 5 MiB).",
    )
    media_fetch_attempts: int = Field(
        4, ge=1, le=20, description="Tries to fetch one inbound file from the Graph API."
    )
    media_fetch_timeout_s: float = Field(
        300, gt=0, le=3600, description="Longest time one inbound file download may take (s)."
    )
    media_fetch_backoff_s: float = Field(
        1.0, ge=0, le=60, description="First retry delay of a media fetch; doubles each try (s)."
    )
    media_ttl_s: float = Field(
        48 * 3600, gt=0, description="How long a received file is kept after its message (s)."
    )
    media_grace_s: float = Field(
        3600,
        ge=0,
        description="A file outlives the last delivery that references it by this "
        "much, even past its TTL (s).",
    )
    media_max_retention_s: float = Field(
        30 * 86400, gt=0, description="Files are removed after this long whatever is pending (s)."
    )
    media_link_ttl_s: float = Field(
        0,
        ge=0,
        le=365 * 86400,
        description="How long the signed media links in payloads work, at most (s; at least "
        f"{MIN_MEDIA_LINK_S}); 0: as long as the file is kept.",
    )
    media_concurrency: int = Field(
        4, ge=1, le=100, description="Media downloads from the Graph API at once in this process."
    )
    media_per_number_concurrency: int = Field(
        2,
        ge=1,
        le=100,
        description="Of those, at most this many for one number at once, so a number whose "
        "Graph URL is slow cannot hold every slot and delay other tenants' files.",
    )
    media_stall_timeout_s: float = Field(
        15,
        gt=0,
        le=600,
        description="A download that brings less than 1 KiB in this long is stalled: the "
        "try is abandoned (and retried like a timeout) rather than holding its slot (s).",
    )
    media_inline_max_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="Largest file sent inline as base64 (REST send, socket media reply); "
        "bigger ones go through POST /v1/media or a URL (bytes).",
    )
    media_url_timeout_s: float = Field(
        60, gt=0, le=3600, description="Longest time fetching a media URL for a send may take (s)."
    )
    outbound_ca_file: str = Field(
        "",
        description="Extra CA certificates (PEM file) outbound TLS trusts, besides the "
        "system's (private CAs, tests).",
    )
    outbound_allow_networks: tuple[str, ...] = Field(
        (),
        description="CIDRs outbound requests may reach though private (development/tests only).",
    )
    outbound_allow_public: bool = Field(
        True,
        description="False: outbound requests reach only outbound_allow_networks, no public "
        "address (a closed network, or a test that must not leave the machine).",
    )

    @field_validator("media_url")
    @classmethod
    def _known_media_store(cls, value: str) -> str:
        if not value.startswith(("file://", "s3://")):
            raise ValueError("must start with file:// or s3://")
        return value

    @field_validator("media_link_ttl_s")
    @classmethod
    def _link_ttl(cls, value: float) -> float:
        if 0 < value < MIN_MEDIA_LINK_S:
            raise ValueError(f"must be 0 (as long as the file is kept) or at least "
                             f"{MIN_MEDIA_LINK_S} s")  # fmt: skip
        return value

    @field_validator("outbound_allow_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        # One CIDR from the environment arrives as a plain string, not a list; "" is none.
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        try:
            return tuple(
                str(ipaddress.ip_network(str(i).strip(), strict=False)) for i in items if str(i)
            )
        except ValueError as exc:
            raise ValueError(f"each entry must be an IP network in CIDR form: {exc}") from exc

    @property
    def inline_body_bytes(self) -> int:
        """Largest send body or socket frame: the largest inline file as base64 (4 characters
        per 3 bytes) plus room for the rest of the JSON."""
        return -(-self.media_inline_max_bytes // 3) * 4 + 64 * 1024

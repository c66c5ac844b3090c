"""Signed media links: a URL in a payload that fetches the file without our API key.

``{public_url}/v1/media/file/{mediaId}?expires={unix}&signature={hex}``: the signature is
an HMAC-SHA256 over the media id and the expiry, under a key derived from the keyring's
(``Keyring.derive``), so a link is good for one file until one time and changing either
breaks it. Receivers that cannot hold our key (a chat tool fetching an image URL, a
Whatspie or Wassenger handler that expects a plain URL) download with it alone.

A link works as long as the file is kept, or ``WAHOOKS_MEDIA_LINK_TTL_S`` if that is
shorter. How long a file is kept is the purge's rule (media/jobs.py, the store's
``expired_media``): its TTL after the message, but never less than ``WAHOOKS_MEDIA_GRACE_S``
after its last delivery finished, and never more than ``WAHOOKS_MEDIA_MAX_RETENTION_S``. A
link is signed as its payload is sent, so the file lives at least until the later of its TTL
and now plus the grace: the link ends then (within the longest retention). A retry signs
again, from its own now.

Pure: the clock is the caller's, nothing here does I/O.
"""

from dataclasses import dataclass, field, replace
from enum import Enum
from urllib.parse import urlencode

from wahooks.config import Settings
from wahooks.digests import hmac_sha256_hex, same
from wahooks.models import MediaInfo, MessageEvent
from wahooks.secrets import Keyring

PATH = "/v1/media/file/"
PURPOSE = "media-links"


class LinkCheck(Enum):
    VALID = "valid"
    FORGED = "forged"  # no signature, a malformed one, or one for another id or expiry
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLinks:
    keys: tuple[str, ...] = field(repr=False)  # the first signs, any verifies
    public_url: str
    link_ttl_s: float  # 0: as long as the file is kept
    ttl_s: float
    grace_s: float
    max_retention_s: float

    @classmethod
    def from_settings(cls, settings: Settings, keyring: Keyring) -> "MediaLinks":
        return cls(
            keys=keyring.derive(PURPOSE),
            public_url=settings.public_url.rstrip("/"),
            link_ttl_s=settings.media_link_ttl_s,
            ttl_s=settings.media_ttl_s,
            grace_s=settings.media_grace_s,
            max_retention_s=settings.media_max_retention_s,
        )

    def expiry(self, media: MediaInfo, now: float) -> int:
        """When a link signed now stops working (Unix seconds)."""
        created = now if media.created_at is None else media.created_at
        ttl_end = created + self.ttl_s if media.expires_at is None else media.expires_at
        kept = min(created + self.max_retention_s, max(ttl_end, now + self.grace_s))
        if self.link_ttl_s:
            kept = min(kept, now + self.link_ttl_s)
        return int(kept)

    def _signature(self, key: str, media_id: str, expires: int) -> str:
        return hmac_sha256_hex(key, f"{media_id}\n{expires}".encode())

    def url(self, media_id: str, expires: int) -> str:
        query = urlencode({"expires": expires, "signature": self._signature(
            self.keys[0], media_id, expires)})  # fmt: skip
        return f"{self.public_url}{PATH}{media_id}?{query}"

    def check(
        self, media_id: str, expires: str | None, signature: str | None, now: float
    ) -> LinkCheck:
        """A link's query against its id: signed by us (the signature first, so an unsigned
        request learns nothing, not even whether it is late), then in time."""
        if not expires or not signature or not expires.isascii() or not expires.isdigit():
            return LinkCheck.FORGED
        when = int(expires[:20])  # more digits than any time; int() of a huge string is slow
        if str(when) != expires or not any(
            same(self._signature(key, media_id, when), signature.lower()) for key in self.keys
        ):
            return LinkCheck.FORGED
        return LinkCheck.EXPIRED if now >= when else LinkCheck.VALID

    def signed(self, media: MediaInfo, now: float) -> MediaInfo:
        """``media`` with its link; unchanged when there is no file to link to."""
        if media.unavailable or media.media_id is None:
            return media
        return replace(media, url=self.url(media.media_id, self.expiry(media, now)))

    def on_event(self, event: MessageEvent, now: float) -> MessageEvent:
        """The event as it is sent now: its file's link signed."""
        if event.media is None:
            return event
        return replace(event, media=self.signed(event.media, now))

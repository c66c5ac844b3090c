"""An audio's or video's length, read from the file as it is downloaded (pure parsing).

Meta's webhooks give no duration, and Whatspie's ``file.seconds`` wants one. What WhatsApp
sends is mostly Ogg (Opus voice notes; Vorbis) and MP4/3GP (video, some audio): for Ogg the
last page's granule position (Opus counts 48 kHz samples less the pre-skip of its
``OpusHead``; Vorbis counts samples at the rate of its identification header); for MP4 the
``mvhd`` box (``duration / timescale``), found at the start or the end of the file. Anything
else, or a file these do not read, has no known length (None), never an error.

``Ends`` keeps the first and last ``KEEP`` bytes of a stream while it passes through, so
the download is not read twice.
"""

import struct
from collections.abc import AsyncIterator

KEEP = 64 * 1024
OPUS_RATE = 48_000
NO_GRANULE = 0xFFFFFFFFFFFFFFFF  # a page on which no packet ends


class Ends:
    """The head and tail of a byte stream, kept as it goes by (``through``)."""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""

    async def through(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            if len(self.head) < KEEP:
                self.head += chunk[: KEEP - len(self.head)]
            self.tail = (self.tail + chunk)[-KEEP:]
            yield chunk


def duration_s(head: bytes, tail: bytes, mime_type: str) -> int | None:
    """Whole seconds (rounded), or None when the file's length cannot be read."""
    kind = mime_type.split(";")[0].strip().lower()
    try:
        if kind in ("audio/ogg", "audio/opus", "video/ogg", "application/ogg"):
            seconds = _ogg(head, tail)
        elif kind in ("video/mp4", "audio/mp4", "video/3gpp", "audio/3gpp", "audio/aac",
                      "audio/x-m4a", "video/quicktime"):  # fmt: skip
            seconds = _mp4(head) if b"mvhd" in head else _mp4(tail)
        else:
            return None
    except (struct.error, ValueError, IndexError):
        return None
    if seconds is None or seconds < 0 or seconds > 10 * 24 * 3600:
        return None
    return round(seconds)


def _ogg(head: bytes, tail: bytes) -> float | None:
    first = head.find(b"OggS")
    if first < 0:
        return None
    segments = head[first + 26]
    data = first + 27 + segments
    if head[data : data + 8] == b"OpusHead":
        pre_skip = struct.unpack_from("<H", head, data + 10)[0]
        rate, offset = OPUS_RATE, pre_skip
    elif head[data : data + 7] == b"\x01vorbis":
        rate, offset = struct.unpack_from("<I", head, data + 12)[0], 0
    else:
        return None
    if rate <= 0:
        return None
    at = len(tail)
    while (at := tail.rfind(b"OggS", 0, at)) >= 0:
        if at + 14 <= len(tail):
            granule = struct.unpack_from("<Q", tail, at + 6)[0]
            if granule != NO_GRANULE:
                return float(max(0, granule - offset) / rate)
    return None


def _mp4(data: bytes) -> float | None:
    at = data.find(b"mvhd")
    if at < 4:
        return None
    version = data[at + 4]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", data, at + 4 + 4 + 16)
    else:
        timescale, duration = struct.unpack_from(">II", data, at + 4 + 4 + 8)
    return None if timescale == 0 else duration / timescale

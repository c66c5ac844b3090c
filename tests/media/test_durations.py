"""Reading an audio's or video's length from its first and last bytes (media/durations.py),
from files built here byte for byte from the Ogg (RFC 3533), Opus (RFC 7845), Vorbis I and
ISO/IEC 14496-12 (mvhd) layouts; then end to end: a voice note's length reaches Whatspie's
``file.seconds``."""

import struct
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination
from wahooks.demo.receiver import Receiver
from wahooks.media.durations import KEEP, Ends, duration_s
from wahooks.sim import Simulator


def ogg_page(granule: int, payload: bytes, serial: int = 7, seq: int = 0) -> bytes:
    segments = [255] * (len(payload) // 255) + [len(payload) % 255]
    header = b"OggS" + bytes([0, 0]) + struct.pack("<QIII", granule, serial, seq, 0)
    return header + bytes([len(segments)]) + bytes(segments) + payload


def opus(seconds: float, pre_skip: int = 312, filler: int = 0) -> bytes:
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", pre_skip, 48000, 0, 0)
    pages = [ogg_page(0, head), ogg_page(0, b"OpusTags" + b"\0" * 8, seq=1)]
    for n in range(0, filler, 60_000):  # pages on which no packet ends (a long packet)
        pages.append(ogg_page(0xFFFFFFFFFFFFFFFF, b"x" * min(60_000, filler - n), seq=2))
    pages.append(ogg_page(int(seconds * 48000) + pre_skip, b"last", seq=3))
    pages.append(ogg_page(0xFFFFFFFFFFFFFFFF, b"continued", seq=4))
    return b"".join(pages)


def vorbis(seconds: float, rate: int = 44100) -> bytes:
    ident = b"\x01vorbis" + struct.pack("<IBIiiiB", 0, 2, rate, 0, 128000, 0, 0xB8) + b"\x01"
    return ogg_page(0, ident) + ogg_page(int(seconds * rate), b"audio", seq=1)


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4(seconds: float, *, version: int = 0, moov_last: bool = False) -> bytes:
    timescale = 600
    if version == 1:
        times = struct.pack(">BxxxQQIQ", 1, 0, 0, timescale, int(seconds * timescale))
    else:
        times = struct.pack(">BxxxIIII", 0, 0, 0, timescale, int(seconds * timescale))
    moov = box(b"moov", box(b"mvhd", times + b"\0" * 80))
    ftyp = box(b"ftyp", b"isom\0\0\0\0isomiso2")
    mdat = box(b"mdat", b"\0" * (KEEP * 2))  # the media: longer than what is kept
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def ends_of(data: bytes) -> tuple[bytes, bytes]:
    return data[:KEEP], data[-KEEP:]


@pytest.mark.parametrize(
    ("data", "mime", "seconds"),
    [
        (opus(15), "audio/ogg; codecs=opus", 15),
        (opus(2.4), "audio/ogg", 2),
        (opus(61.6, filler=KEEP * 3), "audio/ogg; codecs=opus", 62),  # last page in the tail
        (vorbis(7), "audio/ogg", 7),
        (mp4(12.5), "video/mp4", 12),  # round half to even
        (mp4(95, version=1), "video/mp4", 95),
        (mp4(30, moov_last=True), "video/mp4", 30),
        (mp4(4), "audio/mp4", 4),
    ],
)
def test_lengths_read(data: bytes, mime: str, seconds: int) -> None:
    assert duration_s(*ends_of(data), mime) == seconds


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (opus(15), "audio/mpeg"),  # not a container read here
        (b"OggS", "audio/ogg"),  # cut short
        (b"not a file at all", "audio/ogg"),
        (ogg_page(0, b"FLAC head"), "audio/ogg"),  # Ogg, but no codec read here
        (box(b"ftyp", b"isom"), "video/mp4"),  # no mvhd
        (mp4(10)[:54], "video/mp4"),  # mvhd cut short
        (b"", "video/mp4"),
    ],
)
def test_unknown_lengths_are_none(data: bytes, mime: str) -> None:
    assert duration_s(*ends_of(data), mime) is None


async def test_ends_keep_the_first_and_last_bytes_of_a_stream() -> None:
    data = bytes(range(256)) * 1000  # 256 kB
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    ends = Ends()
    passed = b"".join([c async for c in ends.through(stream())])
    assert passed == data
    assert (ends.head, ends.tail) == (data[:KEEP], data[-KEEP:])


async def test_a_voice_notes_length_reaches_whatspie(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, format="whatspie")
    note = opus(15)
    user = sim.user("15551230301", "Jane Doe")
    assert (await sim.send(user, "audio", content=note, mime_type="audio/ogg; codecs=opus")).ok
    assert (await sim.send(user, "audio", content=b"not ogg", mime_type="audio/ogg")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    payloads: list[Any] = [orjson.loads(a.body) for a in receiver.accepted()]
    assert sorted(p["file"]["seconds"] or 0 for p in payloads) == [0, 15]
    assert any(p["file"]["seconds"] is None for p in payloads)

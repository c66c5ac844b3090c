"""A multipart/form-data request body as a stream of parts, parsed as it arrives.

Starlette's ``request.form()`` would first copy every file to a temporary file; here a file
part's bytes go on to whoever consumes them (the blob store) chunk by chunk, so an upload
costs a few chunks of memory and is written once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from wahooks.errors import InvalidRequest

# Fields other than the file are short (a MIME type, a file name).
MAX_FIELD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class PartStart:
    name: str
    file_name: str | None
    content_type: str | None


class PartEnd:
    """The current part is complete."""


Event = PartStart | bytes | PartEnd


def _decode(value: bytes) -> str:
    return value.decode("utf-8", "replace")


class _Collector:
    """python-multipart's callbacks, turned into a list of events to hand out."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._name = bytearray()
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._name).lower()] = bytes(self._value)
        self._name.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise InvalidRequest("multipart: a part has no Content-Disposition name")
        file_name = options.get(b"filename")
        content_type = self._headers.get(b"content-type")
        self.events.append(
            PartStart(
                name=_decode(name),
                file_name=_decode(file_name) if file_name else None,
                content_type=_decode(content_type).strip() if content_type else None,
            )
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(data[start:end])

    def on_part_end(self) -> None:
        self.events.append(PartEnd())

    def on_end(self) -> None:
        self.ended = True


async def multipart_events(request: Request) -> AsyncIterator[Event]:
    """PartStart, then the part's bytes in chunks, then PartEnd, for each part in order."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidRequest("the body must be multipart/form-data (with a boundary)")
    collector = _Collector()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_end": collector.on_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            events, collector.events = collector.events, []
            for event in events:
                yield event
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidRequest(f"multipart: {exc}") from None
    for event in collector.events:
        yield event
    if not collector.ended:
        raise InvalidRequest("multipart: the body ended before its closing boundary")


async def part_bytes(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    """The current part's bytes, from the shared event stream, up to its PartEnd."""
    async for event in events:
        if isinstance(event, PartEnd):
            return
        if isinstance(event, bytes):
            yield event


async def field_text(events: AsyncIterator[Event]) -> str:
    """The current part as text (a short form field)."""
    value = bytearray()
    async for chunk in part_bytes(events):
        value += chunk
        if len(value) > MAX_FIELD_BYTES:
            raise InvalidRequest(f"multipart: a form field is over {MAX_FIELD_BYTES} bytes")
    return _decode(bytes(value)).strip()

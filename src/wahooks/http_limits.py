"""Slow-request limits for uvicorn: a client gets so long for a request's headers, then so
long for its body, or the connection is answered 408 and closed.

uvicorn has a keep-alive timeout but nothing for a request that trickles in: 200 clients
sending a header byte a second held 200 connections (and their memory) for as long as they
liked. The timers are armed on the transport's protocol, so they cost nothing per byte.
A WebSocket upgrade leaves this protocol, and with it these limits (pings take over).
"""

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _timeout_response(what: str, seconds: float) -> bytes:
    body = orjson.dumps(
        {
            "error": {
                "code": "request_timeout",
                "message": f"the request's {what} did not arrive within {seconds:g} s",
            }
        }
    )
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class _TimedProtocol(HttpToolsProtocol):
    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None

    def _arm(self, what: str, seconds: float) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._expired, what, seconds)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _expired(self, what: str, seconds: float) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_timeout_response(what, seconds))
        if self.cycle is not None:
            self.cycle.disconnected = True  # the app's receive() learns the client is gone
            self.cycle.message_event.set()
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers", self.header_timeout_s)

    def on_headers_complete(self) -> None:
        self._arm("body", self.body_timeout_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm("headers", self.header_timeout_s)  # the next request on this connection

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def timed_http_protocol(header_timeout_s: float, body_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's ``http=`` protocol class with these read limits."""
    return type(
        "TimedHttpProtocol",
        (_TimedProtocol,),
        {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s},
    )

"""A plain ASGI wrapper refusing request bodies over a size limit with a JSON 413.

Some paths take more than the default (files): ``overrides`` maps an exact path to its own
limit.
"""

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wahooks.api.errors import error_response


class _TooLarge(HTTPException):
    """An HTTPException: FastAPI re-raises those from a body read (any other error there
    becomes its 400) and the error handlers answer 413."""


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        path_prefix: str = "/v1",
        overrides: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_prefix = path_prefix
        self.overrides = dict(overrides or {})

    def limit_for(self, path: str) -> int:
        """The largest body ``path`` takes."""
        return self.overrides.get(path, self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefix):
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        message = f"request body exceeds {max_bytes} bytes"
        for name, value in scope["headers"]:
            # bytes.isdigit() is ASCII only; a length past 18 digits is past any limit (and
            # int() refuses past 4300).
            too_long = value.isdigit() and (len(value) > 18 or int(value) > max_bytes)
            if name == b"content-length" and too_long:
                await error_response(413, "payload_too_large", message)(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > max_bytes:
                    raise _TooLarge(413, message)
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await error_response(413, "payload_too_large", message)(scope, receive, send)

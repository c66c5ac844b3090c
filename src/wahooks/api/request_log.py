"""One log line per HTTP request, with its request id (the caller's ``X-Request-Id`` if it
is a plain token, else a new one, echoed in the answer's ``X-Request-Id``), method, path
(never the query string: it may hold a key), status and time; the request id and, once
authenticated, the tenant are bound to every other line logged while it is handled.

Level: Meta's notifications and the probes answered 2xx at DEBUG (hundreds a second; below
DEBUG they skip this middleware entirely, request id included), every other request at
INFO. Pure ASGI, so the handler runs in the same task and its bound fields are seen.
"""

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wahooks.ids import new_id
from wahooks.logs import bind, unbind

log = logging.getLogger("wahooks.requests")

_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
QUIET_PATHS = frozenset({"/ingress/meta", "/health/live", "/health/ready"})


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            scope.get("path") in QUIET_PATHS and not log.isEnabledFor(logging.DEBUG)
        ):
            # The hot path (Meta's notifications) and the probes pay nothing unless their
            # lines are wanted.
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _TOKEN.fullmatch(given) else new_id("req")
        token = bind(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            level = logging.DEBUG if path in QUIET_PATHS and status < 300 else logging.INFO
            if log.isEnabledFor(level):
                ms = round((time.perf_counter() - started) * 1000, 1)
                method = scope.get("method")
                log.log(
                    level,
                    "%s %s %d",
                    method,
                    path,
                    status,
                    extra={"method": method, "path": path, "status": status, "ms": ms},
                )
            unbind(token)

"""A plain ASGI wrapper refusing a NUL character (``%00``) in a request's path or query.

PostgreSQL text cannot hold NUL: a lookup by such an id (``/v1/destinations/%00``, a
delivery filter, the socket's ``conversationId``, Meta's ``hub.verify_token``) failed in the
database driver, a 500, where SQLite found nothing. No id, key or token of ours contains
one, so the request is refused with 400 before any route sees it, on every path at once,
the routes of tomorrow included. JSON bodies are checked by ApiModel (api/base.py).
"""

from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from wahooks.api.errors import error_response

MESSAGE = "the path and the query must not contain NUL (%00) characters"


def has_nul(scope: Scope) -> bool:
    query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
    return "\x00" in scope.get("path", "") or "\x00" in query


class NulGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not has_nul(scope):
            await self.app(scope, receive, send)
            return
        refusal = error_response(400, "invalid_request", MESSAGE)
        if scope["type"] == "websocket":  # refused before the upgrade, like a bad key
            await WebSocket(scope, receive, send).send_denial_response(refusal)
        else:
            await refusal(scope, receive, send)

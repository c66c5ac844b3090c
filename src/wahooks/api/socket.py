"""``GET /ws?apiKey=…[&conversationId=…][&ack=1]``: the Pipes.bot-compatible socket.

A plain Starlette endpoint (the socket is a hot path). A bad key is refused with HTTP 401
and a foreign conversation with 403, both before the upgrade, as Pipes.bot's clients expect.
A tenant key's connections get the tenant's socket deliveries; an App key's (``ak_live_``)
get only that App's (its numbers' messages), and may reply only in its conversations.

The key may come, first found wins, as ``Authorization: Bearer <key>`` (servers), as an entry
of ``Sec-WebSocket-Protocol`` beside ``wahooks`` (browsers, which cannot set headers on a
socket: ``new WebSocket(url, ["wahooks", key])``; the answer selects ``wahooks``, never the
key), or as ``?apiKey=`` for Pipes.bot's clients. Log lines redact all three.
"""

from starlette.websockets import WebSocket

from wahooks.api.auth import identify
from wahooks.api.errors import error_response
from wahooks.errors import Unauthorized
from wahooks.gateway import gateway_of
from wahooks.keys import key_kind, lookup_prefix
from wahooks.models import KeyKind, Tenant
from wahooks.socket.connection import Connection
from wahooks.socket.frames import flat_frame
from wahooks.socket.replies import ClientFrames

SUBPROTOCOL = "wahooks"


def _offered_protocols(websocket: WebSocket) -> list[str]:
    offered = websocket.headers.get("sec-websocket-protocol", "")
    return [p.strip() for p in offered.split(",") if p.strip()]


def socket_key(websocket: WebSocket) -> str | None:
    """The API key of a socket handshake: header, then subprotocol, then query string."""
    authorization = websocket.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    for protocol in _offered_protocols(websocket):
        if key_kind(protocol) is not None:
            return protocol
    return websocket.query_params.get("apiKey")


async def socket_endpoint(websocket: WebSocket) -> None:
    gateway = gateway_of(websocket)
    key = socket_key(websocket)
    try:
        who = await identify(gateway.store, key)
    except Unauthorized as exc:
        await websocket.send_denial_response(error_response(401, exc.code, exc.message))
        return
    if who.kind not in (KeyKind.TENANT, KeyKind.APP) or who.tenant is None or key is None:
        message = "the socket takes a tenant key (pk_live_…) or an App key (ak_live_…)"
        await websocket.send_denial_response(error_response(403, "forbidden", message))
        return
    conversation_id = websocket.query_params.get("conversationId") or None
    if conversation_id is not None:
        conversation = await gateway.store.conversations.get(who.tenant.id, conversation_id)
        # An App's connection may watch only a conversation on the App's numbers.
        if conversation is None or (
            who.app_id is not None and conversation.number.app_id != who.app_id
        ):
            message = f"conversation {conversation_id} does not exist or is not yours"
            await websocket.send_denial_response(error_response(403, "forbidden", message))
            return
    # The key's lookup prefix names it (it is listed with the key) without being a secret.
    key_id = lookup_prefix(key)
    if not gateway.hub.reserve(key_id):
        cap = gateway.settings.socket_max_per_key
        message = (
            f"this key already has {cap} open sockets on this gateway process, the most "
            "WAHOOKS_SOCKET_MAX_PER_KEY allows: close one first"
        )
        await websocket.send_denial_response(error_response(429, "too_many_sockets", message))
        return
    try:
        await _serve(websocket, who.tenant, who.app_id, conversation_id)
    finally:
        gateway.hub.release(key_id)


async def _serve(
    websocket: WebSocket, tenant: Tenant, app_id: str | None, conversation_id: str | None
) -> None:
    gateway = gateway_of(websocket)
    params = websocket.query_params
    offered = _offered_protocols(websocket)
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    if app_id is not None:  # its socket destination starts queueing (if it had not yet)
        await gateway.store.apps.socket_connected(app_id)
    connection = Connection(
        websocket=websocket,
        tenant_id=tenant.id,
        conversation_id=conversation_id,
        ack=params.get("ack", "").lower() in ("1", "true"),
        opened_at=gateway.clock(),
        send_timeout_s=gateway.settings.socket_send_timeout_s,
        app_id=app_id,
    )
    welcome: dict[str, str] = {
        "userId": tenant.id,
        "connectionId": connection.id,
        "scope": connection.scope,
    }
    if app_id is not None:
        welcome["appId"] = app_id
    if conversation_id is not None:
        welcome["conversationId"] = conversation_id
    await connection.send(flat_frame("connected", **welcome))
    pump = gateway.hub.connect(connection)
    frames = ClientFrames(
        connection, pump, gateway.messenger, gateway.media_sender, gateway.app_messenger
    )
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                break
            raw = received.get("text") or received.get("bytes")
            if raw:
                frames.handle(raw)
    finally:
        await gateway.hub.disconnect(connection)
        await frames.close()

"""``GET /ws?apiKey=…[&conversationId=…][&ack=1]``: the Pipes.bot-compatible socket.

A plain Starlette endpoint (the socket is a hot path). A bad key is refused with HTTP 401
and a foreign conversation with 403, both before the upgrade, as Pipes.bot's clients expect.
A tenant key's connections get the tenant's socket deliveries; an App key's (``ak_live_``)
get only that App's (its numbers' messages), and may reply only in its conversations.
"""

from starlette.websockets import WebSocket

from wahooks.api.auth import identify
from wahooks.api.errors import error_response
from wahooks.errors import Unauthorized
from wahooks.gateway import gateway_of
from wahooks.models import KeyKind
from wahooks.socket.connection import Connection
from wahooks.socket.frames import flat_frame
from wahooks.socket.replies import ClientFrames


async def socket_endpoint(websocket: WebSocket) -> None:
    gateway = gateway_of(websocket)
    params = websocket.query_params
    try:
        who = await identify(gateway.store, params.get("apiKey"))
    except Unauthorized as exc:
        await websocket.send_denial_response(error_response(401, exc.code, exc.message))
        return
    if who.kind not in (KeyKind.TENANT, KeyKind.APP) or who.tenant is None:
        message = "the socket takes a tenant key (pk_live_…) or an App key (ak_live_…)"
        await websocket.send_denial_response(error_response(403, "forbidden", message))
        return
    tenant, app_id = who.tenant, who.app_id
    conversation_id = params.get("conversationId") or None
    if conversation_id is not None:
        conversation = await gateway.store.conversation(tenant.id, conversation_id)
        # An App's connection may watch only a conversation on the App's numbers.
        if conversation is None or (app_id is not None and conversation.number.app_id != app_id):
            message = f"conversation {conversation_id} does not exist or is not yours"
            await websocket.send_denial_response(error_response(403, "forbidden", message))
            return
    await websocket.accept()
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

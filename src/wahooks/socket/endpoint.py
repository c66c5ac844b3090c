"""``GET /ws?apiKey=…[&conversationId=…][&ack=1]``: the Pipes.bot-compatible socket.

A plain Starlette endpoint (the socket is a hot path). A bad key is refused with HTTP 401
and a foreign conversation with 403, both before the upgrade, as Pipes.bot's clients expect.
"""

from starlette.websockets import WebSocket

from wahooks.api.auth import authenticate
from wahooks.api.errors import error_response
from wahooks.errors import Unauthorized
from wahooks.gateway import gateway_of
from wahooks.socket.connection import Connection
from wahooks.socket.frames import flat_frame
from wahooks.socket.replies import ClientFrames


async def socket_endpoint(websocket: WebSocket) -> None:
    gateway = gateway_of(websocket)
    params = websocket.query_params
    try:
        tenant = await authenticate(gateway.store, params.get("apiKey"))
    except Unauthorized as exc:
        await websocket.send_denial_response(error_response(401, exc.code, exc.message))
        return
    conversation_id = params.get("conversationId") or None
    if conversation_id is not None:
        if await gateway.store.conversation(tenant.id, conversation_id) is None:
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
    )
    welcome: dict[str, str] = {
        "userId": tenant.id,
        "connectionId": connection.id,
        "scope": connection.scope,
    }
    if conversation_id is not None:
        welcome["conversationId"] = conversation_id
    await connection.send(flat_frame("connected", **welcome))
    pump = gateway.hub.connect(connection)
    frames = ClientFrames(connection, pump, gateway.messenger, gateway.media_sender)
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

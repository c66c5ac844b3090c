"""Sends and template calls of Apps (dedicated numbers), and raw Meta messages.

- ``send_text``: Pipes.bot's ``POST /v1/messages/app/send``: text from one of the App's
  numbers to a phone number, within WhatsApp's 24-hour window.
- ``passthrough``: a Meta Cloud API message object forwarded to ``POST /{phone-number-id}/
  messages`` as given (only our routing fields are taken out), Meta's answer returned.
  Templates are the one kind WhatsApp takes outside the 24-hour window.
- ``templates`` / ``create_template``: the WABA's ``/message_templates``, proxied.

Every message sent is stored (with its message:out:new event) on the conversation of the
App's tenant, so Meta's statuses move it forward like any other send.
"""

from collections.abc import Mapping
from typing import Any

import orjson

from wahooks.errors import Forbidden, InvalidRequest, NotFound, ServiceWindowExpired
from wahooks.models import Clock, Conversation, JsonObject, Number
from wahooks.send.graph import GraphClient, GraphError
from wahooks.send.messenger import (
    SERVICE_WINDOW_S,
    WINDOW_EXPIRED,
    Messenger,
    check_text,
    graph_refused,
)
from wahooks.store import Store

# Fields of ours in a passthrough body: they say where it goes, and never reach Meta.
ROUTING_FIELDS = ("poolNumberId", "conversationId")
TEMPLATE = "template"
_JSON = {"Content-Type": "application/json"}
# Query parameters never forwarded to Meta: the number's own token authenticates.
_PRIVATE_PARAMS = frozenset({"access_token", "appsecret_proof"})


def wa_id_of(phone: str) -> str:
    """A phone number as WhatsApp's id: digits only (``+``, spaces, dashes, dots and
    parentheses are dropped); anything else is refused."""
    digits = "".join(ch for ch in phone if ch not in "+ -.()")
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(digits) <= 20:
        raise InvalidRequest(
            f"{phone!r} is not a phone number: digits with an optional +, 6-20 digits"
        )
    return digits


class AppMessenger:
    def __init__(
        self,
        store: Store,
        graph: GraphClient,
        messenger: Messenger,
        *,
        clock: Clock,
    ) -> None:
        self._store = store
        self._graph = graph
        self._messenger = messenger
        self._clock = clock

    # --- whose is it --------------------------------------------------------------------

    async def number(self, app_id: str, number_id: str) -> Number:
        """One of the App's live numbers (``poolNumberId``); another's is not found."""
        number = await self._store.apps.number(app_id, number_id)
        if number is None:
            raise NotFound(f"poolNumberId: no number {number_id} of this App")
        return number

    async def conversation(
        self, tenant_id: str, app_id: str | None, conversation_id: str
    ) -> Conversation:
        """The tenant's conversation; for an App, only one on the App's numbers."""
        conversation = await self._messenger.conversation(tenant_id, conversation_id)
        if app_id is not None and conversation.number.app_id != app_id:
            raise NotFound(f"no conversation {conversation_id}")
        return conversation

    def _window_open(self, conversation: Conversation | None) -> bool:
        last_in = None if conversation is None else conversation.last_inbound_at
        return last_in is not None and self._clock() - last_in <= SERVICE_WINDOW_S

    # --- sends --------------------------------------------------------------------------

    async def send_text(
        self, tenant_id: str, app_id: str, number_id: str, to_number: str, text: str
    ) -> JsonObject:
        """Text from one of the App's numbers; Meta's answer."""
        check_text(text)
        number = await self.number(app_id, number_id)
        wa_id = wa_id_of(to_number)
        conversation = await self._store.apps.conversation_with(tenant_id, number.id, wa_id)
        if not self._window_open(conversation):
            raise ServiceWindowExpired(f"{WINDOW_EXPIRED} Send a template (passthrough) instead.")
        message = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to_number,
            "type": "text",
            "text": {"body": text, "preview_url": False},
        }
        return await self._send(tenant_id, number, wa_id, message)

    async def passthrough(
        self, tenant_id: str, app_id: str | None, body: Mapping[str, Any]
    ) -> JsonObject:
        """Forward a Meta message object. An App names its number (``poolNumberId``) and
        the recipient (``to``); a tenant names a conversation (``conversationId``), whose
        number and contact it goes to. Returns Meta's answer."""
        message = {k: v for k, v in body.items() if k not in ROUTING_FIELDS}
        kind = message.get("type")
        if not isinstance(kind, str) or not kind:
            raise InvalidRequest("type: required, the Meta message type (text, template, …)")
        if not isinstance(message.get(kind), dict | list):
            raise InvalidRequest(f"{kind}: required, the {kind} object of Meta's message")
        if kind == TEMPLATE and app_id is None:
            raise Forbidden(
                "templates are sent with an App key (ak_live_…): only an App's own numbers "
                "send templates"
            )
        conversation_id = body.get("conversationId")
        if conversation_id is not None:
            if not isinstance(conversation_id, str) or not conversation_id:
                raise InvalidRequest("conversationId: must be a non-empty string")
            conversation = await self.conversation(tenant_id, app_id, conversation_id)
            if kind != TEMPLATE:  # the same rules as any reply in a conversation
                conversation = await self._messenger.open_conversation(tenant_id, conversation_id)
            number, wa_id = conversation.number, conversation.wa_id
            to = message.setdefault("to", wa_id)
            if not isinstance(to, str) or wa_id_of(to) != wa_id:
                raise InvalidRequest(
                    f"to: the conversation's contact is {wa_id}; leave `to` out or give it"
                )
            pool_number_id = body.get("poolNumberId")
            if pool_number_id is not None and pool_number_id != number.id:
                raise InvalidRequest(
                    f"poolNumberId: conversation {conversation_id} is on number {number.id}"
                )
        else:
            if app_id is None:
                raise InvalidRequest("conversationId: required with a tenant key")
            pool_number_id = body.get("poolNumberId")
            if not isinstance(pool_number_id, str) or not pool_number_id:
                raise InvalidRequest("poolNumberId: required, one of the App's numbers")
            to = message.get("to")
            if not isinstance(to, str):
                raise InvalidRequest("to: required, the recipient's phone number")
            number = await self.number(app_id, pool_number_id)
            wa_id = wa_id_of(to)
            found = await self._store.apps.conversation_with(tenant_id, number.id, wa_id)
            if kind != TEMPLATE and not self._window_open(found):
                raise ServiceWindowExpired(
                    f"{WINDOW_EXPIRED} Only a template can be sent outside it."
                )
        if message.setdefault("messaging_product", "whatsapp") != "whatsapp":
            raise InvalidRequest('messaging_product: must be "whatsapp"')
        return await self._send(tenant_id, number, wa_id, message)

    async def _send(
        self, tenant_id: str, number: Number, wa_id: str, message: JsonObject
    ) -> JsonObject:
        path = f"{number.phone_number_id}/messages"
        data = orjson.dumps(message)
        try:
            answer = await self._graph.retrying(
                lambda: self._graph.post_once(number, path, data, _JSON)
            )
        except GraphError as exc:
            raise graph_refused("the message", exc) from exc
        wamid = _wamid(answer)
        if wamid is None:
            missing = GraphError("Graph API answered without a message id", 0, 200)
            raise graph_refused("the message", missing)
        contacts = answer.get("contacts")
        if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
            wa_id = str(contacts[0].get("wa_id") or wa_id)
        item = {k: v for k, v in message.items() if k not in ("messaging_product",)}
        item.update(id=wamid, timestamp=str(int(self._clock())))
        await self._store.inbound.record_outbound(
            number, wa_id, wamid, str(message["type"]), item, tenant_id=tenant_id
        )
        return answer

    # --- templates ----------------------------------------------------------------------

    async def templates(self, number: Number, params: Mapping[str, str]) -> JsonObject:
        """``GET /{waba-id}/message_templates`` with the caller's query parameters."""
        query = {k: v for k, v in params.items() if k not in _PRIVATE_PARAMS}
        return await self._graph_call("GET", number, "message_templates", params=query)

    async def template(self, number: Number, name: str) -> JsonObject:
        """Every language variant of the template called ``name``."""
        answer = await self._graph_call(
            "GET", number, "message_templates", params={"name": name, "limit": "100"}
        )
        found = [
            t for t in answer.get("data") or [] if isinstance(t, dict) and t.get("name") == name
        ]
        if not found:
            raise NotFound(f"no template {name} on this number's WhatsApp Business Account")
        return {"data": found}

    async def create_template(self, number: Number, body: JsonObject) -> JsonObject:
        """``POST /{waba-id}/message_templates``: the template goes to Meta's review."""
        return await self._graph_call("POST", number, "message_templates", body=body)

    async def _graph_call(
        self,
        method: str,
        number: Number,
        edge: str,
        *,
        params: Mapping[str, str] | None = None,
        body: JsonObject | None = None,
    ) -> JsonObject:
        data = None if body is None else orjson.dumps(body)

        async def attempt() -> dict[str, Any]:
            return await self._graph.request_once(
                method, number, f"{number.waba_id}/{edge}", params=params, data=data, headers=_JSON
            )

        try:
            if method == "GET":
                return await self._graph.retrying(attempt)
            return await attempt()  # a create is not repeated: it could make two
        except GraphError as exc:
            raise graph_refused(f"the template request ({method} {edge})", exc) from exc


def _wamid(answer: JsonObject) -> str | None:
    messages = answer.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        wamid = messages[0].get("id")
        return wamid if isinstance(wamid, str) and wamid else None
    return None

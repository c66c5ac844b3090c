"""Conversations: the list (newest activity first, filtered by number, label or your own
user id, paged by the API's keyset cursor), and one conversation as a chat with its labels,
notes, 24-hour window and reply box (conversation_actions.py), updated live over SSE.

The list and the conversation are the REST API's own route functions
(``api/conversations``) called with the session's key, so an App key sees its numbers'
conversations only and another tenant's conversation is a 404 here as in ``/v1``. The chat
reads the same store call as ``GET /v1/conversations/{id}/messages`` with the same scope,
keeping Meta's whole message object to draw locations, contacts and reactions.
"""

import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from wahooks.api.base import seq_cursor
from wahooks.api.conversations.browse import get_conversation, list_conversations
from wahooks.api.conversations.models import ConversationDetail
from wahooks.api.conversations.values import _scope
from wahooks.api.media import download
from wahooks.dashboard.chat import bubbles
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.render import BASE, fragment, render
from wahooks.dashboard.scope import numbers_of
from wahooks.dashboard.sessions import Session, current_session
from wahooks.dashboard.sse import Fragments, fragment_stream
from wahooks.errors import InvalidRequest, NotFound
from wahooks.gateway import gateway_of

PAGE = "conversations"
PAGE_SIZE = 50
CHAT_SIZE = 50  # messages shown at once; older ones a click away
FILTERS = ("number", "label", "user", "contact")
# A phone number as people type it (+, spaces, dashes, dots, brackets): waId is its digits.
PHONE = re.compile(r"\+?[0-9 ().-]{6,40}")
MAX_FILTER_CHARS = 200


def _contact(search: str) -> str | None:
    """The waId a search names: a phone number's digits, or a business-scoped user id
    (a username user's waId); None when it is neither."""
    if PHONE.fullmatch(search):
        return re.sub(r"[^0-9]", "", search)
    if search.startswith("US.") and search[3:].isascii() and search[3:].isdigit():
        return search
    return None


def _filters(request: Request) -> dict[str, str]:
    found = {}
    for name in (*FILTERS, "cursor"):
        value = request.query_params.get(name, "").strip()
        if len(value) > MAX_FILTER_CHARS:
            raise InvalidRequest(f"{name}: at most {MAX_FILTER_CHARS} characters")
        if value:
            found[name] = value
    return found


async def conversations(request: Request) -> Response:
    session = await page_session(request, PAGE)
    wanted = _filters(request)
    search = request.query_params.get("q", "").strip()
    if search.startswith("conv_"):  # an id: straight to it (a 404 there if not the key's)
        return RedirectResponse(f"{BASE}/conversations/{search}", status_code=303)
    contact = _contact(search)
    if contact is not None:  # a phone number (or a username user's id): that contact
        wanted.setdefault("contact", contact)
    elif search:  # else a label, as tenants mark the conversations they look for
        wanted.setdefault("label", search)
    found = await list_conversations(
        request,
        session.principal,
        number_id=wanted.get("number"),
        label=wanted.get("label"),
        external_user_id=wanted.get("user"),
        limit=PAGE_SIZE,
        cursor=wanted.get("cursor"),
        wa_id=wanted.get("contact"),
    )
    kept = {k: v for k, v in wanted.items() if k in FILTERS}
    next_page = None
    if found.next_cursor is not None:
        next_page = f"{BASE}/conversations?{urlencode(kept | {'cursor': found.next_cursor})}"
    numbers = await numbers_of(gateway_of(request), session)
    return render(
        request, "conversations.html", session=session, page=PAGE,
        conversations=found.data, filters={name: kept.get(name, "") for name in FILTERS},
        filtered=bool(kept), search=search, next_page=next_page,
        numbers=numbers, paged=bool(wanted.get("cursor")),
    )  # fmt: skip


async def chat_context(
    request: Request, session: Session, conversation_id: str, before: int | None = None
) -> dict[str, Any]:
    """What the chat page and its live updates draw: the conversation and its messages."""
    detail: ConversationDetail = await get_conversation(conversation_id, request, session.principal)
    tenant_id, app_id = _scope(session.principal)
    rows = await gateway_of(request).store.conversations.messages(
        tenant_id, conversation_id, app_id=app_id, before_seq=before, limit=CHAT_SIZE
    )
    if rows is None:  # gone since the detail was read
        raise NotFound(f"no conversation {conversation_id}")
    older = f"{rows[-1].seq}" if len(rows) == CHAT_SIZE else None
    return {
        "conversation": detail,
        "bubbles": bubbles(rows),
        "older": older,
        "before": before,
    }


def show(
    request: Request,
    session: Session,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A conversation's page; ``extra``: a notice or an error of the last action."""
    conversation_id = context["conversation"].id
    return render(
        request, "conversation.html", session=session, page=PAGE, status_code=status_code,
        stream=f"{BASE}/conversations/{conversation_id}/stream",
        **({"notice": None, "error": None, "typed": ""} | context | extra),
    )  # fmt: skip


async def conversation(request: Request) -> Response:
    session = await page_session(request, PAGE)
    before = seq_cursor(request.query_params.get("before") or None)
    context = await chat_context(request, session, request.path_params["id"], before)
    return show(request, session, context)


async def conversation_stream(request: Request) -> Response:
    session = await page_session(request, PAGE)
    conversation_id = request.path_params["id"]
    await get_conversation(conversation_id, request, session.principal)  # 404 before streaming

    async def produce() -> Fragments:
        again = await current_session(request)  # a revoked key's page stops updating
        context = await chat_context(request, again, conversation_id)
        return {
            name: fragment(f"conversation_{name}.html", base=BASE, **context)
            for name in ("messages", "window")
        }

    return fragment_stream(request, produce)


async def media(request: Request) -> Response:
    """A file of the session's conversations, for the chat's previews: the API's own
    download (its scope, its headers: no sniffing, sandboxed if opened)."""
    session = await page_session(request, PAGE)
    return await download(request.path_params["media_id"], request, session.principal)


routes = [
    Route("/conversations", conversations, methods=["GET"]),
    Route("/conversations/media/{media_id}", media, methods=["GET"]),
    Route("/conversations/{id}", conversation, methods=["GET"]),
    Route("/conversations/{id}/stream", conversation_stream, methods=["GET"]),
]

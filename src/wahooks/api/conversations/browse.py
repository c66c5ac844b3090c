"""Listing and reading conversations and their messages (paged by opaque cursors), and
setting the tenant's own id for the user.
"""

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request

from wahooks.api.base import seq_cursor
from wahooks.api.conversations.models import (
    ConversationDetail,
    ConversationPage,
    ConversationPatch,
    MessageCounts,
    MessagePage,
    _message,
    _note,
    _out,
)
from wahooks.api.conversations.values import (
    MAX_EXTERNAL_ID_CHARS,
    ConversationId,
    PrincipalDep,
    Text,
    _scope,
    check_label,
)
from wahooks.api.error_docs import errors
from wahooks.errors import InvalidRequest, NotFound
from wahooks.gateway import gateway_of
from wahooks.models import (
    Principal,
)

router = APIRouter(prefix="/v1/conversations")


def _conversation_cursor(cursor: str | None) -> tuple[float, str] | None:
    if cursor is None:
        return None
    at, _, conversation_id = cursor.partition("~")
    try:
        moment = float(at)
    except ValueError:
        moment = math.nan
    if not math.isfinite(moment) or not conversation_id.startswith("conv_"):
        raise InvalidRequest("cursor: not a cursor returned by this API")
    return moment, conversation_id


@router.get(
    "",
    operation_id="listConversations",
    response_model=ConversationPage,
    response_model_by_alias=True,
    summary="List conversations",
    responses=errors(400),
)
async def list_conversations(
    request: Request,
    principal: PrincipalDep,
    number_id: Annotated[Text | None, Query(alias="numberId", max_length=100)] = None,
    label: Annotated[str | None, Query(max_length=200, description="Has this label.")] = None,
    external_user_id: Annotated[
        Text | None, Query(alias="externalUserId", max_length=MAX_EXTERNAL_ID_CHARS)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    wa_id: Annotated[
        Text | None,
        Query(alias="waId", max_length=100, description="With this contact (waId as listed)."),
    ] = None,
) -> ConversationPage:
    """Newest activity first (the last message either way). Pass ``nextCursor`` back as
    ``cursor`` for the next page."""
    gateway = gateway_of(request)
    tenant_id, app_id = _scope(principal)
    if label is not None:
        try:
            label = check_label(label)
        except ValueError as exc:
            raise InvalidRequest(f"label: {exc}") from None
    rows = await gateway.store.conversations.page(
        tenant_id,
        app_id=app_id,
        number_id=number_id,
        label=label,
        external_user_id=external_user_id,
        wa_id=wa_id,
        before=_conversation_cursor(cursor),
        limit=limit,
    )
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        activity = last.last_message_at if last.last_message_at is not None else last.created_at
        next_cursor = f"{activity!r}~{last.id}"
    now = gateway.clock()
    return ConversationPage(data=[_out(c, now) for c in rows], next_cursor=next_cursor)


async def _detail(
    request: Request, principal: Principal, conversation_id: str
) -> ConversationDetail:
    gateway = gateway_of(request)
    tenant_id, app_id = _scope(principal)
    found = await gateway.store.conversations.detail(tenant_id, conversation_id, app_id=app_id)
    if found is None:
        raise NotFound(f"no conversation {conversation_id}")
    counts = MessageCounts(
        inbound=found.inbound_count,
        outbound=found.outbound_count,
        total=found.inbound_count + found.outbound_count,
    )
    return ConversationDetail(
        **_out(found, gateway.clock()).model_dump(),
        notes=[_note(n) for n in found.notes],
        message_counts=counts,
    )


@router.get("/{conversationId}", operation_id="getConversation", response_model=ConversationDetail,
            response_model_by_alias=True, summary="Get a conversation",
            responses=errors(404))  # fmt: skip
async def get_conversation(
    conversation_id: ConversationId, request: Request, principal: PrincipalDep
) -> ConversationDetail:
    """The conversation with its labels, notes, 24-hour window and message counts."""
    return await _detail(request, principal, conversation_id)


@router.patch(
    "/{conversationId}",
    operation_id="updateConversation",
    response_model=ConversationDetail,
    response_model_by_alias=True,
    summary="Set the external user id",
    responses=errors(400, 404),
)
async def update_conversation(
    conversation_id: ConversationId,
    body: ConversationPatch,
    request: Request,
    principal: PrincipalDep,
) -> ConversationDetail:
    """Set ``externalUserId`` (your own id for this user, sent as the summary format's
    ``user_id``), or clear it with null."""
    tenant_id, app_id = _scope(principal)
    await gateway_of(request).store.conversations.set_external_user_id(
        tenant_id, conversation_id, body.external_user_id, app_id=app_id
    )
    return await _detail(request, principal, conversation_id)


@router.get(
    "/{conversationId}/messages",
    operation_id="listConversationMessages",
    response_model=MessagePage,
    response_model_by_alias=True,
    summary="List a conversation's messages",
    responses=errors(400, 404),
)
async def list_messages(
    conversation_id: ConversationId,
    request: Request,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """Both directions, newest first: type, text or caption, our copy of a file, and the
    status of what we sent. Pass ``nextCursor`` back as ``cursor`` for older ones."""
    tenant_id, app_id = _scope(principal)
    rows = await gateway_of(request).store.conversations.messages(
        tenant_id, conversation_id, app_id=app_id, before_seq=seq_cursor(cursor), limit=limit
    )
    if rows is None:
        raise NotFound(f"no conversation {conversation_id}")
    next_cursor = str(rows[-1].seq) if len(rows) == limit else None
    return MessagePage(data=[_message(m) for m in rows], next_cursor=next_cursor)

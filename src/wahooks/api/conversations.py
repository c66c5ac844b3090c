"""/v1/conversations: one (number, contact) pair each, with its recent messages, labels,
notes and the tenant's own id for the user (``externalUserId``); they also feed the
``summary`` payload format.

Tenant keys see the tenant's conversations; an App key sees those of its App's numbers.
Anyone else's conversation is answered 404, as one that does not exist.
"""

import math
import unicodedata
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, Field

from wahooks.api.auth import tenant_or_app
from wahooks.api.base import ApiModel, iso
from wahooks.api.error_docs import errors
from wahooks.errors import InvalidRequest, NotFound
from wahooks.formats.summary import message_text
from wahooks.gateway import gateway_of
from wahooks.models import (
    ConversationNote,
    ConversationRecord,
    MessageRecord,
    Principal,
)
from wahooks.send.messenger import SERVICE_WINDOW_S
from wahooks.store.convs_ops import MAX_LABELS

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])
PrincipalDep = Annotated[Principal, Depends(tenant_or_app)]

MAX_LABEL_CHARS = 50
MAX_NOTE_CHARS = 2000
MAX_EXTERNAL_ID_CHARS = 256


def check_label(value: str) -> str:
    """1-50 characters once surrounding spaces are trimmed; no commas (the summary format
    lists labels comma-separated) and no control characters."""
    label = str(storable(value.strip()))
    if not 1 <= len(label) <= MAX_LABEL_CHARS:
        raise ValueError(f"a label is 1-{MAX_LABEL_CHARS} characters (spaces around trimmed)")
    if "," in label:
        raise ValueError("a label may not contain a comma")
    if any(unicodedata.category(c) == "Cc" for c in label):
        raise ValueError("a label may not contain control characters")
    return label


Label = Annotated[str, AfterValidator(check_label)]


def storable(value: str | None) -> str | None:
    """Text the database can hold: no NUL (PostgreSQL's text refuses it) and no lone
    surrogates (JSON may carry them; UTF-8 cannot)."""
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    if any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("must not contain unpaired surrogates (not valid Unicode text)")
    return value


Text = Annotated[str, AfterValidator(storable)]
"""A path, query or body value that goes to the database."""


def _scope(principal: Principal) -> tuple[str, str | None]:
    assert principal.tenant is not None
    return principal.tenant.id, principal.app_id


# --- models -------------------------------------------------------------------------------


class NoteOut(ApiModel):
    id: str
    text: str
    created_at: str | None


class MessageCounts(ApiModel):
    inbound: int
    outbound: int
    total: int


class ConversationOut(ApiModel):
    id: str
    number_id: str
    wa_id: str = Field(description="The contact's WhatsApp id (phone number, digits only).")
    contact_name: str | None = Field(description="The contact's WhatsApp profile name.")
    external_user_id: str | None = Field(description="Your own id for this user, if set.")
    labels: list[str]
    last_inbound_at: str | None = Field(description="The contact's last message.")
    window_open_until: str | None = Field(
        description="End of WhatsApp's 24-hour window for free-form replies; null if the "
        "contact never wrote."
    )
    window_open: bool
    last_message_at: str | None = Field(description="The last message, either direction.")
    created_at: str | None
    activation_id: str | None = Field(description="Pool numbers: the activation routing it.")


class ConversationDetail(ConversationOut):
    notes: list[NoteOut]
    message_counts: MessageCounts


class ConversationPage(ApiModel):
    data: list[ConversationOut]
    next_cursor: str | None


class MediaOut(ApiModel):
    media_id: str | None
    download_url: str | None
    mime_type: str
    file_name: str | None
    byte_size: int
    unavailable: bool


class MessageOut(ApiModel):
    id: str = Field(description="WhatsApp's message id (wamid).")
    direction: str = Field(description="inbound (from the contact) or outbound (sent by us).")
    type: str = Field(description="WhatsApp's message type: text, image, location, ...")
    text: str = Field(description="The text, caption, or what the message is ([image]).")
    caption: str | None
    media: MediaOut | None = Field(description="Inbound files: our stored copy.")
    status: str | None = Field(description="Outbound: accepted, sent, delivered, read, failed.")
    status_at: str | None
    timestamp: str | None = Field(description="When WhatsApp says it was sent.")
    created_at: str | None = Field(description="When the gateway stored it.")


class MessagePage(ApiModel):
    data: list[MessageOut]
    next_cursor: str | None


class LabelsOut(ApiModel):
    labels: list[str]


class LabelsIn(ApiModel):
    labels: list[Label] = Field(
        max_length=MAX_LABELS, description=f"The new labels, at most {MAX_LABELS}."
    )


class LabelIn(ApiModel):
    label: Label = Field(description=f"1-{MAX_LABEL_CHARS} characters, no commas.")


class NoteIn(ApiModel):
    text: Text = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class ConversationPatch(ApiModel):
    external_user_id: Text | None = Field(
        min_length=1,
        max_length=MAX_EXTERNAL_ID_CHARS,
        description="Your own id for this user; null clears it.",
    )


# --- rendering ----------------------------------------------------------------------------


def _out(c: ConversationRecord, now: float) -> ConversationOut:
    window_end = None if c.last_inbound_at is None else c.last_inbound_at + SERVICE_WINDOW_S
    return ConversationOut(
        id=c.id,
        number_id=c.number_id,
        wa_id=c.wa_id,
        contact_name=c.contact_name,
        external_user_id=c.external_user_id,
        labels=list(c.labels),
        last_inbound_at=iso(c.last_inbound_at),
        window_open_until=iso(window_end),
        window_open=window_end is not None and now < window_end,
        last_message_at=iso(c.last_message_at),
        created_at=iso(c.created_at),
        activation_id=c.activation_id,
    )


def _note(n: ConversationNote) -> NoteOut:
    return NoteOut(id=n.id, text=n.text, created_at=iso(n.created_at))


def _message(m: MessageRecord) -> MessageOut:
    content = m.item.get(m.type)
    caption = content.get("caption") if isinstance(content, dict) else None
    media = None
    if m.media is not None:
        ready = not m.media.unavailable and m.media.media_id is not None
        media = MediaOut(
            media_id=m.media.media_id,
            download_url=f"/v1/media/download/{m.media.media_id}" if ready else None,
            mime_type=m.media.mime_type,
            file_name=m.media.file_name,
            byte_size=m.media.byte_size,
            unavailable=not ready,
        )
    return MessageOut(
        id=m.wamid,
        direction="inbound" if m.direction == "in" else "outbound",
        type=m.type,
        text=message_text(m.item),
        caption=str(caption) if caption else None,
        media=media,
        status=m.status,
        status_at=iso(m.status_at),
        timestamp=iso(m.timestamp),
        created_at=iso(m.created_at),
    )


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


def _seq_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    # ASCII digits: str.isdigit() takes "²", which int() refuses (a 500: schemathesis).
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise InvalidRequest("cursor: not a cursor returned by this API")
    return int(cursor)


# --- routes -------------------------------------------------------------------------------


@router.get("", response_model=ConversationPage, response_model_by_alias=True,
            summary="List conversations", responses=errors(400))  # fmt: skip
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
    rows = await gateway.store.list_conversations(
        tenant_id,
        app_id=app_id,
        number_id=number_id,
        label=label,
        external_user_id=external_user_id,
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
    found = await gateway.store.conversation_detail(tenant_id, conversation_id, app_id=app_id)
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


@router.get("/{conversation_id}", response_model=ConversationDetail,
            response_model_by_alias=True, summary="Get a conversation",
            responses=errors(404))  # fmt: skip
async def get_conversation(
    conversation_id: Text, request: Request, principal: PrincipalDep
) -> ConversationDetail:
    """The conversation with its labels, notes, 24-hour window and message counts."""
    return await _detail(request, principal, conversation_id)


@router.patch("/{conversation_id}", response_model=ConversationDetail,
              response_model_by_alias=True, summary="Set the external user id",
              responses=errors(400, 404))  # fmt: skip
async def update_conversation(
    conversation_id: Text, body: ConversationPatch, request: Request, principal: PrincipalDep
) -> ConversationDetail:
    """Set ``externalUserId`` (your own id for this user, sent as the summary format's
    ``user_id``), or clear it with null."""
    tenant_id, app_id = _scope(principal)
    await gateway_of(request).store.set_external_user_id(
        tenant_id, conversation_id, body.external_user_id, app_id=app_id
    )
    return await _detail(request, principal, conversation_id)


@router.get("/{conversation_id}/messages", response_model=MessagePage,
            response_model_by_alias=True, summary="List a conversation's messages",
            responses=errors(400, 404))  # fmt: skip
async def list_messages(
    conversation_id: Text,
    request: Request,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """Both directions, newest first: type, text or caption, our copy of a file, and the
    status of what we sent. Pass ``nextCursor`` back as ``cursor`` for older ones."""
    tenant_id, app_id = _scope(principal)
    rows = await gateway_of(request).store.conversation_messages(
        tenant_id, conversation_id, app_id=app_id, before_seq=_seq_cursor(cursor), limit=limit
    )
    if rows is None:
        raise NotFound(f"no conversation {conversation_id}")
    next_cursor = str(rows[-1].seq) if len(rows) == limit else None
    return MessagePage(data=[_message(m) for m in rows], next_cursor=next_cursor)


@router.put("/{conversation_id}/labels", response_model=LabelsOut,
            response_model_by_alias=True, summary="Replace the labels",
            responses=errors(400, 404))  # fmt: skip
async def replace_labels(
    conversation_id: Text, body: LabelsIn, request: Request, principal: PrincipalDep
) -> LabelsOut:
    """Replace every label (each kept once; at most 20, of 1-50 characters)."""
    tenant_id, app_id = _scope(principal)
    labels = await gateway_of(request).store.change_labels(
        tenant_id, conversation_id, app_id=app_id, replace_with=body.labels
    )
    return LabelsOut(labels=list(labels))


@router.post("/{conversation_id}/labels", response_model=LabelsOut,
             response_model_by_alias=True, summary="Add a label",
             responses=errors(400, 404))  # fmt: skip
async def add_label(
    conversation_id: Text, body: LabelIn, request: Request, principal: PrincipalDep
) -> LabelsOut:
    """Add one label (nothing changes if it is there already); answers every label."""
    tenant_id, app_id = _scope(principal)
    labels = await gateway_of(request).store.change_labels(
        tenant_id, conversation_id, app_id=app_id, add=body.label
    )
    return LabelsOut(labels=list(labels))


@router.delete("/{conversation_id}/labels/{label}", response_model=LabelsOut,
               response_model_by_alias=True, summary="Remove a label",
               responses=errors(404))  # fmt: skip
async def remove_label(
    conversation_id: Text, label: Text, request: Request, principal: PrincipalDep
) -> LabelsOut:
    """Remove one label; 404 if the conversation does not have it. Answers the rest."""
    tenant_id, app_id = _scope(principal)
    labels = await gateway_of(request).store.change_labels(
        tenant_id, conversation_id, app_id=app_id, remove=label.strip()
    )
    return LabelsOut(labels=list(labels))


@router.post("/{conversation_id}/notes", status_code=201, response_model=NoteOut,
             response_model_by_alias=True, summary="Add a note",
             responses=errors(400, 404))  # fmt: skip
async def add_note(
    conversation_id: Text, body: NoteIn, request: Request, principal: PrincipalDep
) -> NoteOut:
    """A note of 1-2000 characters (at most 100 per conversation)."""
    tenant_id, app_id = _scope(principal)
    note = await gateway_of(request).store.add_note(
        tenant_id, conversation_id, body.text, app_id=app_id
    )
    return _note(note)


@router.delete("/{conversation_id}/notes/{note_id}", status_code=204,
               summary="Delete a note", responses=errors(404))  # fmt: skip
async def delete_note(
    conversation_id: Text, note_id: Text, request: Request, principal: PrincipalDep
) -> None:
    """Remove one note of the conversation."""
    tenant_id, app_id = _scope(principal)
    await gateway_of(request).store.delete_note(tenant_id, conversation_id, note_id, app_id=app_id)

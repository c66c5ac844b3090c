"""The JSON of /v1/conversations, and how stored conversations, notes and messages become
it (the 24-hour window is computed here, at read time, from the last inbound message).
"""

from pydantic import Field

from wahooks.api.base import ApiModel, examples, iso
from wahooks.api.conversations.values import (
    MAX_EXTERNAL_ID_CHARS,
    MAX_LABEL_CHARS,
    MAX_NOTE_CHARS,
    Label,
    Text,
)
from wahooks.formats.summary import message_text
from wahooks.models import (
    ConversationNote,
    ConversationRecord,
    MessageRecord,
)
from wahooks.send.messenger import SERVICE_WINDOW_S
from wahooks.store.convs_ops import MAX_LABELS


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
    wa_id: str = Field(
        description="Whom replies go to: the contact's phone number (digits only), or its "
        "business-scoped user id when Meta withholds the number (a username user)."
    )
    is_group: bool = Field(
        False, description="A WhatsApp group's conversation: waId is the group id."
    )
    user_id: str | None = Field(
        None,
        description="The contact's business-scoped user id (BSUID), once Meta sent one; "
        "the conversation follows it across phone-number changes.",
    )
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
    model_config = ApiModel.model_config | examples({"labels": ["vip", "billing"]})

    labels: list[Label] = Field(
        max_length=MAX_LABELS, description=f"The new labels, at most {MAX_LABELS}."
    )


class LabelIn(ApiModel):
    model_config = ApiModel.model_config | examples({"label": "vip"})

    label: Label = Field(description=f"1-{MAX_LABEL_CHARS} characters, no commas.")


class NoteIn(ApiModel):
    model_config = ApiModel.model_config | examples(
        {"text": "Asked for a refund of order 1042; call back on Monday."}
    )

    text: Text = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class ConversationPatch(ApiModel):
    model_config = ApiModel.model_config | examples({"externalUserId": "crm-customer-48213"})

    external_user_id: Text | None = Field(
        min_length=1,
        max_length=MAX_EXTERNAL_ID_CHARS,
        description="Your own id for this user; null clears it.",
    )


def _out(c: ConversationRecord, now: float) -> ConversationOut:
    window_end = None if c.last_inbound_at is None else c.last_inbound_at + SERVICE_WINDOW_S
    return ConversationOut(
        id=c.id,
        number_id=c.number_id,
        wa_id=c.wa_id,
        user_id=c.user_id,
        is_group=c.is_group,
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

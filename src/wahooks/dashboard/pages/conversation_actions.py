"""What a conversation's page does: replace its labels, add or delete a note, and reply
with a text or a file.

Labels and notes are the REST API's own route functions (``api/conversations``). A reply
is ``POST /v1/messages/send``'s route function, so the 24-hour window, the activation and
the App scope are checked as there. A tenant key's file is first stored as ``POST /v1/media``
stores one (the media intake, with WhatsApp's size limit for its type) and then sent by its
id; an App key, which ``POST /v1/media`` does not take, sends it inline as base64, as it
may through the API (up to ``WAHOOKS_MEDIA_INLINE_MAX_BYTES``).
"""

import base64
from collections.abc import AsyncIterator

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.api.conversations.annotations import add_note, delete_note, replace_labels
from wahooks.api.conversations.models import LabelsIn, NoteIn
from wahooks.api.errors import status_of
from wahooks.api.messages import SendIn, send_message
from wahooks.api.upload import checked_file_name, file_mime_type
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session
from wahooks.dashboard.pages.conversations import PAGE, chat_context, show
from wahooks.dashboard.sessions import Session
from wahooks.errors import InvalidRequest, PayloadTooLarge, WahooksError
from wahooks.gateway import gateway_of
from wahooks.models import KeyKind, MediaRecord

CHUNK_BYTES = 64 * 1024
# Refusals of a send shown on the page rather than as an error page: the person fixes the
# reply (or sees that the window closed) and tries again.
SHOWN_STATUSES = (400, 404, 409, 410, 413, 422, 502)


async def _again(
    request: Request, session: Session, *, status_code: int = 200, **extra: object
) -> Response:
    context = await chat_context(request, session, request.path_params["id"])
    return show(request, session, context, status_code=status_code, **extra)


async def set_labels(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    typed = forms.text(form, "labels") or ""
    labels = [part.strip() for part in typed.split(",") if part.strip()]
    try:
        body = forms.build(LabelsIn, {"labels": labels})
        await replace_labels(request.path_params["id"], body, request, session.principal)
    except InvalidRequest as refused:
        return await _again(request, session, status_code=400, error=refused.message)
    return await _again(request, session, notice="Labels saved.")


async def new_note(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = forms.build(NoteIn, {"text": forms.text(form, "text")})
        await add_note(request.path_params["id"], body, request, session.principal)
    except InvalidRequest as refused:
        return await _again(request, session, status_code=400, error=refused.message)
    return await _again(request, session, notice="Note added.")


async def remove_note(request: Request) -> Response:
    session = await page_session(request, PAGE)
    await checked_form(request, session)
    params = request.path_params
    await delete_note(params["id"], params["note_id"], request, session.principal)
    return await _again(request, session, notice="Note deleted.")


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def _stored(request: Request, session: Session, upload: UploadFile) -> MediaRecord:
    """The uploaded file kept as POST /v1/media keeps one (refused past its type's limit)."""
    assert session.tenant is not None
    name = checked_file_name(upload.filename)
    return await gateway_of(request).intake.save(
        session.tenant.id,
        _chunks(upload),
        mime_type=file_mime_type(None, upload.content_type, name),
        file_name=name,
    )


async def _inline(request: Request, upload: UploadFile) -> str:
    """An App key's file as the base64 a send body carries; too large past the inline
    limit (read no further than that)."""
    limit = gateway_of(request).settings.media_inline_max_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"file: over {limit} bytes, the most an App key sends inline")
    return base64.b64encode(data).decode()


async def _file_body(
    request: Request,
    session: Session,
    conversation_id: str,
    upload: UploadFile,
    caption: str | None,
) -> tuple[SendIn, MediaRecord | None]:
    """The send body of a file reply, and the file stored for it (None: sent inline)."""
    fields: dict[str, object] = {"conversationId": conversation_id, "caption": caption}
    if session.kind is KeyKind.APP:
        name = checked_file_name(upload.filename)
        fields |= {
            "media": await _inline(request, upload),
            "mimeType": file_mime_type(None, upload.content_type, name),
            "fileName": name,
        }
        return forms.build(SendIn, fields), None
    record = await _stored(request, session, upload)
    fields |= {"media": record.id, "fileName": record.file_name}
    try:
        return forms.build(SendIn, fields), record
    except InvalidRequest:  # a caption too long: keep nothing
        await gateway_of(request).intake.discard(record)
        raise


async def reply(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    conversation_id = request.path_params["id"]
    text = forms.text(form, "text")
    upload = form.get("file")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    record = None
    try:
        if has_file:
            assert isinstance(upload, UploadFile)
            body, record = await _file_body(request, session, conversation_id, upload, text)
        else:
            body = forms.build(SendIn, {"conversationId": conversation_id, "text": text})
        sent = await send_message(body, request, session.principal)
    except WahooksError as refused:
        status = status_of(refused)
        if status not in SHOWN_STATUSES:
            raise
        if record is not None:  # stored for a send that did not happen: keep nothing
            await gateway_of(request).intake.discard(record)
        return await _again(
            request, session, status_code=status, error=refused.message,
            typed=text or "",
        )  # fmt: skip
    return await _again(request, session, notice=f"Sent ({sent.message_id}).")


routes = [
    Route("/conversations/{id}/labels", set_labels, methods=["POST"]),
    Route("/conversations/{id}/notes", new_note, methods=["POST"]),
    Route("/conversations/{id}/notes/{note_id}/delete", remove_note, methods=["POST"]),
    Route("/conversations/{id}/reply", reply, methods=["POST"]),
]

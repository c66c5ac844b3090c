"""POST /v1/media: upload a file to send later, by the media id this answers with.

multipart/form-data with one ``file`` part; optional ``mimeType`` and ``fileName`` fields
before it override the part's own Content-Type and file name. The file is streamed into the
blob store and kept like a received one (48 hours by default).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from wahooks.api.auth import current_tenant
from wahooks.api.base import ApiModel, iso
from wahooks.api.errors import error_responses
from wahooks.api.multipart import PartStart, field_text, multipart_events, part_bytes
from wahooks.errors import InvalidRequest
from wahooks.gateway import gateway_of
from wahooks.media.intake import OCTET_STREAM, guess_mime
from wahooks.media.kinds import base_mime, check_mime
from wahooks.models import MediaRecord, Tenant

router = APIRouter(prefix="/v1/media", tags=["media"])
MAX_FILE_NAME_CHARS = 240
_FIELDS = ("mimeType", "fileName")


class UploadOut(ApiModel):
    media_id: str = Field(
        description="21 characters; send it as `media` in POST /v1/messages/send."
    )
    mime_type: str
    byte_size: int
    file_name: str | None
    expires_at: str | None = Field(description="When the file is removed (ISO 8601).")


def file_mime_type(given: str | None, content_type: str | None, file_name: str | None) -> str:
    """An uploaded file's type: the one given, else the part's own (unless it is only
    octet-stream), else guessed from its name (also for the dashboard's file replies)."""
    if given:
        return check_mime(given)
    if content_type and base_mime(content_type) != OCTET_STREAM:
        return check_mime(content_type)
    return guess_mime(file_name) or OCTET_STREAM


def checked_file_name(name: str | None) -> str | None:
    """An uploaded file's name as we keep it; InvalidRequest past 240 characters or with NUL."""
    name = name or None
    if name is not None and len(name) > MAX_FILE_NAME_CHARS:
        raise InvalidRequest(f"fileName: at most {MAX_FILE_NAME_CHARS} characters")
    if name is not None and "\x00" in name:  # PostgreSQL text cannot hold it
        raise InvalidRequest("fileName: must not contain NUL (\\u0000) characters")
    return name


def _mime_type(fields: dict[str, str], part: PartStart) -> str:
    return file_mime_type(fields.get("mimeType"), part.content_type, part.file_name)


def _file_name(fields: dict[str, str], part: PartStart) -> str | None:
    return checked_file_name(fields.get("fileName") or part.file_name)


@router.post(
    "",
    operation_id="uploadMedia",
    status_code=201,
    response_model=UploadOut,
    response_model_by_alias=True,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "mimeType": {"type": "string", "description": "Before `file`."},
                            "fileName": {"type": "string", "description": "Before `file`."},
                            "file": {"type": "string", "format": "binary"},
                        },
                    },
                    # A file's bytes cannot be shown: the example names the part's fields.
                    "example": {
                        "mimeType": "image/jpeg",
                        "fileName": "receipt-1042.jpg",
                        "file": "(the JPEG's bytes)",
                    },
                }
            },
        }
    },
    summary="Upload a file",
    responses=error_responses(
        {
            400: "invalid_request: not multipart, no file part, a bad MIME type or field.",
            413: "payload_too_large: over WhatsApp's size limit for the file's type (named).",
        }
    ),
)
async def upload(request: Request, tenant: Annotated[Tenant, Depends(current_tenant)]) -> UploadOut:
    """Store a file (streamed) to send later by its `mediaId`; WhatsApp's per-type size
    limits apply. It expires like a received file (48 hours by default)."""
    gateway = gateway_of(request)
    fields: dict[str, str] = {}
    record: MediaRecord | None = None
    events = multipart_events(request)
    try:
        async for event in events:
            if not isinstance(event, PartStart):
                continue
            if record is not None:
                raise InvalidRequest("multipart: the file must be the last part")
            if event.name == "file":
                record = await gateway.intake.save(
                    tenant.id,
                    part_bytes(events),
                    mime_type=_mime_type(fields, event),
                    file_name=_file_name(fields, event),
                )
            elif event.name in _FIELDS:
                fields[event.name] = await field_text(events)
            else:
                raise InvalidRequest(
                    f"multipart: unknown field {event.name!r}; expected file, mimeType, fileName"
                )
    except BaseException:
        if record is not None:  # refused after all: keep nothing
            await gateway.intake.discard(record)
        raise
    if record is None:
        raise InvalidRequest("multipart: no `file` part")
    return UploadOut(
        media_id=record.id,
        mime_type=record.mime_type,
        byte_size=record.byte_size,
        file_name=record.file_name,
        expires_at=iso(record.expires_at),
    )

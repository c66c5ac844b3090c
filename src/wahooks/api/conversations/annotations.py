"""A conversation's labels and notes: the tenant's own marks on it, which the summary
format sends along with each message.
"""

from fastapi import APIRouter, Request

from wahooks.api.conversations.models import LabelIn, LabelsIn, LabelsOut, NoteIn, NoteOut, _note
from wahooks.api.conversations.values import ConversationId, NoteId, PrincipalDep, Text, _scope
from wahooks.api.error_docs import errors
from wahooks.gateway import gateway_of

router = APIRouter(prefix="/v1/conversations")


@router.put(
    "/{conversationId}/labels",
    operation_id="replaceConversationLabels",
    response_model=LabelsOut,
    response_model_by_alias=True,
    summary="Replace the labels",
    responses=errors(400, 404),
)
async def replace_labels(
    conversation_id: ConversationId, body: LabelsIn, request: Request, principal: PrincipalDep
) -> LabelsOut:
    """Replace every label (each kept once; at most 20, of 1-50 characters)."""
    tenant_id, app_id = _scope(principal)
    labels = await gateway_of(request).store.conversations.change_labels(
        tenant_id, conversation_id, app_id=app_id, replace_with=body.labels
    )
    return LabelsOut(labels=list(labels))


@router.post(
    "/{conversationId}/labels",
    operation_id="addConversationLabel",
    response_model=LabelsOut,
    response_model_by_alias=True,
    summary="Add a label",
    responses=errors(400, 404),
)
async def add_label(
    conversation_id: ConversationId, body: LabelIn, request: Request, principal: PrincipalDep
) -> LabelsOut:
    """Add one label (nothing changes if it is there already); answers every label."""
    tenant_id, app_id = _scope(principal)
    labels = await gateway_of(request).store.conversations.change_labels(
        tenant_id, conversation_id, app_id=app_id, add=body.label
    )
    return LabelsOut(labels=list(labels))


@router.delete(
    "/{conversationId}/labels/{label}",
    operation_id="removeConversationLabel",
    response_model=LabelsOut,
    response_model_by_alias=True,
    summary="Remove a label",
    responses=errors(404),
)
async def remove_label(
    conversation_id: ConversationId, label: Text, request: Request, principal: PrincipalDep
) -> LabelsOut:
    """Remove one label; 404 if the conversation does not have it. Answers the rest."""
    tenant_id, app_id = _scope(principal)
    labels = await gateway_of(request).store.conversations.change_labels(
        tenant_id, conversation_id, app_id=app_id, remove=label.strip()
    )
    return LabelsOut(labels=list(labels))


@router.post(
    "/{conversationId}/notes",
    operation_id="addConversationNote",
    status_code=201,
    response_model=NoteOut,
    response_model_by_alias=True,
    summary="Add a note",
    responses=errors(400, 404),
)
async def add_note(
    conversation_id: ConversationId, body: NoteIn, request: Request, principal: PrincipalDep
) -> NoteOut:
    """A note of 1-2000 characters (at most 100 per conversation)."""
    tenant_id, app_id = _scope(principal)
    note = await gateway_of(request).store.conversations.add_note(
        tenant_id, conversation_id, body.text, app_id=app_id
    )
    return _note(note)


@router.delete(
    "/{conversationId}/notes/{noteId}",
    operation_id="deleteConversationNote",
    status_code=204,
    summary="Delete a note",
    responses=errors(404),
)
async def delete_note(
    conversation_id: ConversationId, note_id: NoteId, request: Request, principal: PrincipalDep
) -> None:
    """Remove one note of the conversation."""
    tenant_id, app_id = _scope(principal)
    await gateway_of(request).store.conversations.delete_note(
        tenant_id, conversation_id, note_id, app_id=app_id
    )

"""What a conversation's labels, notes and ids may hold, checked before they reach the
database (PostgreSQL's text takes neither NUL nor lone surrogates; the summary format
lists labels comma-separated), and whose conversations a key sees.
"""

import unicodedata
from typing import Annotated

from fastapi import Depends, Path
from pydantic import AfterValidator

from wahooks.api.auth import tenant_or_app
from wahooks.models import (
    Principal,
)

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
# Path parameters, camelCase in the URL like every path parameter of the API.
ConversationId = Annotated[Text, Path(alias="conversationId")]
NoteId = Annotated[Text, Path(alias="noteId")]


def _scope(principal: Principal) -> tuple[str, str | None]:
    assert principal.tenant is not None
    return principal.tenant.id, principal.app_id

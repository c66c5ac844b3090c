"""/v1/activations: bind a WhatsApp user to this tenant on a shared pool number.

A tenant asks for an activation on a pool number and gets a one-time code (8 characters,
shown as ``ABCD-EFGH``, valid 15 minutes by default, stored only hashed). The WhatsApp user
who sends that code to the number is bound to the tenant on that number: their later
messages reach the tenant, with the activation's label, until the activation is deactivated.
The code message itself is answered by the gateway, not delivered. A sender is activated for
at most one tenant per pool number.
"""

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AfterValidator, Field

from wahooks.api.auth import current_tenant
from wahooks.api.base import ApiModel, examples, iso
from wahooks.api.errors import error_responses
from wahooks.errors import Conflict, InvalidRequest, NotFound, TooManyPending
from wahooks.gateway import gateway_of
from wahooks.ids import new_id
from wahooks.models import Tenant
from wahooks.pool.codes import code_hash, new_code
from wahooks.store import Duplicate
from wahooks.store.activation_ops import Activation

router = APIRouter(prefix="/v1/activations", tags=["activations"])

Label = Annotated[str, Field(min_length=1, max_length=100)]
State = Literal["pending", "active", "deactivated", "expired"]
CODE_DRAWS = 5  # a code this number had before is drawn again (vanishingly rare)


def _no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL: refused up front (400), on both databases."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


ActivationId = Annotated[
    str,
    Path(alias="activationId", min_length=1, max_length=100, description="The activation (act_…)."),
    AfterValidator(_no_nul),
]


class ActivationIn(ApiModel):
    model_config = ApiModel.model_config | examples(
        {"numberId": "num_8Jd2kQ4xLp7Vz1mN3bR5t", "label": "work"}
    )

    number_id: str = Field(min_length=1, max_length=100, description="The pool number (num_…).")
    label: Label | None = Field(
        None, description="Sent with this activation's messages (pipes.label, data.label)."
    )


class ActivationPatch(ApiModel):
    model_config = ApiModel.model_config | examples({"label": "personal"})

    label: Label | None = Field(description="The new label; null removes it.")


class ActivationOut(ApiModel):
    id: str
    number_id: str
    display_phone_number: str = Field(description="The pool number as people dial it.")
    state: State = Field(
        description="pending (code not used yet), active (a sender is bound), deactivated, "
        "or expired (the code was not used in time, or was cancelled)."
    )
    label: str | None
    wa_id: str | None = Field(description="The bound sender's WhatsApp id, once active.")
    conversation_id: str | None = Field(
        description="The bound sender's conversation (conv_…), once active."
    )
    expires_at: str | None = Field(description="When the code stops working.")
    activated_at: str | None
    deactivated_at: str | None
    created_at: str | None
    updated_at: str | None


class NewActivationOut(ActivationOut):
    code: str = Field(description="The one-time code: shown only in this answer.")
    instructions: str = Field(description="What the WhatsApp user does with the code.")
    link: str = Field(description="A wa.me link that opens the chat with the code typed in.")


def _fields(a: Activation) -> dict[str, Any]:
    return {
        "id": a.id,
        "number_id": a.number_id,
        "display_phone_number": _plus(a.display_phone_number),
        "state": a.state,
        "label": a.label,
        "wa_id": a.wa_id,
        "conversation_id": a.conversation_id,
        "expires_at": iso(a.code_expires_at),
        "activated_at": iso(a.activated_at),
        "deactivated_at": iso(a.deactivated_at),
        "created_at": iso(a.created_at),
        "updated_at": iso(a.updated_at),
    }


def _plus(number: str) -> str:
    return number if number.startswith("+") else "+" + number


def _out(a: Activation) -> ActivationOut:
    return ActivationOut(**_fields(a))


async def _get(request: Request, tenant: Tenant, activation_id: str) -> Activation:
    found = await gateway_of(request).store.activations.get(tenant.id, activation_id)
    if found is None:
        raise NotFound(f"no activation {activation_id}")
    return found


TenantDep = Annotated[Tenant, Depends(current_tenant)]


@router.post(
    "",
    operation_id="createActivation",
    status_code=201,
    response_model=NewActivationOut,
    response_model_by_alias=True,
    summary="Request an activation code",
    responses=error_responses(
        {
            400: "invalid_request: numberId names no number, or a dedicated one (activations "
            "are for pool numbers), or the label is not 1-100 characters.",
            403: "forbidden: not a tenant key.",
            409: "too_many_pending: the tenant holds the most unexpired codes allowed.",
        }
    ),
)
async def create_activation(
    body: ActivationIn, request: Request, tenant: TenantDep
) -> NewActivationOut:
    """Start activating a pool number: the answer holds a one-time code (shown only here)
    that the WhatsApp user sends to the number. Once they do, the activation is active and
    their messages reach this tenant."""
    gateway = gateway_of(request)
    settings = gateway.settings
    number = await gateway.store.numbers.get(tenant.id, body.number_id)
    if number is None:
        raise InvalidRequest(f"numberId: no number {body.number_id}")
    if number.kind != "pool":
        raise InvalidRequest(
            f"numberId: {number.id} is a dedicated number; activations are for pool numbers "
            "(a dedicated number's messages reach its owner without one)"
        )
    for _ in range(CODE_DRAWS):
        code = new_code()
        try:
            activation = await gateway.store.activations.create(
                new_id("act"),
                tenant.id,
                number.id,
                code_hash(number.id, code),
                body.label,
                ttl_s=settings.activation_code_ttl_s,
                max_pending=settings.activation_max_pending,
            )
        except Duplicate:
            continue
        except TooManyPending as exc:
            raise Conflict(
                f"{exc}: at most {settings.activation_max_pending} unexpired codes at once; "
                "use or cancel (DELETE) one first",
                code="too_many_pending",
            ) from exc
        break
    else:  # pragma: no cover - five collisions in a 31^8 space
        raise Conflict("could not draw a fresh code; try again", code="code_collision")
    phone = _plus(number.display_phone_number)
    minutes = round(settings.activation_code_ttl_s / 60)
    return NewActivationOut(
        **_fields(activation),
        code=code,
        instructions=f"From the WhatsApp account to activate, send {code} to {phone} "
        f"within {minutes} minutes. The code works once.",
        link=f"https://wa.me/{phone.lstrip('+')}?text={quote(code)}",
    )


@router.get(
    "",
    operation_id="listActivations",
    response_model=list[ActivationOut],
    response_model_by_alias=True,
    summary="List activations",
    responses=error_responses({403: "forbidden: not a tenant key."}),
)
async def list_activations(
    request: Request,
    tenant: TenantDep,
    state: Annotated[State | None, Query(description="Only activations in this state.")] = None,
    number_id: Annotated[
        str | None,
        Query(alias="numberId", min_length=1, max_length=100, description="Only this number's."),
        AfterValidator(_no_nul),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> list[ActivationOut]:
    """This tenant's activations, newest first (never their codes)."""
    found = await gateway_of(request).store.activations.of_tenant(
        tenant.id, state=state, number_id=number_id, limit=limit
    )
    return [_out(a) for a in found]


@router.get(
    "/{activationId}",
    operation_id="getActivation",
    response_model=ActivationOut,
    response_model_by_alias=True,
    summary="Get an activation",
    responses=error_responses(
        {403: "forbidden: not a tenant key.", 404: "not_found: no such activation here."}
    ),
)
async def get_activation(
    activation_id: ActivationId, request: Request, tenant: TenantDep
) -> ActivationOut:
    """One activation: its state, and the bound sender (waId) once active. The code is never
    shown again."""
    return _out(await _get(request, tenant, activation_id))


@router.patch(
    "/{activationId}",
    operation_id="updateActivation",
    response_model=ActivationOut,
    response_model_by_alias=True,
    summary="Change an activation's label",
    responses=error_responses(
        {
            400: "invalid_request: the label is not 1-100 characters, or an unknown field.",
            403: "forbidden: not a tenant key.",
            404: "not_found: no such activation here.",
        }
    ),
)
async def update_activation(
    activation_id: ActivationId, body: ActivationPatch, request: Request, tenant: TenantDep
) -> ActivationOut:
    """Set or remove (null) the label; messages delivered from now on carry the new one."""
    updated = await gateway_of(request).store.activations.label(
        tenant.id, activation_id, body.label
    )
    if updated is None:
        raise NotFound(f"no activation {activation_id}")
    return _out(updated)


@router.delete(
    "/{activationId}",
    operation_id="deactivateActivation",
    response_model=ActivationOut,
    response_model_by_alias=True,
    summary="Deactivate an activation",
    responses=error_responses(
        {403: "forbidden: not a tenant key.", 404: "not_found: no such activation here."}
    ),
)
async def deactivate_activation(
    activation_id: ActivationId, request: Request, tenant: TenantDep
) -> ActivationOut:
    """Deactivate: the sender's later messages reach nobody (they get a reply saying so),
    and their conversation can no longer be written to. A pending activation's code stops
    working (state expired). Deactivating again changes nothing."""
    done = await gateway_of(request).store.activations.deactivate(tenant.id, activation_id)
    if done is None:
        raise NotFound(f"no activation {activation_id}")
    return _out(done)

"""What every destination route checks first: the destination is the caller's (an App key
sees only its App's), and the number or activation it names is the tenant's.
"""

from typing import Annotated, Any

from fastapi import Depends, Path

from wahooks.api.app_scope import app_scope, tenant_or_own_app
from wahooks.errors import InvalidRequest, NotFound
from wahooks.gateway import Gateway
from wahooks.models import (
    Destination,
    Tenant,
)


async def _check_number(gateway: Gateway, tenant: Tenant, number_id: str | None) -> None:
    if number_id is not None and await gateway.store.numbers.get(tenant.id, number_id) is None:
        raise InvalidRequest(f"numberId: no number {number_id}")


async def _check_activation(
    gateway: Gateway, tenant: Tenant, activation_id: str | None, app_id: str | None
) -> None:
    """``app_id``: the App the destination belongs to, if any. Activations are the tenant's
    own, on pool numbers; an App's destination serves its dedicated numbers only."""
    if activation_id is not None and app_id is not None:
        raise InvalidRequest(
            "activationId: an App's destination receives its own numbers' messages; "
            "activations belong to the tenant's pool numbers"
        )
    if (
        activation_id is not None
        and await gateway.store.activations.get(tenant.id, activation_id) is None
    ):
        raise InvalidRequest(f"activationId: no activation {activation_id}")


async def _get(gateway: Gateway, tenant: Tenant, destination_id: str) -> Destination:
    destination = await gateway.store.destinations.get(tenant.id, destination_id)
    if destination is None or app_scope(tenant) not in (None, destination.app_id):
        raise NotFound(f"no destination {destination_id}")
    return destination


# The path parameter, camelCase in the URL like every path parameter of the API.
DestinationId = Annotated[str, Path(alias="destinationId")]
# A tenant key, or an App key (which sees only its App's destinations).
TenantDep = Annotated[Tenant, Depends(tenant_or_own_app)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "not_found: no such destination for this tenant."}
}
INVALID = "invalid_request: a field is missing or not valid; the message names it."

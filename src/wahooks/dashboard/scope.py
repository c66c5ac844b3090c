"""What a session's key may see, as the REST API scopes it: a tenant key its tenant's
resources, an App key its App's (``api.app_scope``), the operator every number. A resource
outside the scope is NotFound (404), never Forbidden: its existence is not told."""

from wahooks.api.app_scope import app_scope
from wahooks.dashboard.sessions import Session
from wahooks.errors import Forbidden
from wahooks.gateway import Gateway
from wahooks.models import Destination, Number, Tenant


def tenant_of(session: Session) -> Tenant:
    """The session's tenant (an App key's: its AppTenant); Forbidden for the operator."""
    if session.tenant is None:
        raise Forbidden("this page shows a tenant's resources: sign in with a tenant key")
    return session.tenant


async def destinations_of(gateway: Gateway, session: Session) -> list[Destination]:
    """The destinations the key sees, oldest first (as GET /v1/destinations lists them)."""
    if session.tenant is None:
        return []
    scope = app_scope(session.tenant)
    found = await gateway.store.destinations.of_tenant(session.tenant.id)
    return [d for d in found if scope in (None, d.app_id)]


async def numbers_of(gateway: Gateway, session: Session) -> list[Number]:
    """The numbers the key sees, as GET /v1/numbers lists them: the operator every number,
    a tenant its own and the pool numbers, an App its own."""
    store = gateway.store
    if session.tenant is None:
        return await store.numbers.all()
    app_id = app_scope(session.tenant)
    if app_id is None:
        return await store.numbers.of_tenant(session.tenant.id)
    return [n.number for n in await store.apps.numbers(session.tenant.id, app_id, window_s=0)]

"""Apps: a tenant's applications, their key, their numbers and their destinations.

Operations (see base.py): generators of named queries (store/sql/apps.sql), driven by
a connector inside a transaction or a read.
"""

from wahooks.models import App, AppNumber, Conversation, Destination, Number
from wahooks.secrets import Keyring
from wahooks.store import convs_ops, number_ops
from wahooks.store import destination_ops as dest_ops
from wahooks.store.base import Duplicate, Execute, FetchAll, FetchOne, Operation, Row


def _app(row: Row) -> App:
    return App(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        slug=row["slug"],
        key_prefix=row["key_prefix"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def create_app(app: App, key_hash: str, socket: Destination, keyring: Keyring) -> Operation[App]:
    """The App, with its socket destination (its WebSocket connections' queue)."""
    taken = yield FetchOne("app_slug_taken", {"slug": app.slug})
    if taken is not None:
        raise Duplicate(f"slug {app.slug} is taken")
    yield Execute(
        "insert_app",
        {
            "id": app.id,
            "tenant_id": app.tenant_id,
            "name": app.name,
            "slug": app.slug,
            "key_prefix": app.key_prefix,
            "key_hash": key_hash,
            "now": app.created_at,
        },
    )
    yield from dest_ops.create_destination(socket, keyring)
    yield Execute("app_socket_waits", {"id": socket.id})
    return app


def app_by_id(tenant_id: str, app_id: str) -> Operation[App | None]:
    row = yield FetchOne("app_by_id", {"id": app_id, "tenant_id": tenant_id})
    return None if row is None else _app(row)


def apps_of_tenant(tenant_id: str) -> Operation[list[App]]:
    rows = yield FetchAll("apps_of_tenant", {"tenant_id": tenant_id})
    return [_app(r) for r in rows]


def rename_app(tenant_id: str, app_id: str, name: str, now: float) -> Operation[App | None]:
    yield Execute("rename_app", {"id": app_id, "tenant_id": tenant_id, "name": name, "now": now})
    return (yield from app_by_id(tenant_id, app_id))


def set_app_key(
    tenant_id: str, app_id: str, key_prefix: str, key_hash: str, now: float
) -> Operation[App | None]:
    changed = yield Execute(
        "set_app_key",
        {
            "id": app_id,
            "tenant_id": tenant_id,
            "key_prefix": key_prefix,
            "key_hash": key_hash,
            "now": now,
        },
    )
    if not changed:
        return None
    return (yield from app_by_id(tenant_id, app_id))


def delete_app(tenant_id: str, app_id: str, now: float) -> Operation[bool]:
    """Soft-delete an App without live numbers: its key stops working, its destinations
    are deleted and what they still had to deliver is failed (reason app_deleted)."""
    changed = yield Execute("delete_app", {"id": app_id, "tenant_id": tenant_id, "now": now})
    if not changed:
        return False
    yield Execute("fail_app_deliveries", {"app_id": app_id, "now": now})
    yield Execute("delete_app_destinations", {"app_id": app_id, "now": now})
    return True


def numbers_of_apps(
    tenant_id: str, app_id: str | None, window_start: float, keyring: Keyring
) -> Operation[list[AppNumber]]:
    rows = yield FetchAll(
        "numbers_of_apps",
        {"tenant_id": tenant_id, "app_id": app_id, "window_start": window_start},
    )
    return [
        AppNumber(
            number=number_ops.number_from_row(r, keyring),
            active_conversations=int(r["active_conversations"]),
        )
        for r in rows
    ]


def number_of_app(app_id: str, number_id: str, keyring: Keyring) -> Operation[Number | None]:
    row = yield FetchOne("number_of_app", {"id": number_id, "app_id": app_id})
    return None if row is None else number_ops.number_from_row(row, keyring)


def conversation_with(
    tenant_id: str, number_id: str, wa_id: str, keyring: Keyring
) -> Operation[Conversation | None]:
    """The tenant's conversation with ``wa_id`` on a number, if there is one."""
    row = yield FetchOne(
        "conversation_by_contact",
        {"tenant_id": tenant_id, "number_id": number_id, "wa_id": wa_id},
    )
    if row is None:
        return None
    return (yield from convs_ops.conversation_by_id(tenant_id, row["id"], keyring))


def media_of_app(app_id: str, media_id: str) -> Operation[bool]:
    row = yield FetchOne("media_of_app", {"id": media_id, "app_id": app_id})
    return row is not None


def socket_connected(app_id: str, now: float) -> Operation[None]:
    yield Execute("app_socket_connected", {"app_id": app_id, "now": now})

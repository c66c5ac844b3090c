"""Operations of tenants, API keys, operator keys, number management, number health and
secrets at rest (see base.py for how operations work). Secrets cross this boundary in
plaintext on the model side and encrypted on the database side: the keyring is passed in."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wahooks.errors import LastKey
from wahooks.ids import new_id
from wahooks.models import (
    KeyRecord,
    Number,
    Tenant,
)
from wahooks.secrets import Keyring, hash_verify_token
from wahooks.store.alert_ops import queue_alert
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row
from wahooks.store.number_ops import number_from_row
from wahooks.times import iso_time


def _key(row: Row) -> KeyRecord:
    return KeyRecord(
        id=row["id"],
        prefix=row["prefix"],
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


# --- tenants and their keys --------------------------------------------------------------


def list_tenants() -> Operation[list[Tenant]]:
    rows = yield FetchAll("list_tenants")
    return [tenant_from_row(r) for r in rows]


def tenant_from_row(row: Row) -> Tenant:
    return Tenant(
        id=row["id"], name=row["name"], created_at=row["created_at"],
        alert_email=row["alert_email"], alert_webhook_url=row["alert_webhook_url"],
    )  # fmt: skip


def add_api_key(
    tenant_id: str, prefix: str, key_hash: str, label: str | None, now: float
) -> Operation[KeyRecord]:
    key_id = new_id("key")
    yield Execute(
        "insert_labeled_api_key",
        {
            "id": key_id,
            "tenant_id": tenant_id,
            "prefix": prefix,
            "key_hash": key_hash,
            "label": label,
            "now": now,
        },
    )
    return KeyRecord(id=key_id, prefix=prefix, label=label, created_at=now, revoked_at=None)


def api_keys_of_tenant(tenant_id: str) -> Operation[list[KeyRecord]]:
    rows = yield FetchAll("api_keys_of_tenant", {"tenant_id": tenant_id})
    return [_key(r) for r in rows]


def revoke_api_key(
    tenant_id: str, key_id: str, now: float, *, keep_one: bool
) -> Operation[KeyRecord | None]:
    """The key, revoked (already revoked: as it was); None: no such key of this tenant.
    ``keep_one``: LastKey rather than revoke the tenant's last live key."""
    live = yield FetchAll("lock_live_api_keys", {"tenant_id": tenant_id})
    row = yield FetchOne("api_key_of_tenant", {"id": key_id, "tenant_id": tenant_id})
    if row is None:
        return None
    if row["revoked_at"] is not None:
        return _key(row)
    if keep_one and [r["id"] for r in live] == [key_id]:
        raise LastKey(key_id)
    yield Execute("revoke_api_key", {"id": key_id, "tenant_id": tenant_id, "now": now})
    row = yield FetchOne("api_key_of_tenant", {"id": key_id, "tenant_id": tenant_id})
    return _key(row)


# --- operator keys -------------------------------------------------------------------


def list_operator_keys() -> Operation[list[KeyRecord]]:
    rows = yield FetchAll("list_operator_keys")
    return [_key(r) for r in rows]


def operator_key(key_id: str) -> Operation[KeyRecord | None]:
    row = yield FetchOne("operator_key_by_id", {"id": key_id})
    return None if row is None else _key(row)


def revoke_operator_key(key_id: str, now: float) -> Operation[KeyRecord | None]:
    """The key, revoked; None: no such key; LastKey: it is the last live one (the operator
    would lock itself out)."""
    live = yield FetchAll("lock_live_operator_keys")
    row = yield FetchOne("operator_key_by_id", {"id": key_id})
    if row is None:
        return None
    if row["revoked_at"] is not None:
        return _key(row)
    if [r["id"] for r in live] == [key_id]:
        raise LastKey(key_id)
    yield Execute("revoke_operator_key", {"id": key_id, "now": now})
    row = yield FetchOne("operator_key_by_id", {"id": key_id})
    return _key(row)


# --- numbers ---------------------------------------------------------------------------


def all_numbers(keyring: Keyring) -> Operation[list[Number]]:
    rows = yield FetchAll("all_numbers")
    return [number_from_row(r, keyring) for r in rows]


def any_number(number_id: str, keyring: Keyring) -> Operation[Number | None]:
    row = yield FetchOne("any_number_by_id", {"id": number_id})
    return None if row is None else number_from_row(row, keyring)


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberChanges:
    """A PATCH of a number: None leaves a field as it is (display_name: ``set_display_name``
    says whether it is given, since None clears it)."""

    display_name: str | None = None
    set_display_name: bool = False
    access_token: str | None = None
    app_secret: str | None = None
    verify_token: str | None = None
    graph_base_url: str | None = None


def update_number(
    number_id: str, changes: NumberChanges, now: float, keyring: Keyring
) -> Operation[Number | None]:
    params: dict[str, Any] = {
        "id": number_id,
        "set_display_name": changes.set_display_name,
        "display_name": changes.display_name,
        "access_token": keyring.encrypt_optional(changes.access_token),
        "app_secret": keyring.encrypt_optional(changes.app_secret),
        "verify_token": keyring.encrypt_optional(changes.verify_token),
        "verify_token_hash": None
        if changes.verify_token is None
        else hash_verify_token(changes.verify_token),
        "graph_base_url": changes.graph_base_url,
        "reset_health": changes.access_token is not None or changes.graph_base_url is not None,
        "now": now,
    }
    changed = yield Execute("update_number", params)
    if not changed:
        return None
    row = yield FetchOne("any_number_by_id", {"id": number_id})
    return number_from_row(row, keyring)


def delete_number(number: Number, now: float) -> Operation[bool]:
    changed = yield Execute(
        "delete_number",
        {
            "id": number.id,
            "freed_phone_number_id": f"deleted:{number.id}:{number.phone_number_id}",
            "now": now,
        },
    )
    return bool(changed)


# --- number health ---------------------------------------------------------------------


def numbers_due_for_health(before: float, limit: int) -> Operation[list[str]]:
    rows = yield FetchAll("numbers_due_for_health", {"before": before, "limit": limit})
    return [r["id"] for r in rows]


def claim_health_check(
    number_id: str, before: float, now: float, keyring: Keyring
) -> Operation[tuple[Number, str] | None]:
    """(the number, its stored token) if this process is the one to check it now."""
    claimed = yield Execute("claim_health_check", {"id": number_id, "before": before, "now": now})
    if not claimed:
        return None
    return (yield from _for_check(number_id, keyring))


def number_for_check(number_id: str, keyring: Keyring) -> Operation[tuple[Number, str] | None]:
    return (yield from _for_check(number_id, keyring))


def _for_check(number_id: str, keyring: Keyring) -> Operation[tuple[Number, str] | None]:
    row = yield FetchOne("any_number_by_id", {"id": number_id})
    return None if row is None else (number_from_row(row, keyring), row["access_token"])


def record_health(
    number_id: str, checked_token: str, health: str, detail: str | None, now: float
) -> Operation[bool]:
    """The check's outcome; a dedicated number that goes down (from anything else) queues
    an alert for its tenant and the operator, in the same transaction."""
    before = yield FetchOne("number_health_before", {"id": number_id})
    changed = yield Execute(
        "record_health",
        {
            "id": number_id,
            "checked_access_token": checked_token,
            "health": health,
            "health_detail": detail,
            "now": now,
        },
    )
    went_down = health == "down" and before is not None and before["health"] != "down"
    if changed and went_down and before["tenant_id"] is not None:
        data = {"numberId": number_id, "displayPhoneNumber": before["display_phone_number"],
                "detail": detail, "downSince": iso_time(now)}  # fmt: skip
        yield from queue_alert(before["tenant_id"], "number_down", number_id, data, now)
    return bool(changed)


# --- secrets at rest -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reseal:
    """Rows whose stored secrets must be rewritten: plaintext, or under an older key."""

    numbers: Sequence[dict[str, Any]]
    destinations: Sequence[dict[str, Any]]

    def __bool__(self) -> bool:
        return bool(self.numbers or self.destinations)


def find_reseal(keyring: Keyring) -> Operation[Reseal]:
    """Read every stored secret; SecretUnreadable if one cannot be decrypted (a wrong key)."""
    numbers = []
    for row in (yield FetchAll("numbers_secrets")):
        token, secret, verify = (
            keyring.reseal(row["access_token"]),
            keyring.reseal(row["app_secret"]),
            keyring.reseal(row["verify_token"]),
        )
        if token is None and secret is None and verify is None and row["verify_token_hash"]:
            continue
        numbers.append(
            {
                "id": row["id"],
                "access_token": token or row["access_token"],
                "app_secret": secret or row["app_secret"],
                "verify_token": verify or row["verify_token"],
                "verify_token_hash": hash_verify_token(keyring.decrypt(row["verify_token"])),
                "old_access_token": row["access_token"],
                "old_app_secret": row["app_secret"],
                "old_verify_token": row["verify_token"],
            }
        )
    destinations = []
    for row in (yield FetchAll("destinations_secrets")):
        secret = keyring.reseal(row["secret"])
        previous = (
            None if row["previous_secret"] is None else keyring.reseal(row["previous_secret"])
        )
        broker = None if row["broker"] is None else keyring.reseal(row["broker"])
        if secret is None and previous is None and broker is None:
            continue
        destinations.append(
            {
                "id": row["id"],
                "secret": secret or row["secret"],
                "previous_secret": previous or row["previous_secret"],
                "broker": broker or row["broker"],
                "old_secret": row["secret"],
                "old_previous_secret": row["previous_secret"],
                "old_broker": row["broker"],
            }
        )
    return Reseal(numbers, destinations)


def apply_reseal(reseal: Reseal) -> Operation[int]:
    """Compare-and-set per row: a secret changed meanwhile (another process) is left alone."""
    changed = 0
    for params in reseal.numbers:
        changed += yield Execute("reseal_number", params)
    for params in reseal.destinations:
        changed += yield Execute("reseal_destination", params)
    return changed


def create_tenant(tenant_id: str, name: str, now: float) -> Operation[Tenant]:
    yield Execute("insert_tenant", {"id": tenant_id, "name": name, "now": now})
    return Tenant(id=tenant_id, name=name, created_at=now)


def find_api_key(prefix: str) -> Operation[tuple[Tenant, str] | None]:
    row = yield FetchOne("find_api_key", {"prefix": prefix})
    if row is None:
        return None
    tenant = Tenant(
        id=row["tenant_id"], name=row["tenant_name"], created_at=row["tenant_created_at"]
    )
    return tenant, row["key_hash"]


def tenant_by_id(tenant_id: str) -> Operation[Tenant | None]:
    row = yield FetchOne("get_tenant", {"id": tenant_id})
    return None if row is None else tenant_from_row(row)


def app_tenant(app_id: str) -> Operation[str | None]:
    row = yield FetchOne("app_tenant", {"id": app_id})
    return None if row is None else str(row["tenant_id"])


def create_operator_key(
    prefix: str, key_hash: str, label: str | None, now: float
) -> Operation[str]:
    key_id = new_id("opk")
    yield Execute(
        "insert_operator_key",
        {"id": key_id, "prefix": prefix, "key_hash": key_hash, "label": label, "now": now},
    )
    return key_id


def find_operator_key(prefix: str) -> Operation[str | None]:
    """The hash of the live operator key with this prefix."""
    row = yield FetchOne("find_operator_key", {"prefix": prefix})
    return None if row is None else str(row["key_hash"])


def find_app_key(prefix: str) -> Operation[tuple[Tenant, str, str] | None]:
    """(the App's tenant, the App's id, the key's hash) of a live App with this key."""
    row = yield FetchOne("find_app_key", {"prefix": prefix})
    if row is None:
        return None
    tenant = Tenant(
        id=row["tenant_id"], name=row["tenant_name"], created_at=row["tenant_created_at"]
    )
    return tenant, row["app_id"], row["key_hash"]

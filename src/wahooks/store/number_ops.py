"""The numbers served: registered, found by Meta's phone-number id or verify token.

Generators of named queries, run by a connector (see base.py).
"""

from collections.abc import Sequence

from wahooks.models import (
    Number,
)
from wahooks.secrets import Keyring, hash_verify_token
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row


def number_from_row(row: Row, keyring: Keyring) -> Number:
    """A numbers row, its secrets decrypted (the model holds plaintext)."""
    return Number(
        id=row["id"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        phone_number_id=row["phone_number_id"],
        waba_id=row["waba_id"],
        display_phone_number=row["display_phone_number"],
        access_token=keyring.decrypt(row["access_token"]),
        app_secret=keyring.decrypt(row["app_secret"]),
        verify_token=keyring.decrypt(row["verify_token"]),
        graph_base_url=row["graph_base_url"],
        created_at=row["created_at"],
        app_id=row["app_id"],
        display_name=row["display_name"],
        health=row["health"],
        health_detail=row["health_detail"],
        health_checked_at=row["health_checked_at"],
    )


def create_number(number: Number, keyring: Keyring) -> Operation[Number]:
    params = {
        "id": number.id,
        "tenant_id": number.tenant_id,
        "kind": number.kind,
        "phone_number_id": number.phone_number_id,
        "waba_id": number.waba_id,
        "display_phone_number": number.display_phone_number,
        "access_token": keyring.encrypt(number.access_token),
        "app_secret": keyring.encrypt(number.app_secret),
        "verify_token": keyring.encrypt(number.verify_token),
        "verify_token_hash": hash_verify_token(number.verify_token),
        "graph_base_url": number.graph_base_url,
        "app_id": number.app_id,
        "display_name": number.display_name,
        "now": number.created_at,
    }
    yield Execute("insert_number", params)
    return number


def numbers_by_phone_number_ids(
    ids: Sequence[str], keyring: Keyring
) -> Operation[dict[str, Number]]:
    found: dict[str, Number] = {}
    for phone_number_id in dict.fromkeys(ids):
        row = yield FetchOne("number_by_phone_number_id", {"phone_number_id": phone_number_id})
        if row is not None:
            found[phone_number_id] = number_from_row(row, keyring)
    return found


def numbers_of_wabas(waba_ids: Sequence[str], keyring: Keyring) -> Operation[dict[str, Number]]:
    """By phone number id, every number registered for one of ``waba_ids``."""
    found: dict[str, Number] = {}
    for waba_id in dict.fromkeys(waba_ids):
        for row in (yield FetchAll("numbers_of_waba", {"waba_id": waba_id})):
            number = number_from_row(row, keyring)
            found[number.phone_number_id] = number
    return found


def number_by_id(tenant_id: str, number_id: str, keyring: Keyring) -> Operation[Number | None]:
    row = yield FetchOne("number_by_id", {"id": number_id, "tenant_id": tenant_id})
    return None if row is None else number_from_row(row, keyring)


def numbers_of_tenant(tenant_id: str, keyring: Keyring) -> Operation[list[Number]]:
    rows = yield FetchAll("numbers_of_tenant", {"tenant_id": tenant_id})
    return [number_from_row(r, keyring) for r in rows]


def numbers_by_verify_token(token: str, keyring: Keyring) -> Operation[list[Number]]:
    """Found by the token's SHA-256 (the token itself is stored encrypted)."""
    rows = yield FetchAll(
        "numbers_by_verify_token", {"verify_token_hash": hash_verify_token(token)}
    )
    return [number_from_row(r, keyring) for r in rows]

"""The WhatsApp numbers served, their Cloud API connections and health."""

from collections.abc import Sequence

from wahooks.models import (
    Number,
)
from wahooks.store import keys_ops, number_ops
from wahooks.store.area import Area


class Numbers(Area):
    async def create(self, number: Number) -> Number:
        return await self.connector.transaction(number_ops.create_number(number, self.keyring))

    async def by_phone_number_ids(self, ids: Sequence[str]) -> dict[str, Number]:
        return await self.connector.read(number_ops.numbers_by_phone_number_ids(ids, self.keyring))

    async def of_wabas(self, waba_ids: Sequence[str]) -> dict[str, Number]:
        return await self.connector.read(number_ops.numbers_of_wabas(waba_ids, self.keyring))

    async def get(self, tenant_id: str, number_id: str) -> Number | None:
        return await self.connector.read(
            number_ops.number_by_id(tenant_id, number_id, self.keyring)
        )

    async def of_tenant(self, tenant_id: str) -> list[Number]:
        return await self.connector.read(number_ops.numbers_of_tenant(tenant_id, self.keyring))

    async def by_verify_token(self, token: str) -> list[Number]:
        return await self.connector.read(number_ops.numbers_by_verify_token(token, self.keyring))

    async def all(self) -> list[Number]:
        return await self.connector.read(keys_ops.all_numbers(self.keyring))

    async def any(self, number_id: str) -> Number | None:
        """A live number, whoever owns it (the operator's view)."""
        return await self.connector.read(keys_ops.any_number(number_id, self.keyring))

    async def update(self, number_id: str, changes: keys_ops.NumberChanges) -> Number | None:
        return await self.connector.transaction(
            keys_ops.update_number(number_id, changes, self.clock(), self.keyring)
        )

    async def delete(self, number: Number) -> bool:
        return await self.connector.transaction(keys_ops.delete_number(number, self.clock()))

    async def due_for_health(self, interval_s: float, limit: int = 100) -> list[str]:
        return await self.connector.read(
            keys_ops.numbers_due_for_health(self.clock() - interval_s, limit)
        )

    async def claim_health_check(
        self, number_id: str, interval_s: float
    ) -> tuple[Number, str] | None:
        now = self.clock()
        return await self.connector.transaction(
            keys_ops.claim_health_check(number_id, now - interval_s, now, self.keyring)
        )

    async def for_check(self, number_id: str) -> tuple[Number, str] | None:
        return await self.connector.read(keys_ops.number_for_check(number_id, self.keyring))

    async def record_health(
        self, number_id: str, checked_token: str, health: str, detail: str | None
    ) -> bool:
        return await self.connector.transaction(
            keys_ops.record_health(number_id, checked_token, health, detail, self.clock())
        )

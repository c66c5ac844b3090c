"""A tenant's Apps, their keys and dedicated numbers."""

from wahooks.models import (
    App,
    AppNumber,
    Conversation,
    Destination,
    Number,
)
from wahooks.store import apps_ops
from wahooks.store.area import Area


class Apps(Area):
    async def create(self, app: App, key_hash: str, socket: Destination) -> App:
        """Raises Duplicate when the slug is taken."""
        return await self.connector.transaction(
            apps_ops.create_app(app, key_hash, socket, self.keyring)
        )

    async def get(self, tenant_id: str, app_id: str) -> App | None:
        return await self.connector.read(apps_ops.app_by_id(tenant_id, app_id))

    async def of_tenant(self, tenant_id: str) -> list[App]:
        return await self.connector.read(apps_ops.apps_of_tenant(tenant_id))

    async def rename(self, tenant_id: str, app_id: str, name: str) -> App | None:
        return await self.connector.transaction(
            apps_ops.rename_app(tenant_id, app_id, name, self.clock())
        )

    async def set_key(
        self, tenant_id: str, app_id: str, key_prefix: str, key_hash: str
    ) -> App | None:
        return await self.connector.transaction(
            apps_ops.set_app_key(tenant_id, app_id, key_prefix, key_hash, self.clock())
        )

    async def delete(self, tenant_id: str, app_id: str) -> bool:
        """False when there is no such live App, or it still has live numbers."""
        return await self.connector.transaction(
            apps_ops.delete_app(tenant_id, app_id, self.clock())
        )

    async def socket_connected(self, app_id: str) -> None:
        """The App opened a socket: from now on its socket destination queues what it gets
        (kept while no connection is open, as Pipes.bot does)."""
        await self.connector.transaction(apps_ops.socket_connected(app_id, self.clock()))

    async def numbers(
        self, tenant_id: str, app_id: str | None, *, window_s: float
    ) -> list[AppNumber]:
        """The live numbers of one App (or, with None, of all the tenant's Apps)."""
        return await self.connector.read(
            apps_ops.numbers_of_apps(tenant_id, app_id, self.clock() - window_s, self.keyring)
        )

    async def number(self, app_id: str, number_id: str) -> Number | None:
        return await self.connector.read(apps_ops.number_of_app(app_id, number_id, self.keyring))

    async def conversation_with(
        self, tenant_id: str, number_id: str, wa_id: str
    ) -> Conversation | None:
        return await self.connector.read(
            apps_ops.conversation_with(tenant_id, number_id, wa_id, self.keyring)
        )

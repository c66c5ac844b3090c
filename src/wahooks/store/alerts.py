"""Alerts to send by e-mail and webhook (alert_ops.py), and tenants' alert addresses."""

from wahooks.models import Alert
from wahooks.store import alert_ops
from wahooks.store.area import Area


class Alerts(Area):
    async def claim(self, *, limit: int, lease_s: float) -> list[Alert]:
        now = self.clock()
        return await self.connector.transaction(
            alert_ops.claim_alerts(now, now + lease_s, limit, self.keyring)
        )

    async def sent_since(self, alert: Alert, since: float) -> bool:
        return await self.connector.read(alert_ops.sent_since(alert, since))

    async def finish(self, alert: Alert, state: str, error: str | None = None) -> None:
        await self.connector.transaction(
            alert_ops.finish_alert(alert.id, state, error, self.clock())
        )

    async def retry(self, alert: Alert, delay_s: float, error: str) -> None:
        await self.connector.transaction(
            alert_ops.retry_alert(alert.id, self.clock() + delay_s, error)
        )

    async def set_tenant_email(self, tenant_id: str, email: str | None) -> bool:
        """False: no such tenant."""
        return await self.connector.transaction(alert_ops.set_alert_email(tenant_id, email))

    async def set_tenant_webhook(self, tenant_id: str, url: str | None, secret: str | None) -> bool:
        """The tenant's alert webhook and the secret that signs it; False: no such tenant."""
        return await self.connector.transaction(
            alert_ops.set_alert_webhook(tenant_id, url, secret, self.keyring)
        )

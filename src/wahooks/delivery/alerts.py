"""Alerts: the operator (``alert_operator_emails``, ``alert_webhook_url``) and the tenant
(its alert address and webhook) are told when a destination has failed
``alert_after_failures`` attempts in a row (once per run of failures) and when it is
disabled, with its context (URL, reason, last error, failing since, deliveries waiting),
and when a dedicated number goes down (its health check fails for good: a token invalid or
without permission), at most once per condition and channel per ``alert_interval_s``.

Alerts are queued in the database by the transaction that raised them, one per channel
(store/alert_ops.py); this worker sends the e-mail over SMTP (the standard library's
client, in a thread: a few e-mails an hour need no async client) and the webhooks as signed
POSTs (alert_hooks.py), retrying each with backoff on its own. A channel with nowhere to
go (no SMTP host, no address, no webhook) is recorded as skipped, with the reason.
"""

import asyncio
import logging
import smtplib
from email.message import EmailMessage

import aiohttp

from wahooks.background import Loop
from wahooks.config import Settings
from wahooks.delivery.alert_hooks import AlertHookFailed, post_alert
from wahooks.models import Alert
from wahooks.retry import exponential
from wahooks.store import Store

log = logging.getLogger(__name__)

POLL_S = 2.0
LEASE_S = 120.0
MAX_ATTEMPTS = 8
SMTP_TIMEOUT_S = 30.0


def compose(alert: Alert, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    subject, lines = _TEXTS.get(alert.kind, _disabled)(alert)
    message["Subject"] = f"[wahooks] {subject} ({alert.tenant_name})"
    message.set_content("\n".join(lines))
    return message


def _disabled(alert: Alert) -> tuple[str, list[str]]:
    data = alert.data
    return f"Destination disabled: {data.get('url') or data.get('destinationId')}", [
        f"The gateway disabled a destination of tenant {alert.tenant_name} ({alert.tenant_id}).",
        "",
        f"Destination:   {data.get('destinationId')}",
        f"URL:           {data.get('url') or '(socket)'}",
        f"Reason:        {data.get('reason')}",
        f"Last error:    {data.get('lastError') or '-'}",
        f"Failures:      {data.get('failures')} in a row",
        f"Failing since: {data.get('failingSince') or '-'}",
        f"Disabled at:   {data.get('disabledAt')}",
        f"Waiting:       {data.get('pending')} deliveries, kept until it is re-enabled",
        "",
        f"Re-enable it with PATCH /v1/destinations/{data.get('destinationId')} "
        '{"enabled": true}: what waits is delivered at once.',
    ]


def _failing(alert: Alert) -> tuple[str, list[str]]:
    data = alert.data
    return f"Destination failing: {data.get('url') or data.get('destinationId')}", [
        f"A destination of tenant {alert.tenant_name} ({alert.tenant_id}) has failed "
        f"{data.get('failures')} attempts in a row.",
        "",
        f"Destination:   {data.get('destinationId')}",
        f"URL:           {data.get('url') or '(socket)'}",
        f"Last error:    {data.get('lastError') or '-'}",
        f"Failing since: {data.get('failingSince') or '-'}",
        f"Waiting:       {data.get('pending')} deliveries",
        "",
        "It is retried on its schedule, and disabled if it keeps failing: fix the receiver "
        "and what waits is delivered.",
    ]


def _number_down(alert: Alert) -> tuple[str, list[str]]:
    data = alert.data
    return f"Number down: {data.get('displayPhoneNumber')}", [
        f"A number of tenant {alert.tenant_name} ({alert.tenant_id}) failed its health check.",
        "",
        f"Number:     {data.get('numberId')} ({data.get('displayPhoneNumber')})",
        f"Down since: {data.get('downSince')}",
        f"Why:        {data.get('detail')}",
        "",
        "Messages cannot be sent from it until its access token or permissions are fixed: "
        f"PATCH /v1/numbers/{data.get('numberId')} with a new accessToken, then "
        f"POST /v1/numbers/{data.get('numberId')}/health-check.",
    ]


_TEXTS = {"destination_failing": _failing, "number_down": _number_down}


class AlertMailer:
    """Sends each queued alert through its channel: e-mail or a webhook."""

    def __init__(self, store: Store, settings: Settings, session: aiohttp.ClientSession) -> None:
        self._store = store
        self._settings = settings
        self._session = session
        self._loop = Loop("alert-mail")

    async def start(self) -> None:
        self._loop.start(self._run)

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while not self._loop.stopping:
            try:
                for alert in await self._store.alerts.claim(limit=20, lease_s=LEASE_S):
                    await self.handle(alert)
            except Exception:
                log.exception("alert e-mails: claiming failed; retrying shortly")
            await self._loop.pause(POLL_S)

    async def handle(self, alert: Alert) -> None:
        nowhere = self._nowhere(alert)
        if nowhere is not None:
            await self._store.alerts.finish(alert, "skipped", nowhere)
            return
        since = alert.created_at - self._settings.alert_interval_s
        if await self._store.alerts.sent_since(alert, since):
            await self._store.alerts.finish(alert, "suppressed", "told of within the interval")
            return
        try:
            where = await self._send_through_channel(alert)
        except (OSError, smtplib.SMTPException, AlertHookFailed) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if alert.attempts + 1 >= MAX_ATTEMPTS:
                log.error("alert %s (%s): not sent after %d tries: %s", alert.id,
                          alert.channel, MAX_ATTEMPTS, error)  # fmt: skip
                await self._store.alerts.finish(alert, "failed", error)
            else:
                log.warning("alert %s (%s) failed (%s); retrying", alert.id, alert.channel, error)
                await self._store.alerts.retry(alert, exponential(5.0, alert.attempts + 1, 600.0),
                                               error)  # fmt: skip
            return
        log.info("alert %s sent (%s)", alert.id, where)
        await self._store.alerts.finish(alert, "sent")

    def _recipients(self, alert: Alert) -> list[str]:
        recipients = list(self._settings.alert_operator_emails)
        if alert.tenant_email:
            recipients.append(alert.tenant_email)
        return recipients

    def _nowhere(self, alert: Alert) -> str | None:
        """Why this alert's channel has nowhere to go, or None."""
        settings = self._settings
        if alert.channel == "operator_webhook":
            return None if settings.alert_webhook_url else "no WAHOOKS_ALERT_WEBHOOK_URL set"
        if alert.channel == "tenant_webhook":
            return None if alert.tenant_webhook_url else "the tenant set no alert webhook"
        if not settings.alert_smtp_host:
            return "no WAHOOKS_ALERT_SMTP_HOST set"
        return None if self._recipients(alert) else "no alert address set"

    async def _send_through_channel(self, alert: Alert) -> str:
        """Send it; what it went to, for the log (never a secret)."""
        settings = self._settings
        if alert.channel == "operator_webhook":
            secret = settings.alert_webhook_secret.get_secret_value()
            await post_alert(self._session, settings.alert_webhook_url, secret, alert)
            return "the operator's webhook"
        if alert.channel == "tenant_webhook":
            assert alert.tenant_webhook_url is not None
            await post_alert(
                self._session, alert.tenant_webhook_url, alert.tenant_webhook_secret or "", alert
            )
            return "the tenant's webhook"
        recipients = self._recipients(alert)
        await asyncio.to_thread(self._send, compose(alert, settings.alert_from, recipients))
        return f"{len(recipients)} address(es)"

    def _send(self, message: EmailMessage) -> None:
        settings = self._settings
        with smtplib.SMTP(
            settings.alert_smtp_host, settings.alert_smtp_port, timeout=SMTP_TIMEOUT_S
        ) as smtp:
            if settings.alert_smtp_starttls:
                smtp.starttls()
            if settings.alert_smtp_username:
                smtp.login(
                    settings.alert_smtp_username, settings.alert_smtp_password.get_secret_value()
                )
            smtp.send_message(message)

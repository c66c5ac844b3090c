"""Alert e-mails: the operator (``alert_operator_emails``) and the tenant (its alert address)
are told when a destination is disabled, with its context (URL, reason, last error, failing
since, deliveries waiting), and when a dedicated number goes down (its health check fails
for good: a token invalid or without permission), at most once per condition per
``alert_interval_s``.

Alerts are queued in the database by the transaction that disabled the destination; this
worker sends them over SMTP (the standard library's client, in a thread: a few e-mails an
hour need no async client), retrying a failing server with backoff. Without
``alert_smtp_host`` an alert is recorded as skipped, with the reason.
"""

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from wahooks.background import Loop
from wahooks.config import Settings
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
    subject, lines = (_number_down if alert.kind == "number_down" else _disabled)(alert)
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


class AlertMailer:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
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
        settings = self._settings
        recipients = list(settings.alert_operator_emails)
        if alert.tenant_email:
            recipients.append(alert.tenant_email)
        if not settings.alert_smtp_host:
            await self._store.alerts.finish(alert, "skipped", "no WAHOOKS_ALERT_SMTP_HOST set")
            return
        if not recipients:
            await self._store.alerts.finish(alert, "skipped", "no alert address set")
            return
        since = alert.created_at - settings.alert_interval_s
        if await self._store.alerts.sent_since(alert, since):
            await self._store.alerts.finish(alert, "suppressed", "told of within the interval")
            return
        message = compose(alert, settings.alert_from, recipients)
        try:
            await asyncio.to_thread(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if alert.attempts + 1 >= MAX_ATTEMPTS:
                log.error("alert %s: not sent after %d tries: %s", alert.id, MAX_ATTEMPTS, error)
                await self._store.alerts.finish(alert, "failed", error)
            else:
                log.warning("alert %s: SMTP failed (%s); retrying", alert.id, error)
                await self._store.alerts.retry(alert, exponential(5.0, alert.attempts + 1, 600.0),
                                               error)  # fmt: skip
            return
        log.info("alert %s sent to %d address(es)", alert.id, len(recipients))
        await self._store.alerts.finish(alert, "sent")

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

"""A real ``pywa`` bot behind a ``meta`` destination gets what Meta sends besides messages,
through the gateway: a status of a message it sent itself (through the Graph API directly),
a call, an echo, a marketing-preferences change, a template status update and an account
update, each parsed by pywa's own handler."""

from pywa_async.types import (
    AccountUpdate,
    CallConnect,
    MessageStatus,
    TemplateStatusUpdate,
    UserMarketingPreferences,
)
from pywa_async.types.message import OutgoingMessage

from tests.conftest import registered_sim, running_gateway
from tests.formats.pywa_bot import PywaBot, PywaErrors
from tests.formats.test_meta import SECRET, meta_destination
from wahooks.sim import changes

EVENTS = [
    "message:out:ack", "message:echo", "call:update", "user:update", "template:update",
    "account:update",
]  # fmt: skip


async def test_a_pywa_bot_gets_every_kind_of_change_from_the_gateway(database_url: str) -> None:
    async with (
        running_gateway(database_url, external_status_grace_s=0.2) as gateway,
        registered_sim(gateway) as sim,
    ):
        settings = sim.settings
        bot = PywaBot(
            app_secret=SECRET, phone_id=settings.phone_number_id, waba_id=settings.waba_id
        )
        jane = sim.user("15551238001", "Jane Doe")
        now = int(sim.clock())
        with PywaErrors().watching() as errors:
            async with bot.running():
                await meta_destination(gateway, bot, EVENTS)
                assert (
                    await sim.send_status("wamid.the-bot-sent-it", "delivered", jane.wa_id) == 200
                )
                assert await sim.send_change(
                    "calls", changes.call_connect(settings, jane, now)
                ) == 200  # fmt: skip
                assert await sim.send_change(
                    "smb_message_echoes", changes.echo(settings, jane, "from the app", now)
                ) == 200  # fmt: skip
                assert await sim.send_change(
                    "user_preferences", changes.user_preferences(settings, jane, "stop", now)
                ) == 200  # fmt: skip
                template = changes.template_status(7002, "spring_sale", "APPROVED", None)
                assert await sim.send_change(
                    "message_template_status_update", template, waba_level=True
                ) == 200  # fmt: skip
                account = changes.account_update("ACCOUNT_VIOLATION")
                account["violation_info"] = {"violation_type": "SCAM"}
                assert await sim.send_change("account_update", account, waba_level=True) == 200
                parsed = await bot.wait_for(6)
    assert errors.messages == []
    by_handler = {p.handler: p.update for p in parsed}
    assert set(by_handler) == {
        "on_message_status", "on_call_connect", "on_outgoing_message",
        "on_user_marketing_preferences", "on_template_status_update", "on_account_update",
    }  # fmt: skip
    status = by_handler["on_message_status"]
    assert isinstance(status, MessageStatus)
    assert status.id == "wamid.the-bot-sent-it" and status.status.value == "delivered"
    assert status.from_user.wa_id == jane.wa_id
    call = by_handler["on_call_connect"]
    assert isinstance(call, CallConnect) and call.from_user.wa_id == jane.wa_id
    echo = by_handler["on_outgoing_message"]
    assert isinstance(echo, OutgoingMessage) and echo.text == "from the app"
    prefs = by_handler["on_user_marketing_preferences"]
    assert isinstance(prefs, UserMarketingPreferences) and not prefs
    approved = by_handler["on_template_status_update"]
    assert isinstance(approved, TemplateStatusUpdate)
    assert approved.template_name == "spring_sale" and approved.template_id == "7002"
    violation = by_handler["on_account_update"]
    assert isinstance(violation, AccountUpdate) and violation.id == settings.waba_id

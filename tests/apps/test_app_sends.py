"""App sends through the simulator: POST /v1/messages/app/send, /v1/messages/passthrough
(routing fields stripped, the rest reaching Meta unchanged), /v1/messages/send with an App
key; the 24-hour window; isolation; bad input."""

from typing import Any

import pytest

from tests.api.helpers import assert_error, other_tenant, problem
from tests.apps.helpers import AppHandle, app_sim, app_webhook, create_app, number_id
from tests.conftest import RunningGateway
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

USER = "15551232000"

INTERACTIVE = {
    "type": "interactive",
    "interactive": {
        "type": "button",
        "body": {"text": "Ship it?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]
        },
    },
}
TEMPLATE = {
    "type": "template",
    "template": {
        "name": "order_confirmation",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Jane"}]}],
    },
}


async def conversation(app: AppHandle, sim: Simulator, wa_id: str = USER) -> str:
    """The user writes to the App's number (opening the 24-hour window); the conversation."""
    sent = await sim.send(sim.user(wa_id, "Jane"), "text", body="hello")
    assert sent.ok
    store = app.gateway.gateway.store
    found = await store.apps.conversation_with(app.gateway.tenant_id, number_id(sim), wa_id)
    assert found is not None
    return found.id


def meta_answer(body: Any, to: str) -> str:
    """Checks Meta's send answer; its wamid."""
    assert body["messaging_product"] == "whatsapp", body
    assert body["contacts"] == [{"input": to, "wa_id": to.lstrip("+")}], body
    (message,) = body["messages"]
    assert message["id"].startswith("wamid."), body
    return str(message["id"])


@pytest.mark.e2e
async def test_app_send_answers_as_meta_and_is_recorded(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        await app_webhook(app, receiver.url, events=["message:out:new"])
        await conversation(app, sim)
        body = {"poolNumberId": number_id(sim), "toNumber": USER, "text": "Your order shipped"}
        status, answer = await app.api("POST", "/v1/messages/app/send", body)
        assert status == 200, answer
        wamid = meta_answer(answer, USER)
        sent = sim.sent[-1]
        assert sent.wamid == wamid and sent.to == USER
        assert sent.payload["text"]["body"] == "Your order shipped"
        # Recorded as message:out:new on the conversation, delivered to the App's webhook.
        await receiver.wait_for(lambda r: len(r.accepted()) >= 1)
        out = receiver.accepted()[0].json()
        echo = out["entry"][0]["changes"][0]["value"]["message_echoes"][0]
        assert echo["id"] == wamid and echo["text"]["body"] == "Your order shipped"
        status_ = await gateway.gateway.store.inbound.outbound_status(number_id(sim), wamid)
        assert status_ is not None


async def test_app_send_outside_the_window_sends_nothing(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        body = {"poolNumberId": number_id(sim), "toNumber": "+15551232999", "text": "hi"}
        status, answer = await app.api("POST", "/v1/messages/app/send", body)
        assert_error(status, answer, 422, "template")
        assert answer["error"]["code"] == "SERVICE_WINDOW_EXPIRED"
        assert sim.sent == []


async def test_app_send_refuses_bad_input_and_other_apps_numbers(
    gateway: RunningGateway,
) -> None:
    app, other_app = await create_app(gateway), await create_app(gateway)
    async with app_sim(app) as sim, app_sim(other_app) as other_sim:
        await conversation(app, sim)
        await conversation(other_app, other_sim)
        good = {"poolNumberId": number_id(sim), "toNumber": USER, "text": "hi"}
        cases: list[tuple[str, dict[str, Any], int, str]] = [
            ("no text", {**good, "text": None}, 400, "text"),
            ("empty text", {**good, "text": ""}, 400, "text"),
            ("long text", {**good, "text": "x" * 4097}, 400, "text"),
            ("no number", {k: v for k, v in good.items() if k != "poolNumberId"}, 400, "pool"),
            ("no recipient", {k: v for k, v in good.items() if k != "toNumber"}, 400, "to"),
            ("not a phone", {**good, "toNumber": "call me"}, 400, "phone"),
            ("unknown number", {**good, "poolNumberId": "num_nope"}, 404, "num_nope"),
            ("another App's", {**good, "poolNumberId": number_id(other_sim)}, 404, "number"),
            ("extra field", {**good, "caption": "x"}, 400, "caption"),
        ]
        problems = []
        for what, body, expected, mentions in cases:
            status, answer = await app.api("POST", "/v1/messages/app/send", body)
            problems.append(problem(what, status, answer, expected, mentions))
        status, answer = await gateway.api("POST", "/v1/messages/app/send", good)
        problems.append(problem("tenant key", status, answer, 403, "app"))
        assert [p for p in problems if p] == []
        assert sim.sent == [] and other_sim.sent == []


async def test_passthrough_forwards_everything_but_the_routing_fields(
    gateway: RunningGateway,
) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        await conversation(app, sim)
        body = {
            "poolNumberId": number_id(sim),
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": USER,
            **INTERACTIVE,
        }
        status, answer = await app.api("POST", "/v1/messages/passthrough", body)
        assert status == 200, answer
        wamid = meta_answer(answer, USER)
        sent = sim.sent[-1]
        assert sent.wamid == wamid
        assert sent.payload == {k: v for k, v in body.items() if k != "poolNumberId"}
        assert (
            await gateway.gateway.store.inbound.outbound_status(number_id(sim), wamid) is not None
        )


async def test_a_template_goes_out_without_an_open_window(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        to = "15551232100"  # never wrote to the number
        body = {"poolNumberId": number_id(sim), "to": to, "messaging_product": "whatsapp"}
        status, answer = await app.api("POST", "/v1/messages/passthrough", {**body, **TEMPLATE})
        assert status == 200, answer
        wamid = meta_answer(answer, to)
        assert sim.sent[-1].payload == {"to": to, "messaging_product": "whatsapp", **TEMPLATE}
        # The older nested form works too.
        nested = {"poolNumberId": number_id(sim), "message": {"to": to, **TEMPLATE}}
        status, answer = await app.api("POST", "/v1/messages/passthrough", nested)
        assert status == 200, answer
        assert sim.sent[-1].payload == {"to": to, "messaging_product": "whatsapp", **TEMPLATE}
        # Recorded: the conversation now exists, with the message.
        store = gateway.gateway.store
        assert await store.apps.conversation_with(gateway.tenant_id, number_id(sim), to) is not None
        assert await store.inbound.outbound_status(number_id(sim), wamid) is not None
        # Any other type needs the window.
        text = {**body, "type": "text", "text": {"body": "hi"}}
        status, answer = await app.api("POST", "/v1/messages/passthrough", text)
        assert_error(status, answer, 422, "template")
        assert len(sim.sent) == 2


async def test_a_tenant_passes_through_to_a_conversation_but_no_templates(
    gateway: RunningGateway,
) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        conversation_id = await conversation(app, sim)
        body = {"conversationId": conversation_id, **INTERACTIVE}
        status, answer = await gateway.api("POST", "/v1/messages/passthrough", body)
        assert status == 200, answer
        meta_answer(answer, USER)
        assert sim.sent[-1].payload == {"to": USER, "messaging_product": "whatsapp", **INTERACTIVE}
        template = {"conversationId": conversation_id, **TEMPLATE}
        status, answer = await gateway.api("POST", "/v1/messages/passthrough", template)
        assert_error(status, answer, 403, "App key")
        # An App key may name its own conversation too.
        status, answer = await app.api("POST", "/v1/messages/passthrough", body)
        assert status == 200, answer
        other = await other_tenant(gateway)
        status, answer = await other.api("POST", "/v1/messages/passthrough", body)
        assert_error(status, answer, 404, conversation_id)
        assert len(sim.sent) == 2


@pytest.mark.e2e
async def test_passthrough_refuses_bad_input(gateway: RunningGateway) -> None:
    app, other_app = await create_app(gateway), await create_app(gateway)
    async with app_sim(app) as sim, app_sim(other_app) as other_sim:
        conversation_id = await conversation(app, sim)
        other_conversation = await conversation(other_app, other_sim, "15551232200")
        good = {
            "poolNumberId": number_id(sim),
            "to": USER,
            "messaging_product": "whatsapp",
            **INTERACTIVE,
        }

        def without(key: str) -> dict[str, Any]:
            return {k: v for k, v in good.items() if k != key}

        cases: list[tuple[str, Any, int, str]] = [
            ("no poolNumberId", without("poolNumberId"), 400, "poolNumberId"),
            ("no to", without("to"), 400, "to"),
            ("no type", without("type"), 400, "type"),
            ("no messaging_product", without("messaging_product"), 400, "messaging_product"),
            ("wrong product", {**good, "messaging_product": "sms"}, 400, "whatsapp"),
            ("no object", without("interactive"), 400, "interactive"),
            ("type not a string", {**good, "type": 5}, 400, "type"),
            ("bad phone", {**good, "to": "nobody"}, 400, "phone"),
            ("a list", [good], 400, "object"),
            ("another App's number", {**good, "poolNumberId": number_id(other_sim)}, 404, "num"),
            (
                "another App's conversation",
                {"conversationId": other_conversation, **INTERACTIVE},
                404,
                other_conversation,
            ),
            (
                "to not the conversation's",
                {"conversationId": conversation_id, "to": "15550000000", **INTERACTIVE},
                400,
                "to",
            ),
        ]
        problems = []
        for what, body, expected, mentions in cases:
            status, answer = await app.api("POST", "/v1/messages/passthrough", body)
            problems.append(problem(what, status, answer, expected, mentions))
        status, answer = await gateway.api("POST", "/v1/messages/passthrough", good)
        problems.append(problem("tenant without conversationId", status, answer, 400, "conv"))
        status, answer = await app.api(
            "POST", "/v1/messages/passthrough", data=b"{not json", headers={}
        )
        problems.append(problem("not JSON", status, answer, 400, "JSON"))
        assert [p for p in problems if p] == []
        assert sim.sent == [] and other_sim.sent == []


async def test_metas_refusals_come_back_with_metas_code(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        await conversation(app, sim)
        body = {"poolNumberId": number_id(sim), "to": USER, "messaging_product": "whatsapp"}
        sim.fail_next_sends(1, 131009)
        status, answer = await app.api("POST", "/v1/messages/passthrough", {**body, **INTERACTIVE})
        assert status == 502, answer
        assert answer["error"]["code"] == "graph_error"
        assert answer["error"]["graphCode"] == 131009
        # Meta's own validation: an interactive message without its type.
        broken = {**body, "type": "interactive", "interactive": {"body": {"text": "?"}}}
        status, answer = await app.api("POST", "/v1/messages/passthrough", broken)
        assert status == 502 and answer["error"]["graphCode"] == 100, answer
        assert sim.sent == []


@pytest.mark.e2e
async def test_send_with_an_app_key_only_in_the_apps_conversations(
    gateway: RunningGateway, sim: Simulator
) -> None:
    app, other_app = await create_app(gateway), await create_app(gateway)
    async with app_sim(app) as app_number, app_sim(other_app) as other_number:
        own = await conversation(app, app_number)
        foreign = await conversation(other_app, other_number)
        await sim.send(sim.user(USER, "Tenant's"), "text", body="to the tenant's number")
        tenants = await gateway.gateway.store.apps.conversation_with(
            gateway.tenant_id, number_id(sim), USER
        )
        assert tenants is not None
        status, answer = await app.api(
            "POST", "/v1/messages/send", {"conversationId": own, "text": "from the App"}
        )
        assert status == 200 and answer["conversationId"] == own, answer
        assert app_number.sent[-1].payload["text"]["body"] == "from the App"
        for conversation_id in (foreign, tenants.id):
            status, answer = await app.api(
                "POST", "/v1/messages/send", {"conversationId": conversation_id, "text": "x"}
            )
            assert_error(status, answer, 404, conversation_id)
        assert other_number.sent == [] and sim.sent == []
        # The tenant may send in its App's conversations.
        status, answer = await gateway.api(
            "POST", "/v1/messages/send", {"conversationId": own, "text": "from the tenant"}
        )
        assert status == 200, answer

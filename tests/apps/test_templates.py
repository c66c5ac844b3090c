"""Templates of an App's number, proxied to the simulator's /{waba-id}/message_templates:
list (Meta's paging and filters), get by name, create (PENDING, then Meta's review), and
the refusals."""

from typing import Any

from tests.api.helpers import assert_error, problem
from tests.apps.helpers import app_sim, create_app, number_id
from tests.conftest import RunningGateway

BODY = {"type": "BODY", "text": "Your order {{1}} has shipped. Track it here: {{2}}"}
TEMPLATE = {
    "name": "order_shipped",
    "category": "UTILITY",
    "language": "en_US",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order update"},
        {**BODY, "example": {"body_text": [["12345", "https://example.com/t/12345"]]}},
        {"type": "FOOTER", "text": "Thanks for shopping"},
    ],
}


async def test_list_pages_and_filters_through_meta(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        sim.templates.add("welcome", status="APPROVED")
        sim.templates.add("welcome", language="pt_BR", status="APPROVED")
        sim.templates.add("promo", category="MARKETING", status="REJECTED")
        path = f"/v1/pool-numbers/{number_id(sim)}/templates"
        status, page = await app.api("GET", path + "?status=APPROVED&limit=1")
        assert status == 200, page
        (first,) = page["data"]
        assert first["name"] == "welcome" and first["status"] == "APPROVED"
        assert first["language"] == "en_US" and first["components"][0]["type"] == "BODY"
        after = page["paging"]["cursors"]["after"]
        assert "next" in page["paging"]
        status, page = await app.api("GET", f"{path}?status=APPROVED&limit=1&after={after}")
        assert status == 200, page
        assert [(t["name"], t["language"]) for t in page["data"]] == [("welcome", "pt_BR")]
        assert "next" not in page["paging"]
        status, page = await app.api("GET", path)
        assert status == 200 and len(page["data"]) == 3
        status, page = await app.api("GET", path + "?fields=name,status")
        assert status == 200 and set(page["data"][0]) == {"id", "name", "status"}, page


async def test_get_returns_every_language_of_one_name(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        sim.templates.add("welcome")
        sim.templates.add("welcome", language="de")
        sim.templates.add("welcome_back")  # contains the name: Meta's filter finds it too
        path = f"/v1/pool-numbers/{number_id(sim)}/templates"
        status, body = await app.api("GET", path + "/welcome")
        assert status == 200, body
        assert sorted(t["language"] for t in body["data"]) == ["de", "en_US"]
        assert {t["name"] for t in body["data"]} == {"welcome"}
        status, body = await app.api("GET", path + "/no_such_template")
        assert_error(status, body, 404, "no_such_template")


async def test_create_goes_to_review_and_is_then_sendable(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        path = f"/v1/pool-numbers/{number_id(sim)}/templates"
        status, created = await app.api("POST", path, TEMPLATE)
        assert status == 200, created
        assert created["status"] == "PENDING" and created["category"] == "UTILITY"
        (stored,) = sim.templates.templates
        assert stored.id == created["id"] and stored.components == TEMPLATE["components"]
        status, body = await app.api("GET", path + "/order_shipped")
        assert [t["status"] for t in body["data"]] == ["PENDING"]
        sim.templates.review("order_shipped", "APPROVED")
        status, body = await app.api("GET", path + "?status=APPROVED")
        assert [t["id"] for t in body["data"]] == [created["id"]]
        send = {
            "poolNumberId": number_id(sim),
            "to": "15551233000",
            "messaging_product": "whatsapp",
            "type": "template",
            "template": {"name": "order_shipped", "language": {"code": "en_US"}},
        }
        status, answer = await app.api("POST", "/v1/messages/passthrough", send)
        assert status == 200, answer
        assert sim.sent[-1].payload["template"]["name"] == "order_shipped"


async def test_bad_templates_are_refused_before_meta(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        path = f"/v1/pool-numbers/{number_id(sim)}/templates"

        def changed(**fields: Any) -> dict[str, Any]:
            return {**TEMPLATE, **fields}

        cases = [
            ("capital letters", changed(name="Order_Shipped"), "name"),
            ("spaces", changed(name="order shipped"), "name"),
            ("no name", {k: v for k, v in TEMPLATE.items() if k != "name"}, "name"),
            ("category", changed(category="TRANSACTIONAL"), "category"),
            ("language", changed(language="english"), "language"),
            ("no components", changed(components=[]), "components"),
            ("no body", changed(components=[{"type": "FOOTER", "text": "x"}]), "BODY"),
            ("two bodies", changed(components=[BODY, BODY]), "BODY"),
            ("component type", changed(components=[BODY, {"type": "SIDEBAR"}]), "type"),
            ("components not a list", changed(components="BODY"), "components"),
        ]
        problems = [
            problem(what, *(await app.api("POST", path, body)), 400, mentions)
            for what, body, mentions in cases
        ]
        status, body = await app.api("GET", path + "?limit=0")
        problems.append(problem("limit 0", status, body, 400, "limit"))
        assert [p for p in problems if p] == []
        assert sim.templates.templates == []
        # Meta's own refusal (a template of that name and language exists): its code back.
        sim.templates.add("order_shipped")
        status, body = await app.api("POST", path, TEMPLATE)
        assert status == 502 and body["error"]["code"] == "graph_error", body
        assert body["error"]["graphCode"] == 100 and "exists" in body["error"]["graphDetails"]


async def test_templates_are_the_apps_own(gateway: RunningGateway) -> None:
    app, other_app = await create_app(gateway), await create_app(gateway)
    async with app_sim(app) as sim, app_sim(other_app) as other_sim:
        other_sim.templates.add("secret_template")
        problems = []
        for method, suffix, body in (
            ("GET", "", None),
            ("GET", "/secret_template", None),
            ("POST", "", TEMPLATE),
        ):
            foreign = f"/v1/pool-numbers/{number_id(other_sim)}/templates{suffix}"
            status, answer = await app.api(method, foreign, body)
            problems.append(problem(f"{method} other App's{suffix}", status, answer, 404, "num"))
            unknown = f"/v1/pool-numbers/num_nope/templates{suffix}"
            status, answer = await app.api(method, unknown, body)
            problems.append(problem(f"{method} unknown{suffix}", status, answer, 404, "num_nope"))
            own = f"/v1/pool-numbers/{number_id(sim)}/templates{suffix}"
            status, answer = await gateway.api(method, own, body)
            problems.append(problem(f"{method} tenant key{suffix}", status, answer, 403, "app"))
        assert [p for p in problems if p] == []
        assert [t.name for t in other_sim.templates.templates] == ["secret_template"]
        assert sim.templates.templates == []

"""/metrics: Prometheus' text format for the operator, and figures that move as messages
flow: notifications, items ingested, delivery attempts by format and outcome, Graph calls,
the queue as the database holds it."""

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningGateway, add_destination
from tests.ingress.helpers import wait_until_finished
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator


async def scrape(gateway: RunningGateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    headers = {"Authorization": f"Bearer {gateway.operator_key}"}
    async with gateway.http.get(gateway.url + "/metrics", headers=headers) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(figures: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_as_messages_flow(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    before = await scrape(gateway)
    assert value(before, "wahooks_info", version=__import__("wahooks").__version__) == 1
    await add_destination(gateway, receiver, events=["message:in:new", "message:out:new"])
    jane = sim.user("15551235001", "Jane")
    for n in range(3):
        assert (await sim.send(jane, "text", body=f"hello {n}")).ok
    await wait_until_finished(gateway, 3)
    conversation = receiver.accepted()[0].json()["pipes"]["conversationId"]
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "hi"}
    )
    assert status == 200, sent
    await wait_until_finished(gateway, 4)
    after = await scrape(gateway)
    assert value(after, "wahooks_notifications_total", status="200") - value(
        before, "wahooks_notifications_total", status="200"
    ) >= 3  # fmt: skip
    assert value(after, "wahooks_ingested_total", outcome="stored") == 3
    assert value(after, "wahooks_delivery_attempts_total", format="pipes", outcome="ok") == 4
    assert value(after, "wahooks_delivery_attempt_seconds_count", format="pipes") == 4
    assert value(after, "wahooks_delivery_claim_seconds_count") > value(
        before, "wahooks_delivery_claim_seconds_count"
    )  # fmt: skip
    assert value(after, "wahooks_graph_calls_total", operation="POST messages", outcome="ok") == 1
    assert value(after, "wahooks_deliveries", state="succeeded") == 4
    assert value(after, "wahooks_oldest_pending_delivery_age_seconds") == 0


async def test_metrics_take_the_operator_key(gateway: RunningGateway) -> None:
    async with gateway.http.get(gateway.url + "/metrics") as response:
        assert response.status == 401
    headers = {"Authorization": f"Bearer {gateway.api_key}"}  # a tenant's key
    async with gateway.http.get(gateway.url + "/metrics", headers=headers) as response:
        assert response.status == 403

"""Which claimed deliveries share a POST (src/wahooks/delivery/batches.py), without a server:
the format's batch rule, its size limit, and ids for the batches."""

from wahooks.delivery.batches import batches, webhook_id
from wahooks.formats import SPECS
from wahooks.models import ClaimedDelivery, DeliveryId, Destination, MessageEvent

FAILED = "message:out:failed"


def destination(name: str, format_: str) -> Destination:
    return Destination(
        id=name, tenant_id="ten_1", number_id=None, url="http://127.0.0.1:1/", secret="s" * 20,
        label=None, format=format_, timeout_s=5, retry_schedule=(0,), enabled=True,
        disabled_reason=None, created_at=0.0,
    )  # fmt: skip


def claimed(n: int, to: Destination, event_type: str = FAILED) -> ClaimedDelivery:
    event = MessageEvent(
        event_type=event_type, number_id="num_1", display_phone_number="15550000",
        phone_number_id="1001", waba_id="2002", conversation_id=f"conv_{n}", label=None,
        item={"id": f"wamid.{n}"}, contact=None, status={"status": "failed"},
    )  # fmt: skip
    return ClaimedDelivery(id=DeliveryId(f"dlv_{n}"), attempts=0, destination=to, event=event)


def ids(groups: list[list[ClaimedDelivery]]) -> list[list[str]]:
    return [[d.id for d in group] for group in groups]


WASSENGER = destination("dst_w", "wassenger")


def test_failed_events_to_a_wassenger_destination_share_posts_of_up_to_25() -> None:
    assert SPECS["wassenger"].batch is not None and SPECS["wassenger"].batch.max_size == 25
    got = batches([claimed(n, WASSENGER) for n in range(53)])
    assert ids(got) == [
        [f"dlv_{n}" for n in range(0, 25)],
        [f"dlv_{n}" for n in range(25, 50)],
        [f"dlv_{n}" for n in range(50, 53)],
    ]


def test_other_event_types_and_formats_go_alone() -> None:
    pipes = destination("dst_p", "pipes")
    mixed = [
        claimed(1, WASSENGER, "message:out:ack"),
        claimed(2, WASSENGER),
        claimed(3, pipes),  # pipes does not batch, failures included
        claimed(4, WASSENGER, "message:out:new"),
        claimed(5, pipes),
        claimed(6, WASSENGER),
    ]
    assert ids(batches(mixed)) == [["dlv_1"], ["dlv_2", "dlv_6"], ["dlv_3"], ["dlv_4"], ["dlv_5"]]


def test_destinations_are_never_mixed() -> None:
    other = destination("dst_w2", "wassenger")
    got = batches([claimed(1, WASSENGER), claimed(2, other), claimed(3, WASSENGER)])
    assert ids(got) == [["dlv_1", "dlv_3"], ["dlv_2"]]


def test_webhook_ids() -> None:
    one, two, three = (claimed(n, WASSENGER) for n in (1, 2, 3))
    assert webhook_id([one]) == "dlv_1"  # a lone delivery keeps its own, as ever
    batch_id = webhook_id([one, two])
    assert batch_id.startswith("batch_") and batch_id == webhook_id([two, one])
    assert webhook_id([one, three]) != batch_id  # other members, another id

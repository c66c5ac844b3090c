"""The sample message sent by a destination's test delivery (``test: true``)."""

from wahooks.models import Destination, EventType, MessageEvent, Number

SAMPLE_WA_ID = "15550000000"
# A business-scoped user id as Meta sends it: bots on current Meta clients (pywa) drop a
# message whose contact has none, and the test delivery must reach their handlers.
SAMPLE_USER_ID = "US.10000000000000000000"


def sample_event(destination: Destination, number: Number | None, now: float) -> MessageEvent:
    return MessageEvent(
        event_type=EventType.TEST.value,
        number_id=number.id if number else "num_test",
        display_phone_number=number.display_phone_number if number else "15550000001",
        phone_number_id=number.phone_number_id if number else "0",
        waba_id=number.waba_id if number else "0",
        conversation_id="conv_test",
        label=destination.label,
        item={
            "from": SAMPLE_WA_ID,
            "id": "wamid.test",
            "timestamp": str(int(now)),
            "type": "text",
            "text": {"body": "This is a test delivery from wahooks."},
        },
        contact={
            "profile": {"name": "wahooks test"},
            "wa_id": SAMPLE_WA_ID,
            "user_id": SAMPLE_USER_ID,
        },
        test=True,
    )

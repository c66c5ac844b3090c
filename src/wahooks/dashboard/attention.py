"""What needs a person's attention: destinations failing, backed off (circuit open) or
disabled (with the gateway's reason), and numbers whose health check says down or
degraded. Pure: it reads the records the store returned."""

from dataclasses import dataclass

from wahooks.models import Destination, Number


@dataclass(frozen=True, slots=True)
class Concern:
    kind: str  # "destination" or "number"
    id: str
    name: str
    state: str  # disabled / circuit open / failing / down / degraded
    detail: str
    since: float | None


def destination_concerns(destinations: list[Destination]) -> list[Concern]:
    found = []
    for d in destinations:
        name = d.label or d.url or d.method
        if not d.enabled:
            reason = d.disabled_reason or "disabled"
            found.append(Concern("destination", d.id, name, "disabled", reason, d.disabled_at))
        elif d.circuit_open_until is not None:
            detail = f"{d.circuit_failures} failures in a row; probing"
            found.append(Concern("destination", d.id, name, "open", detail, d.failing_since))
        elif d.consecutive_failures > 0:
            detail = f"{d.consecutive_failures} failed attempts since the last success"
            found.append(Concern("destination", d.id, name, "failing", detail, d.failing_since))
    return found


def number_concerns(numbers: list[Number]) -> list[Concern]:
    return [
        Concern(
            "number",
            n.id,
            n.display_name or n.display_phone_number,
            n.health,
            n.health_detail or "",
            n.health_checked_at,
        )
        for n in numbers
        if n.health in ("down", "degraded")
    ]

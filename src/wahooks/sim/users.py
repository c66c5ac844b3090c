"""A simulated WhatsApp user, as Meta names them: phone number, BSUID, username."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SimUser:
    """A simulated WhatsApp user."""

    wa_id: str
    name: str
    # Since 2026 a user may adopt a username; Meta may then withhold the phone number
    # (``hides_phone``): no ``wa_id`` in contacts, no ``from`` in messages, only the BSUID.
    username: str | None = None
    hides_phone: bool = False

    @property
    def user_id(self) -> str:
        # Business-scoped ids are opaque to us; derive a stable one so redeliveries match.
        number = int.from_bytes(hashlib.sha256(self.wa_id.encode()).digest()[:8], "big")
        return f"US.{number:020d}"

    def contact(self) -> Json:
        """The user as Meta lists it in `value.contacts[]`."""
        profile: Json = {"name": self.name}
        if self.username is not None:
            profile["username"] = self.username
        contact: Json = {"profile": profile, "user_id": self.user_id}
        if not self.hides_phone:
            contact["wa_id"] = self.wa_id
        return contact

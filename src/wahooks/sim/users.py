"""A simulated WhatsApp user, as Meta names them: phone number, BSUID, username."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
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
    # The BSUID, when Meta gave the user a new one (``user_changed_user_id``); else derived.
    bsuid: str | None = None

    @property
    def user_id(self) -> str:
        if self.bsuid is not None:
            return self.bsuid
        # Business-scoped ids are opaque to us; derive a stable one so redeliveries match.
        return derived_user_id(self.wa_id)

    def with_new_user_id(self) -> SimUser:
        """The same user after Meta gave them a new BSUID (their number, if any, stays)."""
        return replace(self, bsuid=derived_user_id(self.user_id))

    def contact(self) -> Json:
        """The user as Meta lists it in `value.contacts[]`."""
        profile: Json = {"name": self.name}
        if self.username is not None:
            profile["username"] = self.username
        contact: Json = {"profile": profile, "user_id": self.user_id}
        if not self.hides_phone:
            contact["wa_id"] = self.wa_id
        return contact


def derived_user_id(seed: str) -> str:
    """A BSUID-shaped id derived from ``seed`` (stable: redeliveries and tests match)."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return f"US.{number:020d}"

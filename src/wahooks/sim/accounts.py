"""Which access token may read which phone numbers and WhatsApp Business Accounts.

Meta answers a Graph read with the token's permissions: a token reads the phone-number
nodes of the WABAs it was granted and lists their ``phone_numbers`` edge; anything else is
the same "does not exist, cannot be loaded due to missing permissions" error, whether the
object exists or not. The simulator's own number (its settings) belongs to its own token;
``add`` gives it more numbers, each with the token that owns it, so a test can register
numbers that really prove ownership, and see a wrong token refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class SimNumber:
    """A phone number of a WABA, and the access token granted on that WABA."""

    phone_number_id: str
    waba_id: str
    display_phone_number: str
    access_token: str
    verified_name: str = "Wahooks Simulator"


class Accounts:
    def __init__(self, own: SimNumber) -> None:
        self._numbers: dict[str, SimNumber] = {own.phone_number_id: own}

    def add(self, number: SimNumber) -> None:
        """Another number (replacing one with the same phone-number id)."""
        self._numbers[number.phone_number_id] = number

    def knows(self, token: str) -> bool:
        """Whether Meta issued this token (it may still lack permission on a node)."""
        return any(n.access_token == token for n in self._numbers.values())

    def exists(self, phone_number_id: str) -> bool:
        return phone_number_id in self._numbers

    def number(self, token: str, phone_number_id: str) -> SimNumber | None:
        """The number if ``token`` may read it (was granted the number's WABA)."""
        number = self._numbers.get(phone_number_id)
        if number is None or self.of_waba(token, number.waba_id) is None:
            return None
        return number

    def of_waba(self, token: str, waba_id: str) -> list[SimNumber] | None:
        """The WABA's numbers, oldest first, if ``token`` was granted the WABA (owns one of
        its numbers); None if it may not read it."""
        numbers = [n for n in self._numbers.values() if n.waba_id == waba_id]
        if not any(n.access_token == token for n in numbers):
            return None
        return numbers

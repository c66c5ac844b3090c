"""Activation codes: short, easy to type, stored only as a hash.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as
``ABCD-EFGH``: about 40 random bits, so guessing one of the few codes pending on a number
before it expires is hopeless. A user may type it in lower case, with or without the dash
or a space, alone or inside a sentence ("my code is abcd efgh").
"""

import re
import secrets

from wahooks.digests import sha256_hex

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_HALF = CODE_LENGTH // 2
# Zero-width, so overlapping tokens are all tried: in "SEND ABCD EFGH", "SENDABCD" must not
# hide "ABCDEFGH".
_CANDIDATE = re.compile(
    rf"(?<![0-9A-Z])(?=([0-9A-Z]{{{_HALF}}})[-\s]?([0-9A-Z]{{{_HALF}}})(?![0-9A-Z]))"
)
MAX_CANDIDATES = 5  # codes looked up per message, however long it is


def new_code() -> str:
    """A fresh code in its display form, ``ABCD-EFGH``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:_HALF]}-{raw[_HALF:]}"


def normalize(code: str) -> str:
    """The code's canonical form: upper case, no separators."""
    return re.sub(r"[-\s]", "", code).upper()


def code_hash(number_id: str, code: str) -> str:
    """What is stored: SHA-256 of the number and the canonical code (codes are per number)."""
    return sha256_hex(f"{number_id}:{normalize(code)}")


def _is_code(candidate: str) -> bool:
    return len(candidate) == CODE_LENGTH and all(c in ALPHABET for c in candidate)


def candidates(text: str) -> list[str]:
    """The code-shaped tokens of a message, canonical, first ones first."""
    found: list[str] = []
    for match in _CANDIDATE.finditer(text.upper()):
        candidate = match.group(1) + match.group(2)
        if _is_code(candidate) and candidate not in found:
            found.append(candidate)
        if len(found) == MAX_CANDIDATES:
            break
    return found


def is_only_a_code(text: str) -> bool:
    """The whole message is one code (give or take spaces and punctuation around it)."""
    stripped = text.strip().strip(".,;:!?\"'()[]").strip()
    return _is_code(normalize(stripped)) and len(stripped) <= CODE_LENGTH + 1

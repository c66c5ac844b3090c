"""The SHA-256 helpers against published vectors, and the signature checks built on them."""

import base64

import pytest

from wahooks.digests import (
    HUB_PREFIX,
    hmac_sha256_b64,
    hmac_sha256_hex,
    hub_signature_valid,
    same,
    sha256_hex,
)

# RFC 4231, test case 2.
JEFE_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
JEFE_MESSAGE = b"what do ya want for nothing?"


def test_hmac_hex_matches_rfc_4231() -> None:
    assert hmac_sha256_hex("Jefe", JEFE_MESSAGE) == JEFE_HEX
    assert hmac_sha256_hex(b"Jefe", JEFE_MESSAGE) == JEFE_HEX  # str keys are their UTF-8


def test_hmac_b64_is_the_same_digest_in_base64() -> None:
    assert base64.b64decode(hmac_sha256_b64("Jefe", JEFE_MESSAGE)).hex() == JEFE_HEX


def test_sha256_hex() -> None:
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("") == empty == sha256_hex(b"")
    assert sha256_hex("é") == sha256_hex("é".encode())


def test_same_compares_any_text() -> None:
    assert same("abc", "abc")
    assert not same("abc", "abd")
    assert not same("é", "e")  # non-ASCII is compared, not refused


def test_hub_signature_accepts_metas_header_in_any_case() -> None:
    header = HUB_PREFIX + JEFE_HEX
    assert hub_signature_valid(JEFE_MESSAGE, header, "Jefe")
    assert hub_signature_valid(JEFE_MESSAGE, HUB_PREFIX + JEFE_HEX.upper() + " ", "Jefe")


@pytest.mark.parametrize(
    "header", [None, "", JEFE_HEX, "sha1=" + JEFE_HEX, HUB_PREFIX + "00" * 32, HUB_PREFIX]
)
def test_hub_signature_refuses_missing_malformed_and_wrong(header: str | None) -> None:
    assert not hub_signature_valid(JEFE_MESSAGE, header, "Jefe")


def test_hub_signature_refuses_another_secret() -> None:
    assert not hub_signature_valid(JEFE_MESSAGE, HUB_PREFIX + JEFE_HEX, "Jefe2")

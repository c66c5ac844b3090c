"""Activation codes: their shape, and finding them in what people type."""

from wahooks.pool.codes import (
    ALPHABET,
    CODE_LENGTH,
    candidates,
    code_hash,
    is_only_a_code,
    new_code,
    normalize,
)


def test_codes_are_short_unambiguous_and_random() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == CODE_LENGTH + 1 and code[4] == "-"
        assert all(c in ALPHABET for c in normalize(code))
    assert not set("01OIL") & set(ALPHABET)
    used = {c for code in codes for c in normalize(code)}
    assert used == set(ALPHABET)


def test_hash_is_per_number_and_ignores_how_the_code_was_typed() -> None:
    assert code_hash("num_a", "ABCD-EFGH") == code_hash("num_a", "abcd efgh")
    assert code_hash("num_a", "ABCD-EFGH") == code_hash("num_a", "ABCDEFGH")
    assert code_hash("num_a", "ABCD-EFGH") != code_hash("num_b", "ABCD-EFGH")
    assert "ABCD" not in code_hash("num_a", "ABCD-EFGH")


def test_candidates_in_what_people_type() -> None:
    assert candidates("K7QM-3XPA") == ["K7QM3XPA"]
    assert candidates("k7qm3xpa") == ["K7QM3XPA"]
    assert candidates("my code is k7qm 3xpa, thanks") == ["K7QM3XPA"]
    # Overlapping tokens are all tried: the real code is not hidden by a word before it.
    assert "ABCDEFGH" in candidates("send ABCD EFGH")
    # Look-alikes and other lengths are not codes.
    assert candidates("hello world, how are you?") == []
    assert candidates("K7QM-3XP") == [] and candidates("K7QM-3XPA9") == []
    assert candidates("PASSWORD") == []  # O is not in the alphabet
    assert len(candidates(" ".join(["K7QM3XPA", "ABCDEFGH"] * 20))) <= 5


def test_only_a_code() -> None:
    assert is_only_a_code(" k7qm-3xpa ")
    assert is_only_a_code("K7QM3XPA.")
    assert not is_only_a_code("code K7QM3XPA")
    assert not is_only_a_code("hello")

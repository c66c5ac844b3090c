"""The media link signer (media/links.py) on its own: how long a link works, what it signs,
what it accepts, and the setting that shortens it. End to end: test_direct_links.py."""

import logging
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from wahooks.config import Settings, load_settings
from wahooks.errors import ConfigError
from wahooks.media.links import LinkCheck, MediaLinks
from wahooks.models import MediaInfo
from wahooks.secrets import Keyring

KEY, OLD_KEY = Keyring.generate_key(), Keyring.generate_key()
NOW = 1_750_000_000.0
HOUR = 3600.0
MEDIA = MediaInfo(
    media_id="aBcDeFgHiJkLmNoPqRs1t",
    mime_type="image/jpeg",
    byte_size=10,
    created_at=NOW,
    expires_at=NOW + 48 * HOUR,
)


def links(keys: tuple[str, ...] = (KEY,), **settings: object) -> MediaLinks:
    values = {"public_url": "https://gw.example.com/", **settings}
    return MediaLinks.from_settings(Settings(**values), Keyring(list(keys)))  # type: ignore[arg-type]


def query(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    return parts.path.rsplit("/", 1)[1], q["expires"][0], q["signature"][0]


def test_a_link_is_absolute_under_the_public_url() -> None:
    url = links().signed(MEDIA, NOW).url
    assert url is not None
    assert url.startswith("https://gw.example.com/v1/media/file/aBcDeFgHiJkLmNoPqRs1t?expires=")


def test_by_default_a_link_lasts_as_long_as_the_file_is_kept() -> None:
    signer = links()
    assert signer.expiry(MEDIA, NOW) == int(NOW + 48 * HOUR)  # the file's TTL
    # Sent late (a retry after the TTL): the file outlives its last delivery by the grace.
    assert signer.expiry(MEDIA, NOW + 50 * HOUR) == int(NOW + 51 * HOUR)
    # Never past the longest retention, whatever is still pending.
    assert signer.expiry(MEDIA, NOW + 30 * 24 * HOUR) == int(NOW + 30 * 24 * HOUR)


def test_a_configured_link_time_shortens_it_never_lengthens_it() -> None:
    assert links(media_link_ttl_s=600).expiry(MEDIA, NOW) == int(NOW + 600)
    long = links(media_link_ttl_s=100 * 24 * HOUR)
    assert long.expiry(MEDIA, NOW) == int(NOW + 48 * HOUR)


def test_the_link_checks_and_nothing_else_does() -> None:
    signer = links()
    media_id, expires, signature = query(signer.url(MEDIA.media_id or "", int(NOW + 60)))
    assert signer.check(media_id, expires, signature, NOW) is LinkCheck.VALID
    assert signer.check(media_id, expires, signature.upper(), NOW) is LinkCheck.VALID  # hex
    assert signer.check(media_id, expires, signature, NOW + 60) is LinkCheck.EXPIRED
    forged = [
        ("aBcDeFgHiJkLmNoPqRs1u", expires, signature),  # another file
        (media_id, str(int(expires) + 1), signature),  # a longer life
        (media_id, "0" + expires, signature),  # the same number, spelled otherwise
        (media_id, expires, signature[:-1] + ("0" if signature[-1] != "0" else "1")),
        (media_id, expires, None),
        (media_id, None, signature),
        (media_id, "", ""),
        (media_id, "-5", signature),
        (media_id, "9" * 5000, signature),
        (media_id, "١٢٣", signature),  # digits, but not ASCII ones
    ]
    for case in forged:
        assert signer.check(*case, NOW) is LinkCheck.FORGED, case
    # Another gateway's key (another keyring) signs links this one refuses.
    other = links(keys=(OLD_KEY,))
    assert other.check(media_id, expires, signature, NOW) is LinkCheck.FORGED


def test_links_signed_before_a_key_rotation_still_work() -> None:
    before = links(keys=(OLD_KEY,))
    after = links(keys=(KEY, OLD_KEY))  # a new first key; the old one still listed
    media_id, expires, signature = query(before.url(MEDIA.media_id or "", int(NOW + 60)))
    assert after.check(media_id, expires, signature, NOW) is LinkCheck.VALID
    assert links(keys=(KEY,)).check(media_id, expires, signature, NOW) is LinkCheck.FORGED
    new_signature = query(after.url(media_id, int(expires)))[2]
    assert new_signature != signature  # the first key signs


def test_no_link_for_a_file_we_do_not_have() -> None:
    signer = links()
    gone = MediaInfo(media_id=None, mime_type="image/jpeg", byte_size=0, unavailable=True)
    assert signer.signed(gone, NOW).url is None
    assert signer.signed(replace(MEDIA, unavailable=True), NOW).url is None


def test_the_signing_key_is_derived_and_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    keyring = Keyring([KEY])
    (derived,) = keyring.derive("media-links")
    assert derived != KEY and KEY not in derived
    assert keyring.derive("something-else") != (derived,)  # one key per purpose
    signer = links()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("%r %r", signer, keyring)
    assert KEY not in caplog.text and signer.keys[0] not in caplog.text


@pytest.mark.parametrize("value", ["-1", "30", "59.9", "not a number"])
def test_a_link_time_below_a_minute_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="WAHOOKS_MEDIA_LINK_TTL_S"):
        load_settings({"WAHOOKS_MEDIA_LINK_TTL_S": value})


@pytest.mark.parametrize(("value", "ttl"), [("0", 0.0), ("60", 60.0), ("86400", 86400.0)])
def test_a_link_time_from_the_environment(value: str, ttl: float) -> None:
    assert load_settings({"WAHOOKS_MEDIA_LINK_TTL_S": value}).media_link_ttl_s == ttl

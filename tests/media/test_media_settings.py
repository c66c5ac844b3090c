"""The media settings: allow-list parsing from the environment, store URL schemes."""

import pytest

from wahooks.config import describe_options, load_settings
from wahooks.errors import ConfigError
from wahooks.media.addresses import AddressPolicy
from wahooks.media.fetch import FetchPolicy


@pytest.mark.parametrize(
    ("raw", "networks"),
    [
        ("", ()),
        ("127.0.0.1", ("127.0.0.1/32",)),
        ("127.0.0.1/32, ::1", ("127.0.0.1/32", "::1/128")),
        ('["10.1.2.3/8"]', ("10.0.0.0/8",)),
    ],
)
def test_allow_list_from_the_environment(raw: str, networks: tuple[str, ...]) -> None:
    settings = load_settings({"WAHOOKS_OUTBOUND_ALLOW_NETWORKS": raw})
    assert settings.outbound_allow_networks == networks
    AddressPolicy.allowing(settings.outbound_allow_networks)  # usable as is


def test_allow_list_is_empty_by_default() -> None:
    assert load_settings({}).outbound_allow_networks == ()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WAHOOKS_OUTBOUND_ALLOW_NETWORKS": "intranet"}, "WAHOOKS_OUTBOUND_ALLOW_NETWORKS"),
        ({"WAHOOKS_MEDIA_URL": "ftp://files"}, "WAHOOKS_MEDIA_URL"),
        ({"WAHOOKS_MEDIA_S3_PART_BYTES": "1024"}, "WAHOOKS_MEDIA_S3_PART_BYTES"),
        ({"WAHOOKS_MEDIA_FETCH_ATTEMPTS": "0"}, "WAHOOKS_MEDIA_FETCH_ATTEMPTS"),
    ],
)
def test_bad_media_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_secrets_with_commas_stay_strings() -> None:
    settings = load_settings({"WAHOOKS_MEDIA_S3_SECRET_ACCESS_KEY": "a,b/c+d"})
    assert settings.media_s3_secret_access_key == "a,b/c+d"


def test_fetch_policy_from_settings() -> None:
    settings = load_settings(
        {"WAHOOKS_MEDIA_FETCH_ATTEMPTS": "6", "WAHOOKS_MEDIA_FETCH_TIMEOUT_S": "60"}
    )
    policy = FetchPolicy.from_settings(settings)
    assert (policy.attempts, policy.timeout_s, policy.backoff_s) == (6, 60, 1.0)


def test_help_lists_the_media_settings() -> None:
    text = describe_options()
    for name in ("MEDIA_S3_ENDPOINT_URL", "MEDIA_FETCH_TIMEOUT_S", "OUTBOUND_ALLOW_NETWORKS"):
        assert f"WAHOOKS_{name}" in text

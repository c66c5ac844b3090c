"""Settings: defaults, then the TOML file, then WAHOOKS_* variables, then explicit values."""

from pathlib import Path

import pytest

from wahooks.config import DEFAULT_RETRY_SCHEDULE, Settings, load_settings
from wahooks.config.reference import DOCUMENT, GROUPS, configuration_markdown
from wahooks.errors import ConfigError


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///./data/wahooks.db"
    assert settings.default_retry_schedule == DEFAULT_RETRY_SCHEDULE
    assert settings.default_timeout_s == 10


def test_environment_wins_over_file_and_overrides_win_over_both(tmp_path: Path) -> None:
    config = tmp_path / "wahooks.toml"
    config.write_text('port = 9000\nlog_level = "DEBUG"\ndefault_timeout_s = 5\n')
    env = {"WAHOOKS_CONFIG": str(config), "WAHOOKS_PORT": "9100"}
    settings = load_settings(env)
    assert (settings.port, settings.log_level, settings.default_timeout_s) == (9100, "DEBUG", 5)
    assert load_settings(env, port=9200).port == 9200


def test_lists_from_the_environment() -> None:
    as_json = load_settings({"WAHOOKS_DEFAULT_RETRY_SCHEDULE": "[0, 5, 60]"})
    as_csv = load_settings({"WAHOOKS_DEFAULT_RETRY_SCHEDULE": "0,5,60"})
    assert as_json.default_retry_schedule == as_csv.default_retry_schedule == (0, 5, 60)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WAHOOKS_PORT": "eighty"}, "WAHOOKS_PORT"),
        ({"WAHOOKS_DEFAULT_RETRY_SCHEDULE": "[]"}, "WAHOOKS_DEFAULT_RETRY_SCHEDULE"),
        ({"WAHOOKS_DEFAULT_TIMEOUT_S": "90"}, "WAHOOKS_DEFAULT_TIMEOUT_S"),
        ({"WAHOOKS_SQLITE_SYNCHRONOUS": "OFF"}, "WAHOOKS_SQLITE_SYNCHRONOUS"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_unreadable_config_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 1")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_settings({}, broken)


def test_every_option_is_described_and_in_one_group() -> None:
    """docs/configuration.md is made from the descriptions: each option needs its line."""
    grouped = [
        name for group in GROUPS for name in group.__annotations__ if name in Settings.model_fields
    ]
    assert sorted(grouped) == sorted(Settings.model_fields)
    undescribed = [
        name
        for name, field in Settings.model_fields.items()
        if not (field.description or "").strip() or "\n" in (field.description or "")
    ]
    assert not undescribed, undescribed


def test_the_configuration_page_is_current() -> None:
    """Regenerate with `make docs` (`wahooks config-reference > docs/configuration.md`)."""
    page = Path(__file__).resolve().parents[1] / DOCUMENT
    assert page.read_text() == configuration_markdown(), "docs/configuration.md is stale: make docs"


def test_unknown_variables_are_refused_but_tests_and_listen_variables_pass() -> None:
    with pytest.raises(ConfigError, match="did you mean WAHOOKS_PORT"):
        load_settings({"WAHOOKS_PROT": "9000"})
    with pytest.raises(ConfigError, match="unknown setting WAHOOKS_ZZZ; see serve --help"):
        load_settings({"WAHOOKS_ZZZ": "1"})
    env = {"WAHOOKS_TEST_POSTGRES_URL": "postgresql://x", "WAHOOKS_API_KEY": "k", "OTHER": "1"}
    assert load_settings(env).port == Settings().port

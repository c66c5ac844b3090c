"""Reading the options: defaults, then the TOML file, then WAHOOKS_* variables.

This module is the only reader of the environment; everything else receives a Settings
instance.
"""

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from wahooks.config.settings import Settings
from wahooks.errors import ConfigError

ENV_PREFIX = "WAHOOKS_"
# Variables of ours that are not settings: the config file, `wahooks listen`'s key, and the
# test suite's own (WAHOOKS_TEST_*), which a developer's shell may well export.
NOT_SETTINGS = frozenset({"WAHOOKS_CONFIG", "WAHOOKS_API_KEY"})
TEST_PREFIX = "WAHOOKS_TEST_"


def known_variables() -> list[str]:
    return sorted({ENV_PREFIX + name.upper() for name in Settings.model_fields} | NOT_SETTINGS)


def check_variables(environ: Mapping[str, str]) -> None:
    """A misspelt WAHOOKS_ variable is an error naming the closest known one: ignoring it
    would start the gateway on a default (a fresh SQLite file instead of the database)."""
    known = known_variables()
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name.startswith(TEST_PREFIX) or name in known:
            continue
        # Compared without the prefix every name shares, or anything would look close.
        suffixes = [k.removeprefix(ENV_PREFIX) for k in known]
        close = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), suffixes, n=1)
        hint = f"; did you mean {ENV_PREFIX}{close[0]}?" if close else "; see serve --help"
        raise ConfigError(f"unknown setting {name}{hint}")


def load_settings(
    environ: Mapping[str, str],
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file, then WAHOOKS_* variables, then explicit overrides."""
    check_variables(environ)
    values: dict[str, Any] = {}
    path = config_file or (Path(environ["WAHOOKS_CONFIG"]) if "WAHOOKS_CONFIG" in environ else None)
    if path is not None:
        try:
            values.update(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    for name, field in Settings.model_fields.items():
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is None:
            continue
        values[name] = _parse_env(raw) if field.annotation not in (str,) else raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc


def _parse_env(raw: str) -> Any:
    """Lists come as JSON (``[0, 5, 60]``) or comma-separated; scalars stay strings for
    pydantic to coerce."""
    text = raw.strip()
    if text.startswith("["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return raw
    if "," in text:
        return [part.strip() for part in text.split(",")]
    return raw


def describe_options() -> str:
    """One line per option for `wahooks serve --help`."""
    lines = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, tuple):
            default = ",".join(f"{d:g}" for d in default)
        lines.append(f"  {ENV_PREFIX}{name.upper():<28} {field.description} [default: {default}]")
    return "\n".join(lines)

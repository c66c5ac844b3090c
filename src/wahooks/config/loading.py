"""Reading the options: defaults, then the TOML file, then WAHOOKS_* variables.

This module is the only reader of the environment; everything else receives a Settings
instance.
"""

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from wahooks.config.settings import Settings
from wahooks.errors import ConfigError

ENV_PREFIX = "WAHOOKS_"


def load_settings(
    environ: Mapping[str, str],
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file, then WAHOOKS_* variables, then explicit overrides."""
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

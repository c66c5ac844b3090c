"""The base of every group of options: frozen (a Settings instance is shared by every
component of a gateway, none may change it under the others) and strict about names (a
misspelt option in the TOML file is an error, not a silently ignored line)."""

from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

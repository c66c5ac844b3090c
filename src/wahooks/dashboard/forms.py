"""Reading posted forms into the API's own request models, so a form is checked exactly as
the same request to /v1 would be (the model's validators, then the route's checks).

A form field is text: these helpers turn it into what the JSON body would hold (empty:
absent, numbers as numbers, lists from commas) and name the field in camelCase, as the API's
errors do.
"""

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from starlette.datastructures import FormData

from wahooks.errors import InvalidRequest

Model = TypeVar("Model", bound=BaseModel)
MAX_FIELD_CHARS = 4096


def text(form: FormData, name: str) -> str | None:
    """The field's text, stripped; None when absent or empty."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidRequest(f"{to_camel(name)}: too long")
    return value or None


def number(form: FormData, name: str) -> float | None:
    value = text(form, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidRequest(f"{to_camel(name)}: not a number") from None


def whole(form: FormData, name: str) -> int | None:
    value = number(form, name)
    if value is None:
        return None
    if not value.is_integer():
        raise InvalidRequest(f"{to_camel(name)}: a whole number")
    return int(value)


def numbers(form: FormData, name: str) -> list[float] | None:
    """A comma-separated list of numbers (a retry schedule)."""
    value = text(form, name)
    if value is None:
        return None
    try:
        return [float(part) for part in value.replace(" ", "").split(",") if part]
    except ValueError:
        raise InvalidRequest(f"{to_camel(name)}: numbers separated by commas") from None


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def choices(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def build(model: type[Model], fields: dict[str, object]) -> Model:
    """``model`` from ``fields`` (None values left out); InvalidRequest names what failed."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise InvalidRequest(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as the API words them: ``field: message``; …"""
    parts = []
    for error in exc.errors():
        where = ".".join(to_camel(str(p)) for p in error["loc"] if not isinstance(p, int))
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)

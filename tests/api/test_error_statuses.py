"""The HTTP status of each domain error is decided in api/errors.py only, and is the one
each class answered with when the classes carried it themselves (``http_status``)."""

import importlib
import pkgutil

import wahooks
from wahooks.api.errors import STATUSES, status_of
from wahooks.errors import ConfigError, NotFound, PayloadTooLarge, WahooksError

# What the API answered before the mapping moved out of the classes: kept byte for byte.
EXPECTED = {
    "WahooksError": 500,
    "InvalidRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "Conflict": 409,
    "Gone": 410,
    "ServiceWindowExpired": 422,
    "PayloadTooLarge": 413,
    "UpstreamError": 502,
    "ConfigError": 500,
    "MediaTooLarge": 413,
    "InlineTooLarge": 413,
    "DownloadTooLarge": 413,
    "BlobNotFound": 404,
    "BlobRangeError": 416,
    "BlobTooLarge": 413,
    "InvalidBlobKey": 400,
    "ForbiddenAddress": 400,
}


def _every_error_class() -> list[type[WahooksError]]:
    """Every WahooksError subclass of the package, each module imported first so none hides."""
    for module in pkgutil.walk_packages(wahooks.__path__, "wahooks."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[WahooksError]] = []
    todo: list[type[WahooksError]] = [WahooksError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("wahooks.") and cls not in found:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _status(cls: type[WahooksError]) -> int:
    return status_of(cls.__new__(cls))


def test_each_error_keeps_its_status() -> None:
    classes = {cls.__name__: cls for cls in _every_error_class()}
    assert set(EXPECTED) <= set(classes), set(EXPECTED) - set(classes)
    assert {name: _status(classes[name]) for name in EXPECTED} == EXPECTED


def test_no_error_class_carries_http() -> None:
    """HTTP lives in api/: a class with ``http_status`` of its own would be ignored. Give
    it a line in api/errors.py's STATUSES (or a base class that has one) instead."""
    carrying = [cls.__qualname__ for cls in _every_error_class() if hasattr(cls, "http_status")]
    assert not carrying, carrying


def test_subclasses_inherit_and_unknown_is_500() -> None:
    class Missing(NotFound):
        pass

    class Huge(PayloadTooLarge):
        pass

    class Odd(WahooksError):
        pass

    assert (_status(Missing), _status(Huge), _status(Odd), _status(ConfigError)) == (
        404,
        413,
        500,
        500,
    )
    assert all(issubclass(cls, WahooksError) for cls in STATUSES)

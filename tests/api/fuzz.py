"""Schemathesis against a running gateway: every operation of its own /openapi.json, with
inputs that fit the schema and inputs that do not, some of them naming real resources.

Runs in a worker thread (schemathesis calls with the blocking ``requests``) while the
gateway answers from the test's event loop. Failures are collected per operation, so one
run lists every broken operation with its falsifying request, not only the first.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# not_a_server_error: nothing a tenant sends may make the server answer 5xx, except an
# upstream status (502-504) the operation documents: a media URL that cannot be reached is
# a 502 media_url_failed, as an unreachable Graph API is. The others: every answer is one
# the document describes, with the content type and the body schema it gives.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
UPSTREAM_STATUSES = {"502", "503", "504"}
LAST = {"PUT": 1, "PATCH": 1, "DELETE": 2}

# Values that broke or could break a route, planted into one string parameter or body field
# of some requests: the generated strings rarely hit them (schemathesis keeps NUL out of
# paths and queries, for one).
NASTY = (
    "\x00",  # PostgreSQL text cannot hold NUL
    "a\x00b",
    "²",  # a digit to str.isdigit(), not to int()
    "٣",
    "9" * 19,  # past 64-bit integer columns
    "9" * 5000,  # past int()'s 4300-digit limit
    "-1",
    "1e309",
    "%",
    "%00",
    "..",
    "../../etc/passwd",
    " ",
    "\t\n",
    "\u202e\ufeff😀",
    "' OR '1'='1",
    "null",
    "x" * 5000,
    "https://unreachable.invalid/file.png",  # a name the closed gateway will not look up
    "http://127.0.0.1:9/file.png",  # loopback, where nothing listens
    "data:image/png;base64,iVBORw0KGgo=",
)


@dataclass
class Known:
    """Real resources of the fuzzed tenant, planted into some generated requests: random ids
    only ever reach the 404 branch; these reach the code behind it."""

    path_parameters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    body_fields: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass
class Report:
    # operation → status code → how many answers had it
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    seconds_per_operation: dict[str, float] = field(default_factory=dict)


def _plant(case: Case, known: Known, choice: int) -> None:
    for name, values in known.path_parameters.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = values[choice % len(values)]
    if isinstance(case.body, dict):
        for name, values in known.body_fields.items():
            if name in case.body:
                case.body[name] = values[choice % len(values)]


def _plant_nasty(case: Case, target: int, value: str) -> None:
    """Put ``value`` in the ``target``-th (modulo) path or query parameter or body field."""
    places: list[tuple[dict[str, object], str]] = []
    for values in (case.path_parameters, case.query):
        places += [(values, name) for name in sorted(values or {})]
    if isinstance(case.body, dict):
        places += [(case.body, name) for name in sorted(case.body)]
    if places:
        values, name = places[target % len(places)]
        values[name] = value


def _fuzz_operation(
    operation: APIOperation,
    call: Callable[[Case], Response],
    known: Known,
    max_examples: int,
    statuses: Counter[int],
) -> None:
    """Run one operation, counting the answers' statuses into ``statuses``. Raises the
    first failure found (shrunk by hypothesis to a small example)."""
    upstream = {int(s) for s in operation.definition.raw.get("responses", {})} & {
        int(s) for s in UPSTREAM_STATUSES
    }
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        # The budget is this many inputs per operation, never a time: a busy machine runs
        # the same cases, only slower. Derandomized: the same inputs on every run (seeded
        # from the test), so a failure found once is found again.
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,  # no .hypothesis/ directory in the work tree
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=strategy,
        plant=st.none() | st.integers(0, 7),
        nasty=st.none() | st.tuples(st.integers(0, 99), st.sampled_from(NASTY)),
    )
    def run(case: Case, plant: int | None, nasty: tuple[int, str] | None) -> None:
        if plant is not None:
            _plant(case, known, plant)
        if nasty is not None:
            _plant_nasty(case, *nasty)
        response = call(case)
        statuses[response.status_code] += 1
        checks = CHECKS[1:] if response.status_code in upstream else CHECKS
        case.validate_response(response, checks=checks)

    run()


def fuzz(
    base_url: str,
    api_key: str,
    known: Known,
    *,
    max_examples: int,
    only: Collection[str] | None = None,
) -> Report:
    """Run every operation of ``base_url``'s document (or those labelled in ``only``, as
    "GET /v1/..."), ``max_examples`` inputs each, with ``api_key``."""
    started = time.monotonic()
    # Requests carry the tenant's key: leaving it out or mangling it would only ever reach
    # the 401 of the auth layer (tested on its own in test_validation.py), not the route.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json", config=config)
    report = Report()
    session = requests.Session()
    auth = {"Authorization": f"Bearer {api_key}"}

    def call(case: Case) -> Response:
        return case.call(session=session, headers=auth, timeout=30)

    # Changes, then deletions, last: a number's token or Graph URL changed, a destination
    # deleted, would leave the operations after them nothing real to work on.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: LAST.get(op.method.upper(), 0),
    )
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        if only is not None and label not in only:
            continue
        statuses = report.statuses[label] = Counter()
        operation_started = time.monotonic()
        try:
            _fuzz_operation(operation, call, known, max_examples, statuses)
        except Exception as exc:  # every failing operation is reported, not only the first
            report.failures[label] = f"{type(exc).__name__}: {exc}"
        report.seconds_per_operation[label] = time.monotonic() - operation_started
    report.seconds = time.monotonic() - started
    return report


def refused(report: Report) -> set[str]:
    """The operations that refused this key (a 401 or 403) and did nothing else for it: no
    answer but those and 400 (the validation of parameters, before the key is looked at)."""
    return {
        label
        for label, counts in report.statuses.items()
        if counts.keys() & {401, 403} and counts.keys() <= {400, 401, 403}
    }


def describe(report: Report, key: str = "") -> str:
    lines = [f"{len(report.statuses)} operations {key} in {report.seconds:.1f} s; answers:"]
    lines += [
        f"  {label} ({report.seconds_per_operation.get(label, 0):.1f} s): "
        + ", ".join(f"{n}x {status}" for status, n in sorted(counts.items()))
        for label, counts in report.statuses.items()
    ]
    for label, failure in report.failures.items():
        lines += ["", f"=== {label}", failure]
    return "\n".join(lines)

"""The health decision, computed in delivery/health.py before the store records it: which
destinations' runs of failures are reset or extended, which are gone, and the reason a
count written by the store disables a destination (pure: no database, no clock)."""

from wahooks.delivery.health import HealthPolicy, health_update
from wahooks.models import AttemptDecision, AttemptResult, FailureRun


def attempt(at: float, status: int | None, *, error: str | None = None) -> AttemptDecision:
    ok = status is not None and 200 <= status < 300
    result = AttemptResult(
        delivery_id=f"dlv_{at}",
        started_at=at,
        status_code=status,
        latency_ms=1.0,
        response_excerpt="",
        error=None if ok else (error or "status_5xx"),
    )
    return AttemptDecision(result=result, next_attempt_at=None, disable_destination=status == 410)


def test_failures_are_counted_from_the_first_one() -> None:
    update = health_update([(attempt(20, 500), "d1"), (attempt(10, 503), "d1")], HealthPolicy())
    assert update.runs == [
        FailureRun(
            destination_id="d1", reset=False, failures=2, since=10, gone_reason=None, transient=2
        )
    ]


def test_a_success_resets_the_run_to_the_failures_after_it() -> None:
    decisions = [(attempt(10, 500), "d1"), (attempt(20, 200), "d1"), (attempt(30, 500), "d1")]
    assert health_update(decisions, HealthPolicy()).runs == [
        FailureRun(
            destination_id="d1", reset=True, failures=1, since=30, transient=1, answered=True
        )
    ]


def test_successes_of_a_healthy_destination_change_nothing() -> None:
    decisions = [(attempt(10, 200), "d1"), (attempt(11, 200), "d2")]
    update = health_update(decisions, HealthPolicy(), healthy={"d1"})
    assert update.runs == [
        FailureRun(destination_id="d2", reset=True, failures=0, since=None, answered=True)
    ]


def test_skipped_and_internal_attempts_are_neither_success_nor_failure() -> None:
    decisions = [(attempt(10, None, error="internal"), "d1"), (attempt(11, None), "d1")]
    update = health_update(decisions[:1], HealthPolicy())
    assert update.runs == []
    # A connection error (no status) is a failure.
    assert health_update(decisions[1:], HealthPolicy()).runs[0].failures == 1


def test_a_410_disables_with_its_reason() -> None:
    (run,) = health_update([(attempt(10, 410), "d1")], HealthPolicy()).runs
    assert run.gone_reason == "receiver answered 410 Gone"
    assert run.failures == 1


def test_the_policy_judges_the_counts_the_store_wrote() -> None:
    judge = health_update([], HealthPolicy(5, 3600)).disable_reason
    assert judge(4, 0.0, 7200.0) is None  # too few
    assert judge(5, 0.0, 3599.0) is None  # too short
    assert judge(5, 0.0, 3600.0) == "5 consecutive failed attempts over 1 h 0 min"
    assert HealthPolicy(0, 0).disable_reason(10**6, 0.0, 1e9) is None  # never for failures

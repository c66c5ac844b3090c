"""Nothing secret in a log line, whoever wrote it."""

import logging

import orjson
import pytest

from wahooks.logs import redact, setup_logging

KEY = "pk_live_" + "A1b2C3d4" * 4


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1:5000 - "WebSocket /ws?apiKey={KEY}&ack=1" [accepted]',
        f"GET /ingress/meta?hub.mode=subscribe&hub.verify_token=s3cret-v&hub.challenge=1 {KEY}",
        "Authorization: Bearer EAAGm0PX4ZCpsBA-token-value",
        "retrying https://graph.example/v21.0/123?access_token=EAAG-tok&fields=id",
        "op_live_" + "z" * 32 + " and ak_live_" + "q" * 32,
    ],
)
def test_redact_removes_keys_tokens_and_secret_parameters(line: str) -> None:
    out = redact(line)
    for secret in (KEY, "s3cret-v", "EAAGm0PX4ZCpsBA-token-value", "EAAG-tok", "z" * 32, "q" * 32):
        assert secret not in out, out
    assert "[redacted]" in out


def test_harmless_text_is_unchanged() -> None:
    line = "delivery dlv_123 to https://example.com/hook answered 500 (next_token=abc)"
    assert redact(line) == line


@pytest.mark.parametrize("json", [False, True])
def test_the_handlers_redact_messages_and_exceptions(
    json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", json=json)
        log = logging.getLogger("uvicorn.error")
        log.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:1", f"/ws?apiKey={KEY}")
        try:
            raise RuntimeError(f"upstream refused Bearer {KEY}")
        except RuntimeError:
            log.exception("failed")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert KEY not in err and err.count("[redacted]") >= 2
    if json:
        assert all(orjson.loads(line)["level"] for line in err.splitlines() if line)

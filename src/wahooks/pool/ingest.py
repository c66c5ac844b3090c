"""What a pool number's messages need decided before the ingest transaction: which
activation codes a text may carry (hashed as stored) and what the replies say, so the store
only looks them up and records the outcome."""

from collections.abc import Mapping
from dataclasses import replace

from wahooks.models import CodeCandidates, InboundMessage, IngestBatch, Number
from wahooks.pool.codes import candidates, code_hash, is_only_a_code
from wahooks.pool.notices import NoticePolicy


def for_ingest(
    batch: IngestBatch, numbers: Mapping[str, Number], policy: NoticePolicy
) -> IngestBatch:
    """``batch`` with its pool numbers' code candidates and the notice rules."""
    codes: dict[str, CodeCandidates] = {}
    for msg in batch.messages:
        number = numbers[msg.phone_number_id]
        if number.tenant_id is not None:
            continue
        text = message_text(msg)
        if text is not None:
            codes[msg.wamid] = CodeCandidates(
                hashes=tuple(code_hash(number.id, c) for c in candidates(text)),
                only_a_code=is_only_a_code(text),
            )
    if not codes and all(numbers[m.phone_number_id].tenant_id for m in batch.messages):
        return batch
    return replace(batch, codes=codes, notices=policy.rules())


def message_text(msg: InboundMessage) -> str | None:
    if msg.type != "text":
        return None
    body = msg.item.get("text")
    value = body.get("body") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None

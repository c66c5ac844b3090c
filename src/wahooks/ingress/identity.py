"""Which updates of a POST give a user new ids, and what the new ids are: read here, above
the store, which then moves the user's conversations and activation in the ingest's
transaction (``store/move_ops.py``).

Meta reports a change of a user's ids as a system message on the ``messages`` field
(Meta's system messages webhook reference, and its changelog of Aug 11, 2026):

- ``user_changed_number``: the user's new phone number is ``system.wa_id`` (``new_wa_id``
  before Graph v12), and the BSUID Meta generates with it is ``system.user_id``; the old
  number is the message's ``from`` (``system.customer`` before v12, when the type was
  ``customer_changed_number``);
- ``user_changed_user_id``: only the BSUID changed: the new one is ``system.user_id``;
  no phone number comes with it.

Both carry ``system.previous_user_id`` (and ``previous_parent_user_id``); system messages
have no ``contacts``. Earlier versions of Meta's BSUID guide described a ``user_id_update``
webhook field instead; Meta has since said it is not a field one can subscribe to, but
gateways in front of Meta still forward it. Its items are read with the same names (the new
``user_id``, the ``previous_user_id``, the ``wa_id`` when Meta shares it), leniently: an item
without both an old and a new id is left alone, and the change is still delivered as
``user:update``.
"""

from dataclasses import replace

from wahooks.models import IdentityChange, InboundMessage, IngestBatch, JsonObject, UnhandledUpdate

NUMBER_CHANGES = frozenset({"user_changed_number", "customer_changed_number"})
IDENTITY_CHANGES = NUMBER_CHANGES | {"user_changed_user_id"}


def with_identity_changes(batch: IngestBatch) -> IngestBatch:
    """``batch`` with each update that gives a user new ids carrying what they are."""
    messages = [_message(m) for m in batch.messages]
    unhandled = [_field_change(u) for u in batch.unhandled]
    if any(m.identity_change for m in messages) or any(u.identity_changes for u in unhandled):
        return replace(batch, messages=messages, unhandled=unhandled)
    return batch


def _message(msg: InboundMessage) -> InboundMessage:
    system = msg.item.get("system")
    if msg.type != "system" or not isinstance(system, dict) or msg.group_id is not None:
        return msg
    if system.get("type") not in IDENTITY_CHANGES:
        return msg
    new_wa_id = None
    if system.get("type") in NUMBER_CHANGES:
        new_wa_id = _text(system, "wa_id") or _text(system, "new_wa_id")
    new_user_id = _text(system, "user_id")
    known = _ids(
        _text(msg.item, "from"),
        _text(system, "customer"),
        _text(msg.item, "from_user_id"),
        _text(system, "previous_user_id"),
        _text(msg.contact, "wa_id"),
        _text(msg.contact, "user_id"),
        skip=(new_wa_id, new_user_id),
    )
    if not known or (new_wa_id is None and new_user_id is None):
        return msg
    change = IdentityChange(
        phone_number_id=msg.phone_number_id,
        known_ids=known,
        new_wa_id=new_wa_id,
        new_user_id=new_user_id,
    )
    # The message itself is the user's under the new ids: its reply address is the new
    # number, else the new BSUID for a user we know only by BSUID, else the number we know.
    if new_wa_id is not None:
        address = new_wa_id
    elif _text(msg.item, "from") is None and new_user_id is not None:
        address = new_user_id
    else:
        address = msg.from_wa_id
    return replace(msg, from_wa_id=address, identity_change=change)


def _field_change(update: UnhandledUpdate) -> UnhandledUpdate:
    if update.field != "user_id_update" or update.phone_number_id is None:
        return update
    found = update.value.get("user_id_update")
    items = found if isinstance(found, list) else [update.value]
    changes: list[IdentityChange] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        new_user_id = _text(item, "user_id") or _text(item, "new_user_id")
        known = _ids(
            _text(item, "wa_id"),
            _text(item, "previous_user_id") or _text(item, "old_user_id"),
            skip=(new_user_id,),
        )
        if new_user_id is None or not known:
            continue
        changes.append(IdentityChange(
            phone_number_id=update.phone_number_id, known_ids=known, new_wa_id=None,
            new_user_id=new_user_id,
        ))  # fmt: skip
    return replace(update, identity_changes=tuple(changes)) if changes else update


def _ids(*found: str | None, skip: tuple[str | None, ...]) -> tuple[str, ...]:
    """The ids found, each once, in order, leaving out the new ones."""
    ids: list[str] = []
    for value in found:
        if value is not None and value not in ids and value not in skip:
            ids.append(value)
    return tuple(ids)


def _text(obj: JsonObject | None, key: str) -> str | None:
    value = None if obj is None else obj.get(key)
    return value if isinstance(value, str) and value else None

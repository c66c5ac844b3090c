"""A Meta contact card as the vCard 3.0 text Whatspie's ``contactMessage`` carries (pure)."""

from collections.abc import Mapping
from typing import Any


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _vcard_text(value: Any) -> str:
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), (",", "\\,"), (";", "\\;")):
        text = text.replace(raw, escaped)
    return text


def vcard(card: Mapping[str, Any]) -> str:
    """A Meta contact card as a vCard 3.0, lines joined by ``\\n`` as in the seed."""
    name = _obj(card.get("name"))
    formatted = name.get("formatted_name") or " ".join(
        str(name[k]) for k in ("first_name", "last_name") if name.get(k)
    )
    parts = ("last_name", "first_name", "middle_name", "prefix", "suffix")
    structured = [_vcard_text(name.get(k, "")) for k in parts]
    if not any(structured):
        structured[1] = _vcard_text(formatted)
    lines = ["BEGIN:VCARD", "VERSION:3.0", "N:" + ";".join(structured)]
    lines.append("FN:" + _vcard_text(formatted))
    org = _obj(card.get("org"))
    if org.get("company") or org.get("department"):
        company = _vcard_text(org.get("company", ""))
        department = _vcard_text(org.get("department", ""))
        lines.append(f"ORG:{company};{department}" if department else f"ORG:{company}")
    if org.get("title"):
        lines.append("TITLE:" + _vcard_text(org["title"]))
    for phone in _dicts(card.get("phones")):
        params = ""
        if phone.get("type"):
            params += f";type={phone['type']}"
        if phone.get("wa_id"):
            params += f";waid={phone['wa_id']}"
        lines.append(f"TEL{params}:{phone.get('phone') or phone.get('wa_id', '')}")
    for email in _dicts(card.get("emails")):
        params = f";type={email['type']}" if email.get("type") else ""
        lines.append(f"EMAIL{params}:{_vcard_text(email.get('email', ''))}")
    for url in _dicts(card.get("urls")):
        params = f";type={url['type']}" if url.get("type") else ""
        lines.append(f"URL{params}:{url.get('url', '')}")
    if card.get("birthday"):
        lines.append(f"BDAY:{card['birthday']}")
    lines.append("END:VCARD")
    return "\n".join(lines)

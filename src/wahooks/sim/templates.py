"""The WABA's message templates: ``GET``/``POST /{waba-id}/message_templates``.

As Meta: a list answers ``{data: [...], paging: {cursors: {before, after}, next?}}`` and
filters by ``name`` (the name contains it), ``status``, ``category`` and ``language``, with
``limit`` (default 25) and the ``after``/``before`` cursors; ``fields`` narrows each
template to those fields (and its id). A create is checked as Meta checks it (name,
category, language, components with one BODY, no second template with the same name and
language) and answers ``{id, status: "PENDING", category}``; the template then waits for
review (``review``, for tests: APPROVED or REJECTED).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from wahooks.sim.messages import Json

CATEGORIES = ("AUTHENTICATION", "MARKETING", "UTILITY")
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")
STATUSES = ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED")
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")
# Meta's subcode for "a template with this name and language already exists".
TEMPLATE_EXISTS_SUBCODE = 2388024

GraphError = Callable[..., web.Response]


@dataclass
class Template:
    id: str
    name: str
    language: str
    category: str
    components: list[Json]
    status: str = "PENDING"
    parameter_format: str = "POSITIONAL"
    extra: Json = field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "name": self.name,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
        }


def _cursor(index: int) -> str:
    return base64.b64encode(f"sim:{index}".encode()).decode()


def _position(cursor: str) -> int | None:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not text.startswith("sim:") or not text[4:].isdigit():
        return None
    return int(text[4:])


class Templates:
    """The templates of one simulated WhatsApp Business Account."""

    def __init__(self, graph_error: GraphError) -> None:
        self.templates: list[Template] = []
        self._graph_error = graph_error

    def add(
        self,
        name: str,
        *,
        language: str = "en_US",
        category: str = "UTILITY",
        status: str = "APPROVED",
        body: str = "Hello {{1}}",
    ) -> Template:
        """Put a template in place directly (as if created and reviewed earlier)."""
        template = Template(
            id=str(10**15 + secrets.randbelow(9 * 10**15)),
            name=name,
            language=language,
            category=category,
            components=[{"type": "BODY", "text": body}],
            status=status,
        )
        self.templates.append(template)
        return template

    def review(self, name: str, status: str = "APPROVED", language: str | None = None) -> int:
        """Meta's review of the named template (every language, or one): how many changed."""
        changed = 0
        for template in self.templates:
            if template.name == name and language in (None, template.language):
                template.status = status
                changed += 1
        return changed

    def _invalid(self, details: str, *, subcode: int | None = None) -> web.Response:
        return self._graph_error(
            400, "(#100) Invalid parameter", code=100, details=details, subcode=subcode
        )

    async def list_templates(self, request: web.Request) -> web.Response:
        query = request.query
        limit_text = query.get("limit", str(DEFAULT_LIMIT))
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            return self._invalid(f"limit must be an integer between 1 and {MAX_LIMIT}.")
        limit = int(limit_text)
        found = [
            t
            for t in self.templates
            if query.get("name", "") in t.name
            and query.get("status", t.status).upper() == t.status
            and query.get("category", t.category).upper() == t.category
            and query.get("language", t.language) == t.language
        ]
        start = 0
        if "after" in query:
            after = _position(query["after"])
            if after is None:
                return self._invalid("Invalid cursor: after.")
            start = after + 1
        elif "before" in query:
            before = _position(query["before"])
            if before is None:
                return self._invalid("Invalid cursor: before.")
            start = max(before - limit, 0)
        page = found[start : start + limit]
        fields = [f for f in query.get("fields", "").split(",") if f]
        data = [
            {k: v for k, v in t.to_json().items() if not fields or k in fields or k == "id"}
            for t in page
        ]
        answer: Json = {"data": data}
        if page:
            paging: Json = {
                "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
            }
            if start + len(page) < len(found):
                params = {**query, "after": _cursor(start + len(page) - 1)}
                paging["next"] = str(request.url.with_query(params))
            answer["paging"] = paging
        return _json(answer)

    async def create(self, payload: Json) -> web.Response:
        problem = _create_error(payload)
        if problem is not None:
            return self._invalid(problem)
        name, language = payload["name"], payload["language"]
        if any(t.name == name and t.language == language for t in self.templates):
            return self._graph_error(
                400,
                "(#100) Invalid parameter",
                code=100,
                subcode=TEMPLATE_EXISTS_SUBCODE,
                details=f"Content in this language already exists: {name} ({language}).",
            )
        known = ("name", "language", "category", "components", "parameter_format")
        template = Template(
            id=str(10**15 + secrets.randbelow(9 * 10**15)),
            name=name,
            language=language,
            category=payload["category"],
            components=payload["components"],
            parameter_format=payload.get("parameter_format", "POSITIONAL"),
            extra={k: v for k, v in payload.items() if k not in known},
        )
        self.templates.append(template)
        return _json({"id": template.id, "status": template.status, "category": template.category})


def _create_error(payload: Json) -> str | None:
    """Why Meta would refuse this template, or None."""
    name = payload.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        return "name is required: lowercase letters, digits and underscores, at most 512."
    if payload.get("category") not in CATEGORIES:
        return f"category is required: one of {', '.join(CATEGORIES)}."
    language = payload.get("language")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        return "language is required: a language code such as en_US."
    if payload.get("parameter_format", "POSITIONAL") not in ("POSITIONAL", "NAMED"):
        return "parameter_format must be POSITIONAL or NAMED."
    components = payload.get("components")
    if not isinstance(components, list) or not components:
        return "components is required: a non-empty list."
    bodies = 0
    for component in components:
        if not isinstance(component, dict):
            return "each component must be an object."
        kind = component.get("type")
        if not isinstance(kind, str) or kind.upper() not in COMPONENT_TYPES:
            return f"component type must be one of {', '.join(COMPONENT_TYPES)}."
        if kind.upper() == "BODY":
            bodies += 1
            if payload["category"] != "AUTHENTICATION" and not isinstance(
                component.get("text"), str
            ):
                return "The BODY component requires text."
    if bodies != 1:
        return "A template requires exactly one BODY component."
    return None


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")

"""/v1/pool-numbers/{poolNumberId}/templates: the message templates of the WhatsApp
Business Account behind one of an App's numbers, proxied to Meta's Graph API
(``/{waba-id}/message_templates``). App keys only, as Pipes.bot's."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from wahooks.api.auth import current_app
from wahooks.gateway import gateway_of
from wahooks.models import Principal

router = APIRouter(prefix="/v1/pool-numbers/{poolNumberId}/templates", tags=["templates"])

# Meta: lowercase letters, digits and underscores, at most 512 characters.
TEMPLATE_NAME = r"^[a-z0-9_]{1,512}$"
LANGUAGE = r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$"
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")
MAX_COMPONENTS = 10

AppDep = Annotated[Principal, Depends(current_app)]
PoolNumberId = Annotated[
    str,
    Path(
        alias="poolNumberId",
        min_length=1,
        max_length=100,
        description="Our id of one of the App's numbers.",
    ),
]


class TemplateComponent(BaseModel):
    """One component in Meta's format; only its ``type`` is checked here, Meta checks the
    rest."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="HEADER, BODY, FOOTER or BUTTONS.")

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value.upper() not in COMPONENT_TYPES:
            raise ValueError(f"must be one of {', '.join(COMPONENT_TYPES)}")
        return value


class TemplateIn(BaseModel):
    """A template in Meta's own format (snake_case), forwarded as given."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "name": "order_shipped",
                    "category": "UTILITY",
                    "language": "en_US",
                    "components": [
                        {
                            "type": "BODY",
                            "text": "Hi {{1}}, your order {{2}} has shipped.",
                            "example": {"body_text": [["Maria", "1042"]]},
                        }
                    ],
                }
            ]
        },
    )
    name: str = Field(pattern=TEMPLATE_NAME, description="Lowercase letters, digits, _.")
    category: Literal["AUTHENTICATION", "MARKETING", "UTILITY"]
    language: str = Field(pattern=LANGUAGE, description="e.g. en_US, pt_BR, de.")
    components: list[TemplateComponent] = Field(min_length=1, max_length=MAX_COMPONENTS)
    allow_category_change: bool | None = None
    parameter_format: Literal["POSITIONAL", "NAMED"] | None = None

    @field_validator("components")
    @classmethod
    def _one_body(cls, value: list[TemplateComponent]) -> list[TemplateComponent]:
        if sum(1 for c in value if c.type.upper() == "BODY") != 1:
            raise ValueError("a template has exactly one BODY component")
        return value


class TemplatePage(BaseModel):
    """Meta's answer: templates in ``data`` and its cursors in ``paging``."""

    model_config = ConfigDict(extra="allow")
    data: list[dict[str, Any]]
    paging: dict[str, Any] | None = None


class TemplateCreated(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(description="Meta's id of the template.")
    status: str = Field(description="PENDING: in Meta's review; APPROVED or REJECTED later.")
    category: str


ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, malformed, unknown or revoked key."},
    403: {"description": "Not an App key (ak_live_…)."},
    404: {"description": "No such number of this App (or, for one template, no such name)."},
    502: {"description": "graph_error: Meta refused the request; its code is included."},
}


@router.get(
    "",
    operation_id="listTemplates",
    response_model=TemplatePage,
    summary="List the templates of an App's number",
    responses={**ERRORS, 400: {"description": "A bad query parameter (limit 1-1000)."}},
)
async def list_templates(
    pool_number_id: PoolNumberId,
    request: Request,
    who: AppDep,
    status: Annotated[
        str | None, Query(max_length=50, description="e.g. APPROVED, PENDING, REJECTED.")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Page size.")] = None,
    after: Annotated[str | None, Query(max_length=1000, description="Next page's cursor.")] = None,
    before: Annotated[
        str | None, Query(max_length=1000, description="Previous page's cursor.")
    ] = None,
    fields: Annotated[
        str | None, Query(max_length=1000, description="Fields Meta should return.")
    ] = None,
) -> dict[str, Any]:
    """The WABA's templates as Meta lists them (every query parameter is passed to Meta)."""
    gateway = gateway_of(request)
    assert who.app_id is not None
    number = await gateway.app_messenger.number(who.app_id, pool_number_id)
    params = {k: v for k, v in request.query_params.items()}
    return await gateway.app_messenger.templates(number, params)


@router.get(
    "/{name}",
    operation_id="getTemplate",
    response_model=TemplatePage,
    summary="Get one template, every language",
    responses=ERRORS,
)
async def get_template(
    pool_number_id: PoolNumberId,
    name: Annotated[str, Path(max_length=512, description="The template's name.")],
    request: Request,
    who: AppDep,
) -> dict[str, Any]:
    """Every language variant of the template called ``name``."""
    gateway = gateway_of(request)
    assert who.app_id is not None
    number = await gateway.app_messenger.number(who.app_id, pool_number_id)
    return await gateway.app_messenger.template(number, name)


@router.post(
    "",
    operation_id="createTemplate",
    response_model=TemplateCreated,
    summary="Create a template (goes to Meta's review)",
    responses={
        **ERRORS,
        400: {
            "description": "A bad name (a-z, 0-9, _), category (AUTHENTICATION, MARKETING, "
            "UTILITY), language, or components (1-10, exactly one BODY)."
        },
    },
)
async def create_template(
    pool_number_id: PoolNumberId, body: TemplateIn, request: Request, who: AppDep
) -> dict[str, Any]:
    """Submit a template to Meta; it starts PENDING and is APPROVED or REJECTED by Meta."""
    gateway = gateway_of(request)
    assert who.app_id is not None
    number = await gateway.app_messenger.number(who.app_id, pool_number_id)
    payload = body.model_dump(exclude_none=True)
    return await gateway.app_messenger.create_template(number, payload)

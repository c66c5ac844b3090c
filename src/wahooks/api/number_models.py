"""The bodies of /v1/numbers (api/numbers.py): what a number is registered and changed with,
and how it is shown (secrets accepted, never returned)."""

from typing import Annotated, Literal

from pydantic import Field

from wahooks.api.base import ApiModel, HttpUrl, examples, iso
from wahooks.models import Number

DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com/v21.0"
Text = Annotated[str, Field(min_length=1, max_length=256)]
Secret = Annotated[str, Field(min_length=1, max_length=1024)]
# Sent as "Authorization: Bearer …": visible ASCII only. A CR or LF made every Graph API
# call of the number fail inside aiohttp (a 500 on sends and health checks: schemathesis).
AccessToken = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[!-~]+$")]


class NumberIn(ApiModel):
    model_config = ApiModel.model_config | examples(
        {
            "phoneNumberId": "106540352242922",
            "wabaId": "102290129340398",
            "displayPhoneNumber": "15550783881",
            "accessToken": "EAAJB3lGk2ZBEBOZCexampleAccessToken",
            "appSecret": "7b3f0c5e9d2a4c6e8f1a3b5c7d9e0f12",
            "verifyToken": "a-long-random-verify-token",
            "graphApiBaseUrl": "https://graph.facebook.com/v21.0",
            "kind": "dedicated",
            "displayName": "Acme Support",
        }
    )

    phone_number_id: Text = Field(description="Meta's phone-number id (metadata.phone_number_id).")
    waba_id: Text = Field(description="WhatsApp Business Account id.")
    display_phone_number: Text = Field(
        description="The number as people dial it, e.g. 15551234567."
    )
    access_token: AccessToken = Field(description="Cloud API access token (Bearer).")
    app_secret: Secret = Field(description="Meta app secret: verifies X-Hub-Signature-256.")
    verify_token: Secret = Field(description="Answer to Meta's GET subscription handshake.")
    graph_api_base_url: HttpUrl = Field(
        DEFAULT_GRAPH_BASE_URL, description="Graph API base URL, version included."
    )
    kind: Literal["pool", "dedicated"] = "dedicated"
    display_name: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description="A name for people (the WhatsApp profile's display name)."
    )
    tenant_id: Text | None = Field(
        None, description="Operator only: the tenant owning a dedicated number."
    )
    app_id: Text | None = Field(
        None, description="A dedicated number's App (its messages go to the App)."
    )


class NumberPatch(ApiModel):
    """Fields to change; those left out stay as they are."""

    model_config = ApiModel.model_config | examples(
        {"displayName": "Acme Support (EU)", "accessToken": "EAAJB3lGk2ZBEBOZCrotatedAccessToken"}
    )

    display_name: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description="A name for people; null clears it."
    )
    access_token: AccessToken | None = Field(
        None, description="A new Cloud API access token (the health is re-checked)."
    )
    app_secret: Secret | None = Field(None, description="A new Meta app secret.")
    verify_token: Secret | None = Field(None, description="A new webhook verify token.")
    graph_api_base_url: HttpUrl | None = Field(
        None, description="A new Graph API base URL, version included."
    )


class NumberOut(ApiModel):
    id: str
    phone_number_id: str
    waba_id: str
    display_phone_number: str
    graph_api_base_url: str
    kind: str
    display_name: str | None
    tenant_id: str | None = Field(description="A dedicated number's tenant; null for pool.")
    app_id: str | None
    health: str = Field(
        description="healthy, degraded or down from the last Graph API check of the access "
        "token; unknown until checked."
    )
    health_detail: str | None = Field(description="What the last check found.")
    health_checked_at: str | None = Field(description="When the last check ran.")
    created_at: str | None


def number_out(number: Number) -> NumberOut:
    return NumberOut(
        id=number.id,
        phone_number_id=number.phone_number_id,
        waba_id=number.waba_id,
        display_phone_number=number.display_phone_number,
        graph_api_base_url=number.graph_base_url,
        kind=number.kind,
        display_name=number.display_name,
        tenant_id=number.tenant_id,
        app_id=number.app_id,
        health=number.health,
        health_detail=number.health_detail,
        health_checked_at=iso(number.health_checked_at),
        created_at=iso(number.created_at),
    )

"""The REST body that registers a simulator's number on the gateway (demo, bench, tests)."""

from typing import Any

from wahooks.sim import Simulator


def number_registration(sim: Simulator) -> dict[str, Any]:
    """``POST /v1/numbers`` body for the number ``sim`` plays, Graph API pointing at it."""
    s = sim.settings
    return {
        "phoneNumberId": s.phone_number_id,
        "wabaId": s.waba_id,
        "displayPhoneNumber": s.display_phone_number,
        "accessToken": s.access_token,
        "appSecret": s.app_secret,
        "verifyToken": s.verify_token,
        "graphApiBaseUrl": sim.graph_base_url,
    }

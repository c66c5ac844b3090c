"""/docs (Swagger UI) and /redoc (ReDoc) for /openapi.json, served from this process.

FastAPI's own pages load their JavaScript, CSS, favicon and fonts from CDNs: a gateway on a
closed network would show blank pages, and every visit would tell third parties about it.
Here the assets come from the ``fastapi-offline`` package (see pyproject.toml) under
``/docs/assets``, and a Content-Security-Policy lets the pages load nothing from anywhere
else: ReDoc's sidebar shows a logo from cdn.redoc.ly that no option turns off, and a future
Swagger UI could add such a thing too; the browser now refuses them before asking.
"""

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
# Swagger UI would send the document to validator.swagger.io for its "valid" badge.
SWAGGER_UI_PARAMETERS: dict[str, object] = {
    "validatorUrl": None,
    "persistAuthorization": True,
    "displayRequestDuration": True,
}


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _only_this_server(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a CSP allowing this origin, plus its own inline scripts by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body).decode())
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; "
        # Both UIs set styles from JavaScript; ReDoc runs its search in a blob: worker.
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return page


def assets_directory() -> Path:
    """The package's swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon."""
    directory = Path(str(files("fastapi_offline").joinpath("static")))
    if not (directory / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"fastapi-offline's assets are missing from {directory}")
    return directory


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets to ``app`` (created with docs_url=redoc_url=None)."""
    openapi_path = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _only_this_server(
            get_swagger_ui_html(
                openapi_url=root + openapi_path,
                title=f"{app.title} API",
                swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                oauth2_redirect_url=None,
                swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
            )
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _only_this_server(
            get_redoc_html(
                openapi_url=root + openapi_path,
                title=f"{app.title} API",
                redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            )
        )

    app.add_api_route(DOCS_PATH, swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(REDOC_PATH, redoc, methods=["GET"], include_in_schema=False)

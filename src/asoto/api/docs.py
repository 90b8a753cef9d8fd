"""``/docs`` that works offline: Swagger UI's script and styles served from a package.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN, so it is blank on a machine without
internet. ``swagger-ui-bundle`` (pinned: one maintainer) ships the built assets, Apache-2.0 like
Swagger UI itself; they are mounted under ``/docs/assets``. ReDoc has no such package, so
``/redoc`` is not served (it would be blank offline): ``/docs`` and ``/openapi.json`` are the
documentation.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"


def install_offline_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

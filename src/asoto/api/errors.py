"""One place that turns failures into ``{"detail": str, "code": str}`` responses.

Bad input is always a 4xx with a stable code; an unexpected failure is a 500 with no
internals in the body (they go to the log).
"""

from __future__ import annotations

from typing import Any

import psycopg
import psycopg_pool
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from asoto.errors import AsotoError, RateLimited
from asoto.persistence.database import is_unavailable

log = structlog.get_logger(__name__)


def error_response(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status)


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{loc or 'body'}: {e.get('msg')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(AsotoError)
    async def _asoto(_: Request, exc: AsotoError) -> JSONResponse:
        if exc.status_code >= 500:
            log.error("api.error", code=exc.code, detail=exc.detail)
        response = error_response(exc.status_code, exc.code, exc.detail)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        if any(e.get("loc", ("",))[0] == "path" for e in errors):
            return error_response(422, "invalid_id", _describe(errors))
        if any(e.get("type") == "control_characters" for e in errors):
            return error_response(422, "invalid_text", _describe(errors))
        if any(e.get("type") in ("model_attributes_type", "dict_type") for e in errors):
            return error_response(422, "invalid_body", _describe(errors))
        return error_response(422, "invalid_input", _describe(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        """Handled here, not by the catch-all, so a database outage is one warning per request
        rather than a traceback: down or restarting, the client is told at once to try again."""
        if not is_unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("api.database_unavailable", path=request.url.path, error=type(exc).__name__)
        response = error_response(503, "database_unavailable", "the database is unavailable; try again shortly")
        response.headers["Retry-After"] = "1"
        return response

    for kind in (sa_exc.DBAPIError, sa_exc.TimeoutError, psycopg.Error, psycopg_pool.PoolTimeout):
        app.add_exception_handler(kind, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected", path=request.url.path)
        return error_response(500, "internal_error", "internal error; see the server log")

"""``/ui``: the page (no data, no key needed) and its fragments (the caller's key, like the API)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.staticfiles import StaticFiles

from asoto import __version__
from asoto.api.deps import CallerDep, ResourcesDep
from asoto.ui import pages
from asoto.ui.labels import LABELS, pick_locale

HERE = Path(__file__).parent
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
router = APIRouter(prefix="/ui", include_in_schema=False)
LanguageDep = Annotated[str | None, Header(alias="accept-language")]
# fragments change with every run: never cached, never framed by another site
_NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def _render(template: str, accept_language: str | None, **context: Any) -> HTMLResponse:
    locale = pick_locale(accept_language)
    html = _templates.get_template(template).render(t=LABELS[locale], locale=locale, **context)
    return HTMLResponse(html, headers=_NO_STORE)


@router.get("")
async def page(accept_language: LanguageDep = None) -> HTMLResponse:
    return _render("page.html", accept_language, version=__version__)


@router.get("/parts/me")
async def me(caller: CallerDep, accept_language: LanguageDep = None) -> HTMLResponse:
    return _render("me.html", accept_language, caller=caller)


@router.get("/parts/threads")
async def thread_list(
    res: ResourcesDep,
    caller: CallerDep,
    accept_language: LanguageDep = None,
    flow: Annotated[str | None, Query(max_length=50)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    member: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    locale = pick_locale(accept_language)
    rows = await pages.thread_rows(res, caller, locale, flow=flow or None, status=status or None, member=member or None)
    chosen = {"flow": flow or "", "status": status or "", "member": member or ""}
    return _render(
        "threads.html", accept_language, rows=rows, flows=sorted(res.flows), statuses=pages.STATUSES, chosen=chosen
    )


@router.get("/parts/threads/{thread_id}")
async def thread_view(
    thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep, accept_language: LanguageDep = None
) -> HTMLResponse:
    view = await pages.thread_view(res, caller, thread_id, pick_locale(accept_language))
    return _render("thread.html", accept_language, **view)


@router.get("/parts/approvals")
async def approval_list(res: ResourcesDep, caller: CallerDep, accept_language: LanguageDep = None) -> HTMLResponse:
    cards = await pages.approval_cards(res, caller, pick_locale(accept_language))
    return _render("approvals.html", accept_language, cards=cards, caller=caller)


def install_inspector(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.include_router(router)

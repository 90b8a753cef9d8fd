"""What each inspector fragment shows, gathered through the same services and views as the API.

Everything a fragment shows passes through ``services.views`` with the viewer's principal, so
the page can never show more than the API would to the same key: a member sees their own
threads, and a held draft only as "a person is reviewing this".
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import desc, select

from asoto.graphs import picture
from asoto.graphs.approval.kinds import Kind, kind_of, may_decide
from asoto.graphs.context import utc_now
from asoto.persistence.models import Approval, Member, Run, Thread
from asoto.runtime.resources import Resources
from asoto.services import approvals, runs, threads, views
from asoto.services.keys import Principal
from asoto.tools.approvals import public
from asoto.ui.forms import FormField, edit_fields
from asoto.ui.labels import ago
from asoto.ui.timeline import Entry, entries

STATUSES = ("idle", "busy", "interrupted", "error")
ACTIVE_RUN = ("pending", "running")
THREADS_SHOWN = 100
RUNS_SHOWN = 20
CHECKPOINTS_SHOWN = 50


@dataclass(frozen=True)
class ThreadRow:
    thread_id: str
    flow: str
    status: str
    member: str
    age: str
    updated: str


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str
    started: str
    took: str
    error: str
    attempt: int


@dataclass(frozen=True)
class ApprovalCard:
    approval_id: str
    kind: str
    member: str
    thread_id: str
    age: str
    reasons: list[str]
    proposal_json: str
    decides: bool
    fields: list[FormField]


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _seconds(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds()


async def thread_rows(
    res: Resources, caller: Principal, locale: str, *, flow: str | None, status: str | None, member: str | None
) -> list[ThreadRow]:
    """The newest threads the caller may see, filtered by flow, status and member name or id."""
    stmt = (
        select(Thread, Member.name)
        .outerjoin(Member, Member.id == Thread.member_id)
        .where(threads.visible(caller))
        .order_by(desc(Thread.updated_at), Thread.thread_id)
        .limit(THREADS_SHOWN)
    )
    if flow:
        stmt = stmt.where(Thread.graph_id == flow)
    if status:
        stmt = stmt.where(Thread.status == status)
    if member:
        as_id = _uuid(member)
        stmt = stmt.where(Thread.member_id == as_id if as_id else Member.name.contains(member, autoescape=True))
    async with res.db.autocommit() as session:
        found = (await session.execute(stmt)).all()
    now = utc_now()
    return [
        ThreadRow(
            thread_id=str(t.thread_id),
            flow=t.graph_id or "—",
            status=t.status,
            member=name or "—",
            age=ago(_seconds(t.created_at, now), locale),
            updated=ago(_seconds(t.updated_at, now), locale),
        )
        for t, name in found
    ]


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def _run_row(run: Run, now: datetime, locale: str) -> RunRow:
    ended = run.status not in ACTIVE_RUN
    took = (run.updated_at if ended else now) - run.created_at
    error = run.error or {}
    return RunRow(
        run_id=str(run.run_id),
        status=run.status,
        started=ago(_seconds(run.created_at, now), locale),
        took=f"{took.total_seconds():.2f}",
        error=f"{error.get('error', '')}: {error.get('message', '')}".strip(": ") if error else "",
        attempt=max(run.attempt, 1),
    )


async def thread_view(res: Resources, caller: Principal, thread_id: uuid.UUID, locale: str) -> dict[str, Any]:
    """One thread: header, the picture of where it went, its runs, what it waits on, its checkpoints."""
    async with res.db.autocommit() as session:
        thread = await threads.get_visible(session, caller, thread_id)
        member = await session.get(Member, thread.member_id) if thread.member_id else None
        found = await runs.list_for_thread(session, caller, thread_id, limit=RUNS_SHOWN, offset=0, status=None)
    now = utc_now()
    shown = views.thread(thread.graph_id, threads.thread_json(thread), caller)
    svg, timeline = "", list[Entry]()
    if thread.graph_id and thread.graph_id in res.graphs:
        graph = res.graphs[thread.graph_id]
        newest_first = await threads.snapshots(res, thread)  # one read: the picture and the timeline
        svg = picture.draw_svg(
            graph.get_graph(), threads.trace_of(graph, newest_first, thread.status), title=thread.graph_id
        )
        timeline = entries(
            [
                views.snapshot(thread.graph_id, threads.snapshot_json(snap), caller)
                for snap in newest_first[:CHECKPOINTS_SHOWN]
            ]
        )
    active = next((r for r in found if r.status in ACTIVE_RUN), None)
    waiting = [item for group in (shown.get("interrupts") or {}).values() for item in group]
    return {
        "thread": shown,
        "flow": thread.graph_id or "—",
        "member": member.name if member else "—",
        "age": ago(_seconds(thread.created_at, now), locale),
        "svg": svg,
        "runs": [_run_row(r, now, locale) for r in found],
        "active_run": str(active.run_id) if active else "",
        "waiting": [{"id": i.get("id"), "value": i.get("value"), "json": _pretty(i.get("value"))} for i in waiting],
        "timeline": timeline,
        "forks": bool(thread.graph_id) and threads.debugs(caller, res.flows.get(thread.graph_id or "")),
    }


def _decides(caller: Principal, approval: Approval, kind: Kind) -> bool:
    """The rule the API applies to a decision (``kinds.may_decide``), so the page offers a form
    exactly where a decision would be accepted (an escalated approval: admins only)."""
    is_subject = caller.member_id is not None and approval.member_id == caller.member_id
    return may_decide(kind, caller.role, is_subject=is_subject, escalated=approval.escalated_at is not None)


async def approval_cards(res: Resources, caller: Principal, locale: str) -> list[ApprovalCard]:
    """Pending approvals the caller may see, newest first, each with its kind's edit form when
    the caller decides that kind."""
    async with res.db.autocommit() as session:
        page, _ = await approvals.listing(
            session, caller, status="pending", kind=None, member_id=None, limit=50, cursor=None
        )
        ids = {a.member_id for a in page if a.member_id}
        names = dict((await session.execute(select(Member.id, Member.name).where(Member.id.in_(ids)))).all())
    now = utc_now()
    cards = []
    for approval in page:
        data = views.approval(public(approval), caller)
        kind = kind_of(approval.kind)
        decides = _decides(caller, approval, kind)
        cards.append(
            ApprovalCard(
                approval_id=str(approval.id),
                kind=approval.kind,
                member=names.get(approval.member_id, "—") if approval.member_id else "—",
                thread_id=str(approval.thread_id or ""),
                age=ago(_seconds(approval.created_at, now), locale),
                reasons=[r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in data["reasons"] or []],
                proposal_json=_pretty(data["proposal"]) if data["proposal"] is not None else "",
                decides=decides,
                fields=edit_fields(kind.edit_model, data["proposal"]) if decides else [],
            )
        )
    return cards

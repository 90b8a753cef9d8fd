"""Threads: ownership, search, state and history (graph state read from the checkpointer)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.errors import InvalidUpdateError
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from sqlalchemy import and_, asc, desc, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.api.schemas import ThreadCount, ThreadCreate, ThreadSearch, ThreadStateUpdate
from asoto.errors import Conflict, Forbidden, InvalidInput, NotFound, ThreadBusy
from asoto.graphs.picture import Trace
from asoto.persistence import retention, run_queue
from asoto.persistence.checkpointer import COPY_THREAD_SQL
from asoto.persistence.models import Run, Thread
from asoto.runtime.resources import Resources
from asoto.serialize import jsonable
from asoto.services.keys import Principal
from asoto.tools import approvals


def thread_json(t: Thread) -> dict[str, Any]:
    return {
        "thread_id": str(t.thread_id),
        "created_at": t.created_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
        "state_updated_at": (t.state_updated_at or t.updated_at).isoformat(),
        "metadata": t.metadata_,
        "status": t.status,
        "values": t.values,
        "interrupts": t.interrupts,
        "config": {},
    }


def visible(principal: Principal) -> Any:
    """The SQL filter of threads a principal may see (members: only their own)."""
    if principal.reads_everything:
        return True
    return Thread.member_id == principal.member_id


def can_see(principal: Principal, thread: Thread) -> bool:
    """``visible`` for a row already loaded (one SELECT instead of two on the run path)."""
    return bool(principal.reads_everything or thread.member_id == principal.member_id)


async def get_visible(
    session: AsyncSession, principal: Principal, thread_id: uuid.UUID, *, lock: bool = False
) -> Thread:
    stmt = select(Thread).where(and_(Thread.thread_id == thread_id, visible(principal)))
    if lock:
        stmt = stmt.with_for_update()
    thread = await session.scalar(stmt)
    if thread is None:
        raise NotFound(f"thread {thread_id} not found", code="thread_not_found")
    return thread


# one statement on the common path (it was SELECT + INSERT + SELECT), on the session's psycopg
# connection (``run_queue.driver_connection``: the ORM's insert machinery cost more than the insert)
_INSERT = f"""
insert into threads as t (thread_id, member_id, graph_id, status, metadata, interrupts, created_by)
values (%(thread_id)s, %(member_id)s, %(graph_id)s, 'idle', %(metadata)s, '{{}}'::jsonb, %(created_by)s)
on conflict (thread_id) do nothing
returning {run_queue.THREAD_COLUMNS}
"""


_EXISTING = f"select {run_queue.THREAD_COLUMNS} from threads t where t.thread_id = %s"


async def insert_new(
    db: AsyncSession | AsyncConnection[Any],
    thread_id: uuid.UUID,
    principal: Principal,
    *,
    member_id: uuid.UUID | None,
    graph_id: str | None,
    metadata: dict[str, Any],
) -> Thread | None:
    """A new idle thread, or ``None`` when one with that id exists: an insert racing another
    caller's waits for that caller's commit and then yields, where a plain insert failed on the
    key (a 500 for the second of two runs creating one thread at once). ``db``: a session (in
    its transaction) or a pooled psycopg connection in autocommit."""
    return await run_queue.fetch_thread(
        db,
        _INSERT,
        {
            "thread_id": thread_id,
            "member_id": member_id,
            "graph_id": graph_id,
            "metadata": Jsonb(metadata),
            "created_by": principal.id,
        },
    )


async def create(db: AsyncSession | AsyncConnection[Any], principal: Principal, body: ThreadCreate) -> Thread:
    """``db``: a session (inside a caller's transaction) or a pooled psycopg connection in
    autocommit (the API's ``POST /threads``: a session's set-up and close were a fifth of the
    request)."""
    used = [name for name in ("supersteps", "ttl") if getattr(body, name) not in (None, [], {})]
    if used:
        raise InvalidInput(f"not supported by this server: {', '.join(used)}", code="unsupported_option")
    thread_id = body.thread_id or uuid.uuid4()
    graph_id = body.graph_id or body.metadata.get("graph_id")
    inserted = await insert_new(
        db,
        thread_id,
        principal,
        member_id=principal.member_id if principal.role == "member" else None,
        graph_id=graph_id if isinstance(graph_id, str) else None,
        metadata={**body.metadata, "owner": principal.id},
    )
    if inserted is not None:
        return inserted
    if body.if_exists == "do_nothing":
        existing = await run_queue.fetch_thread(db, _EXISTING, (thread_id,))
        if existing is None or not can_see(principal, existing):
            raise NotFound(f"thread {thread_id} not found", code="thread_not_found")
        return existing
    raise Conflict(f"thread {thread_id} already exists", code="thread_exists")


def _filtered(stmt: Any, principal: Principal, body: ThreadCount) -> Any:
    """The threads a search or a count covers: the caller's visible ones, filtered."""
    stmt = stmt.where(visible(principal))
    if body.metadata:
        stmt = stmt.where(Thread.metadata_.contains(body.metadata))
    if body.values:
        stmt = stmt.where(Thread.values.contains(body.values))
    if body.status:
        stmt = stmt.where(Thread.status == body.status)
    return stmt


async def count(session: AsyncSession, principal: Principal, body: ThreadCount) -> int:
    return int(await session.scalar(_filtered(select(func.count()).select_from(Thread), principal, body)) or 0)


async def search(session: AsyncSession, principal: Principal, body: ThreadSearch) -> list[Thread]:
    stmt = _filtered(select(Thread), principal, body)
    if body.ids:
        stmt = stmt.where(Thread.thread_id.in_(body.ids))
    column = {
        "thread_id": Thread.thread_id,
        "status": Thread.status,
        "created_at": Thread.created_at,
        "updated_at": Thread.updated_at,
    }[body.sort_by]
    order = desc(column) if body.sort_order == "desc" else asc(column)
    stmt = stmt.order_by(order, Thread.thread_id).limit(body.limit).offset(body.offset)
    return list((await session.scalars(stmt)).all())


def checkpoint_config(thread_id: uuid.UUID, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": str(thread_id)}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
        configurable["checkpoint_ns"] = ""
    return {"configurable": configurable}


def snapshot_json(snapshot: Any) -> dict[str, Any]:
    config = snapshot.config or {}
    conf = config.get("configurable", {})
    parent = (snapshot.parent_config or {}).get("configurable") if snapshot.parent_config else None
    interrupts = [{"id": i.id, "value": jsonable(i.value)} for i in snapshot.interrupts]
    return {
        "values": jsonable(snapshot.values),
        "next": list(snapshot.next),
        "tasks": [
            {
                "id": t.id,
                "name": t.name,
                "error": str(t.error) if t.error else None,
                "interrupts": [{"id": i.id, "value": jsonable(i.value)} for i in t.interrupts],
                "checkpoint": None,
                "state": None,
                "result": jsonable(t.result) if t.result is not None else None,
            }
            for t in snapshot.tasks
        ],
        "checkpoint": {
            "thread_id": conf.get("thread_id"),
            "checkpoint_ns": conf.get("checkpoint_ns", ""),
            "checkpoint_id": conf.get("checkpoint_id"),
            "checkpoint_map": None,
        },
        "metadata": jsonable(snapshot.metadata or {}),
        "created_at": snapshot.created_at,
        "parent_checkpoint": (
            {
                "thread_id": parent.get("thread_id"),
                "checkpoint_ns": parent.get("checkpoint_ns", ""),
                "checkpoint_id": parent.get("checkpoint_id"),
                "checkpoint_map": None,
            }
            if parent
            else None
        ),
        "interrupts": interrupts,
    }


def _empty_state() -> dict[str, Any]:
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "checkpoint": None,
        "metadata": {},
        "created_at": None,
        "parent_checkpoint": None,
        "interrupts": [],
    }


async def state(res: Resources, thread: Thread, checkpoint_id: str | None = None) -> dict[str, Any]:
    if not thread.graph_id:
        return _empty_state()
    snapshot = await res.graphs[thread.graph_id].aget_state(checkpoint_config(thread.thread_id, checkpoint_id))
    if checkpoint_id and snapshot.config is None:
        raise NotFound(f"checkpoint {checkpoint_id} not found", code="checkpoint_not_found")
    return snapshot_json(snapshot) if snapshot.config else _empty_state()


async def history(
    res: Resources, thread: Thread, *, limit: int, before: str | None, metadata: dict[str, Any] | None
) -> list[dict[str, Any]]:
    if not thread.graph_id:
        return []
    graph = res.graphs[thread.graph_id]
    before_config = checkpoint_config(thread.thread_id, before) if before else None
    return [
        snapshot_json(s)
        async for s in graph.aget_state_history(
            checkpoint_config(thread.thread_id), limit=limit, before=before_config, filter=metadata
        )
    ]


def _may_delete(principal: Principal) -> None:
    if principal.role not in ("member", "admin"):
        raise Forbidden("only the member who owns a thread, or an admin, may delete it", code="delete_forbidden")


async def _lock_idle(session: AsyncSession, principal: Principal, thread_id: uuid.UUID) -> None:
    """Lock a thread the caller sees that has no running run (a worker still writing would bring
    deleted checkpoints back, pitfall P8)."""
    await get_visible(session, principal, thread_id, lock=True)
    if any(run.status == "running" for run in await run_queue.active_runs(session, thread_id)):
        raise ThreadBusy(f"thread {thread_id} has a running run; cancel it first")


async def _delete_locked(res: Resources, session: AsyncSession, thread_id: uuid.UUID, *, actor: str) -> None:
    """Approvals the thread waits on are cancelled, audited, in the same transaction (nobody could
    decide them afterwards); then its checkpoints and its rows."""
    await approvals.cancel_for_thread(session, thread_id, actor=actor)
    await res.saver.adelete_thread(str(thread_id))
    await run_queue.delete_thread_rows(session, thread_id)


async def delete(res: Resources, session: AsyncSession, principal: Principal, thread_id: uuid.UUID) -> None:
    """Delete a thread's rows and checkpoints (PII retention): members their own threads, admins
    any, once no run of it is running."""
    _may_delete(principal)
    await _lock_idle(session, principal, thread_id)
    await _delete_locked(res, session, thread_id, actor=principal.id)


async def prune(
    res: Resources, session: AsyncSession, principal: Principal, thread_ids: list[uuid.UUID], strategy: str
) -> int:
    """``threads.prune``: delete the threads or keep only their latest checkpoint. The same rule
    as deleting; one thread the caller may not see, or with a running run, refuses the whole
    request before anything goes."""
    _may_delete(principal)
    ordered = sorted(set(thread_ids))
    for thread_id in ordered:  # one lock order: two prunes never deadlock
        await _lock_idle(session, principal, thread_id)
    if strategy == "delete":
        for thread_id in ordered:
            await _delete_locked(res, session, thread_id, actor=principal.id)
    else:
        await retention.keep_latest(session, [str(t) for t in ordered])
    return len(ordered)


ON_COMPLETION = "on_completion"  # a stateless run's thread metadata: "delete" or "keep"


async def drop_finished_stateless(res: Resources, *, keep_s: float, limit: int = 100) -> int:
    """Delete the threads of stateless runs (``on_completion="delete"``) that ended more than
    ``keep_s`` ago (a waiter reads the outcome first), except those waiting on an interrupt.
    Checkpoints go first, rows last: a crash in between leaves rows the next sweep deletes."""
    async with res.db.sessions.begin() as session:
        found = (
            await session.scalars(
                select(Thread.thread_id)
                .where(
                    Thread.metadata_[ON_COMPLETION].astext == "delete",
                    Thread.status.in_(("idle", "error")),
                    Thread.updated_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, keep_s),
                    ~exists().where(Run.thread_id == Thread.thread_id, Run.status.in_(run_queue.ACTIVE)),
                )
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for thread_id in found:
            await _delete_locked(res, session, thread_id, actor="system")
    return len(found)


TRACE_DEPTH = 1000  # checkpoints a trace walks back through


async def snapshots(res: Resources, thread: Thread) -> list[Any]:
    """The thread's checkpoints, newest first, as LangGraph's snapshots (what a trace walks)."""
    if not thread.graph_id:
        raise NotFound(f"thread {thread.thread_id} has not run a graph yet", code="no_graph")
    graph = res.graphs[thread.graph_id]
    return [s async for s in graph.aget_state_history(checkpoint_config(thread.thread_id), limit=TRACE_DEPTH)]


async def trace(res: Resources, thread: Thread) -> Trace:
    newest_first = await snapshots(res, thread)  # first: a thread that never ran is a 404 no_graph
    return trace_of(res.graphs[str(thread.graph_id)], newest_first, thread.status)


def trace_of(graph: Any, newest_first: list[Any], status: str) -> Trace:
    """Where a thread went in its graph, along the lineage of its current checkpoint (a fork's
    abandoned branch is not on it): visits per node, edges taken, the node(s) next."""
    if not newest_first:
        return Trace()
    current = newest_first[0]  # the thread's state: its newest checkpoint, as aget_state reads it
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in newest_first}
    lineage = []
    step: Any = current
    while step is not None:
        lineage.append(step)
        parent = (step.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        step = by_id.get(parent) if parent else None
    lineage.reverse()
    # every checkpoint's next ran, but the last's, and but one whose child is a copy of it (a fork
    # that starts a replay's branch) or an edit of it (update_state): nothing ran from those
    ran = [
        tuple(s.next)
        for s, child in itertools.pairwise(lineage)
        if (child.metadata or {}).get("source") not in ("fork", "update")
    ]
    visits: dict[str, int] = {}
    for nodes in ran:
        for node in nodes:
            visits[node] = visits.get(node, 0) + 1
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    taken = {(a, b) for before, after in itertools.pairwise(ran) for a in before for b in after if (a, b) in edges}
    finished = not current.next
    if finished and ran:
        taken |= {(a, "__end__") for a in ran[-1] if (a, "__end__") in edges}
        visits["__end__"] = 1
    return Trace(
        visits=visits,
        taken=frozenset(taken),
        current=tuple(current.next),
        # a busy thread's next node is running, not waiting on a person or a debugger
        waiting=bool(current.next) and status != "busy",
        finished=finished,
    )


async def position(res: Resources, thread: Thread) -> dict[str, Any]:
    """Where a thread stands in its graph: the nodes visited, the nodes next, as a Mermaid picture
    with both highlighted (drawn offline, no CDN), for debugging a run."""
    went = await trace(res, thread)
    current = list(went.current)
    visited = [n for n in went.visits if n not in current and n != "__end__"]
    mermaid = res.graphs[str(thread.graph_id)].get_graph().draw_mermaid()
    styles = [
        "\tclassDef visited fill:#c8e6c9,stroke:#2e7d32",
        "\tclassDef current fill:#ffe082,stroke:#f57f17,stroke-width:3px",
    ]
    styles += [f"\tclass {n} visited" for n in visited]
    styles += [f"\tclass {n} current" for n in current]
    return {
        "graph_id": thread.graph_id,
        "status": thread.status,
        "current": current,
        "visited": visited,
        "trace": went.to_json(),
        "mermaid": mermaid.rstrip() + "\n" + "\n".join(styles) + "\n",
    }


def debugs(principal: Principal, flow: Any) -> bool:
    """Forks, breakpoints, state edits and copies are debugging: on the built-in flows for admin
    keys (their state holds drafts for people to check and effects keyed to the thread), on a
    user's graph for anyone who may run it or sees the thread."""
    return (flow is not None and not flow.builtin) or principal.role == "admin"


def may_debug(principal: Principal, graph_id: str | None, flows: dict[str, Any]) -> None:
    if not debugs(principal, flows.get(graph_id or "")):
        raise Forbidden(f"state edits and copies of {graph_id} threads are for admin keys", code="debug_requires_admin")


def node_names(graph: Any) -> set[str]:
    """A compiled graph's own nodes (what breakpoints and ``as_node`` may name), read from the
    graph itself rather than drawing it."""
    return set(graph.nodes) - {"__start__", "__end__"}


async def snapshot_at(graph: Any, thread_id: uuid.UUID, checkpoint_id: str | None) -> Any:
    """The state at a checkpoint of this thread (its newest without one); 404 when there is none."""
    snapshot = await graph.aget_state(checkpoint_config(thread_id, checkpoint_id))
    if snapshot.metadata is None:
        missing = f"thread {thread_id} has no checkpoint {checkpoint_id or ''}".rstrip()
        raise NotFound(missing, code="checkpoint_not_found")
    return snapshot


async def update_state(
    res: Resources, session: AsyncSession, principal: Principal, thread_id: uuid.UUID, body: ThreadStateUpdate
) -> dict[str, Any]:
    """Write values as a node (a new checkpoint on the thread's lineage, or a fork from the one
    named), audited with the keys written (not their text), the thread's status following the new
    state. The thread is locked, and refused while a run is active: a worker would write over it."""
    thread = await get_visible(session, principal, thread_id, lock=True)
    may_debug(principal, thread.graph_id, res.flows)
    if not thread.graph_id:
        raise NotFound(f"thread {thread_id} has not run a graph yet", code="no_graph")
    if await run_queue.active_runs(session, thread_id):
        raise ThreadBusy(f"thread {thread_id} has an active run; update its state when it ends")
    graph = res.graphs[thread.graph_id]
    if body.as_node is not None and body.as_node not in node_names(graph):
        raise InvalidInput(f"as_node: no such node: {body.as_node}", code="unknown_node")
    checkpoint_id = body.checkpoint_id or (body.checkpoint or {}).get("checkpoint_id")
    config = checkpoint_config(thread_id, checkpoint_id)
    await snapshot_at(graph, thread_id, checkpoint_id)
    try:
        written = await graph.aupdate_state(config, body.values, as_node=body.as_node)
    except (InvalidUpdateError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"cannot write these values: {exc}", code="invalid_state_update") from exc
    after = await graph.aget_state(checkpoint_config(thread_id))
    pending = [{"id": i.id, "value": jsonable(i.value)} for i in after.interrupts]
    thread.status = "interrupted" if after.next else "idle"
    thread.interrupts = {"pending": pending} if pending else {}
    thread.values = jsonable(after.values)
    await approvals.audit(
        session,
        actor=principal.id,
        action="thread.state_updated",
        subject_type="thread",
        subject_id=str(thread_id),
        data={
            "as_node": body.as_node,
            "keys": sorted(body.values) if isinstance(body.values, dict) else [],
            "from_checkpoint": checkpoint_id,
            "checkpoint_id": written["configurable"]["checkpoint_id"],
        },
    )
    return {
        "checkpoint": {k: v for k, v in written["configurable"].items() if k.startswith("checkpoint")}
        | {"thread_id": str(thread_id)}
    }


async def copy(res: Resources, session: AsyncSession, principal: Principal, thread_id: uuid.UUID) -> Thread:
    """A new thread with this one's metadata and every checkpoint (``threads.copy``), owned like
    the original. A built-in thread that waits on an approval is not copied: a decision on the
    copy would be a second decision on the same approval."""
    thread = await get_visible(session, principal, thread_id, lock=True)
    may_debug(principal, thread.graph_id, res.flows)
    if await run_queue.active_runs(session, thread_id):
        raise ThreadBusy(f"thread {thread_id} has an active run; copy it when it ends")
    flow = res.flows.get(thread.graph_id or "")
    if (flow is None or flow.builtin) and thread.interrupts.get("pending"):
        raise Conflict(f"thread {thread_id} waits on a person; copy it after the decision", code="thread_waiting")
    copied = Thread(
        thread_id=uuid.uuid4(),
        member_id=thread.member_id,
        graph_id=thread.graph_id,
        metadata_={**thread.metadata_, "copied_from": str(thread_id)},
        created_by=principal.id,
        status=thread.status,
        interrupts=thread.interrupts,
        values=thread.values,
    )
    session.add(copied)
    await session.flush()
    for statement in COPY_THREAD_SQL:
        await session.execute(text(statement), {"src": str(thread_id), "dst": str(copied.thread_id)})
    await approvals.audit(
        session,
        actor=principal.id,
        action="thread.copied",
        subject_type="thread",
        subject_id=str(copied.thread_id),
        data={"from": str(thread_id)},
    )
    return copied

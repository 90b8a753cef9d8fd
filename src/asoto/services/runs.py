"""Runs: validate, authorise and enqueue; wait for and read outcomes; cancel.

The HTTP request never runs a graph. Creating a run locks the thread row, so the checks
(one active run per thread, the pending interrupt a resume targets) and the insert are one
atomic decision: two concurrent resumes of one interrupt cannot both be accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import string
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.api.schemas import RunCreate, RunsCancel
from asoto.errors import Conflict, Forbidden, InvalidInput, NotFound, NotInterrupted, ThreadBusy
from asoto.graphs.approval.kinds import kind_of, may_decide
from asoto.graphs.approval_shapes import ApprovalDecision
from asoto.graphs.coaching.state import MemberReply
from asoto.graphs.registry import Flow, resolve
from asoto.persistence import run_queue
from asoto.persistence.checkpointer import Lease
from asoto.persistence.models import Member, Run, Thread
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.serialize import state_interrupts
from asoto.services import assistants, limits, threads, views
from asoto.services.keys import Principal
from asoto.tools import approvals

UNSUPPORTED = (
    "webhook",
    "langsmith_tracer",
    "feedback_keys",
)
# Options the engine honours in one way only: that value is accepted (it is what happens anyway),
# any other is refused rather than silently ignored.
ONLY = {
    # sync: every step is saved before the next starts (the built-in flows take nothing else);
    # a user's graph may choose the Platform's async (saved while the next step runs) or exit
    "durability": ("sync", "async", "exit"),
    "checkpoint_during": (True,),
    "stream_subgraphs": (False,),
    "stream_resumable": (True, False),  # stored streams are always resumable
    "on_completion": ("keep",),  # threaded runs keep their thread
    "on_disconnect": ("continue",),  # a run goes on when its client leaves
    "strict_resume": (True, False),  # resumes are always checked
}


def refuse_unsupported(body: RunCreate) -> None:
    used = [name for name in UNSUPPORTED if getattr(body, name) not in (None, [], "", {})]
    used += [
        name for name, allowed in ONLY.items() if getattr(body, name) is not None and getattr(body, name) not in allowed
    ]
    if used:
        raise InvalidInput(f"not supported by this server: {', '.join(used)}", code="unsupported_option")


def run_json(run: Run) -> dict[str, Any]:
    return {
        "run_id": str(run.run_id),
        "thread_id": str(run.thread_id),
        "assistant_id": str(run.assistant_id),
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "status": run.status,
        "metadata": run.metadata_,
        "kwargs": run.kwargs,
        "multitask_strategy": run.multitask_strategy,
    }


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())


async def _validate_input(
    session: AsyncSession, principal: Principal, flow: Flow, raw: dict[str, Any]
) -> tuple[dict[str, Any], uuid.UUID | None]:
    """The flow's input, validated, and the member it is about (which owns the thread).

    A user's graph (``langgraph.json``) has no member semantics: its input is the graph's own
    (checked by the graph when it runs), and a member key's thread is its member's."""
    if flow.input_model is None:
        if not isinstance(raw, dict):
            raise InvalidInput(f"invalid input for {flow.graph_id}: the input must be an object")
        return raw, principal.member_id if principal.role == "member" else None
    try:
        parsed = flow.input_model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"invalid input for {flow.graph_id}: {_errors(exc)}") from exc
    member_id = getattr(parsed, "member_id", None)
    if member_id is not None:
        if principal.role == "member" and member_id != principal.member_id:
            raise Forbidden("a member key may only start runs for its own member", code="member_mismatch")
        if principal.role == "coach":
            raise Forbidden("coach keys decide approvals; they do not start flows for members")
        if await session.get(Member, member_id) is None:
            raise InvalidInput(f"member {member_id} does not exist", code="unknown_member")
    elif principal.role == "member":
        raise Forbidden("a member key may only start runs about its own member", code="member_mismatch")
    return parsed.model_dump(mode="json", exclude_none=True), member_id


def _resume_map(pending: dict[str, dict[str, Any]], resume: Any) -> dict[str, Any]:
    """Resolve a resume to ``{interrupt_id: value}``; stale or ambiguous resumes are refused."""
    if isinstance(resume, dict) and resume and all(k in pending for k in resume):
        return dict(resume)
    if (
        isinstance(resume, dict)
        and resume
        and all(len(k) == 32 and all(c in string.hexdigits for c in k) for k in resume)
    ):
        raise NotInterrupted("the resume names an interrupt that is not pending", code="stale_interrupt")
    if len(pending) != 1:
        raise InvalidInput(
            "several interrupts are pending: resume with a map {interrupt_id: value}", code="ambiguous_resume"
        )
    return {next(iter(pending)): resume}


async def _decide_approval(
    session: AsyncSession, principal: Principal, request: dict[str, Any], value: Any
) -> dict[str, Any]:
    """Who may decide, what a valid decision is, and the compare-and-set that makes it exactly once."""
    approval = await approvals.get_approval(session, uuid.UUID(str(request["approval_id"])))
    if approval is None:
        raise NotInterrupted("the interrupt names an approval that does not exist", code="stale_interrupt")
    kind = kind_of(approval.kind)
    is_subject = principal.member_id is not None and approval.member_id == principal.member_id
    if not may_decide(kind, principal.role, is_subject=is_subject, escalated=approval.escalated_at is not None):
        who = "an admin (escalated)" if approval.escalated_at else " or ".join(kind.deciders)
        code = (
            "approval_requires_admin"
            if approval.escalated_at
            else ("approval_requires_member" if kind.deciders == ("member",) else "approval_requires_coach")
        )
        raise Forbidden(f"only {who} may decide {approval.kind} approvals", code=code)
    try:
        decision = ApprovalDecision.model_validate(value)
        if decision.decision == "edit":
            kind.edit_model.model_validate(decision.payload)
    except ValidationError as exc:
        raise InvalidInput(f"invalid approval decision: {_errors(exc)}", code="invalid_decision") from exc
    await approvals.claim_decision(
        session,
        approval_id=approval.id,
        decision=decision.decision,
        payload=decision.payload if decision.decision == "edit" else None,
        decided_by=principal.id,
        comment=decision.comment,
    )
    return {**decision.model_dump(exclude_none=True), "decided_by": principal.id}


def _member_reply(principal: Principal, thread: Thread, value: Any) -> dict[str, Any]:
    """Only the member of the session (or a trusted service acting for them) replies in it."""
    if not (principal.acts_for_anyone or (principal.role == "member" and principal.member_id == thread.member_id)):
        raise Forbidden("only the member of this session may reply", code="reply_requires_member")
    try:
        return MemberReply.model_validate(value).model_dump(exclude_none=True)
    except ValidationError as exc:
        raise InvalidInput(f"invalid reply: {_errors(exc)}", code="invalid_reply") from exc


async def _validate_resume(
    res: Resources, session: AsyncSession, principal: Principal, thread: Thread, flow: Flow, resume: Any
) -> dict[str, Any]:
    """Accept a resume only for an interrupt the thread is waiting on, decided by someone allowed."""
    snapshot = await res.graphs[flow.graph_id].aget_state({"configurable": {"thread_id": str(thread.thread_id)}})
    pending = {i["id"]: i["value"] for group in state_interrupts(snapshot).values() for i in group}
    if not pending:
        raise NotInterrupted(f"thread {thread.thread_id} is not waiting on an interrupt")
    mapping = _resume_map(pending, resume)
    for interrupt_id, value in list(mapping.items()):
        request = pending[interrupt_id]
        if isinstance(request, dict) and request.get("type") == "approval":
            mapping[interrupt_id] = await _decide_approval(session, principal, request, value)
        elif isinstance(request, dict) and request.get("type") == "member_reply":
            mapping[interrupt_id] = _member_reply(principal, thread, value)
    return mapping


class Taker(Protocol):
    """A worker in this process that can run a run the moment its creation commits
    (``runtime.worker.Worker.reserve/unreserve/adopt``)."""

    def reserve(self) -> str | None: ...

    def unreserve(self) -> None: ...

    def adopt(self, run: Run, requested: float) -> Lease: ...


Making = Callable[[AsyncSession, str | None], Awaitable[Run]]


async def create_here(res: Resources, taker: Taker | None, make: Making) -> Run:
    """Create a run (``make(session, lease_owner)``: ``create`` or ``create_stateless``) for a caller
    who waits for it, and run it in this process when a local slot is free and the thread has
    nothing else to run first; otherwise it is queued for any worker, as ``create`` does."""
    owner = taker.reserve() if taker is not None else None
    requested = time.monotonic()
    lease: Lease | None = None
    try:
        async with res.db.sessions.begin() as session:
            run = await make(session, owner)
            if taker is not None and owner is not None and run.status == "running" and run.lease_owner == owner:
                # started now: it reads its checkpoint while this commits, and waits for the commit
                lease = taker.adopt(run, requested)
    except BaseException:
        if lease is not None:
            lease.creation_ended(committed=False)
        elif taker is not None and owner is not None:
            taker.unreserve()
        raise
    if lease is not None:
        lease.creation_ended(committed=True)
    elif taker is not None and owner is not None:
        taker.unreserve()
    return run


async def create(
    res: Resources,
    session: AsyncSession,
    principal: Principal,
    thread_id: uuid.UUID,
    body: RunCreate,
    *,
    stream_modes: list[str] | None = None,
    run_id: uuid.UUID | None = None,
    thread_metadata: dict[str, Any] | None = None,
    lease_owner: str | None = None,
) -> Run:
    """Check and enqueue a run (``run_id``: chosen by a caller that subscribes to its end first;
    ``thread_metadata``: added to a thread this run creates; ``lease_owner``: a worker of the
    caller's process that will run it at once, if the thread has nothing else to run first; the
    run comes back ``running`` when it was taken so)."""
    refuse_unsupported(body)
    flow, pinned = await assistants.for_run(session, body.assistant_id, res.flows)
    if (
        stream_modes
        and flow.builtin
        and not views.sees_drafts(principal)
        and set(stream_modes) & set(views.WHOLE_STATE_MODES)
    ):
        raise Forbidden(
            f"{flow.graph_id}'s whole state holds drafts for people to check: debug, tasks and checkpoints "
            "streams are for coach and admin keys",
            code="stream_mode_requires_coach",
        )
    config = assistants.merge_config(pinned.config if pinned else {}, assistants.validate_config(body.config))
    context = assistants.validate_context(
        flow, res.graphs[flow.graph_id], {**(pinned.context if pinned else {}), **(body.context or {})}
    )
    debug = _debug_options(principal, flow, res.graphs[flow.graph_id], body)
    continuing = body.input is None and body.command is None and debug.allowed
    if not continuing and (body.input is None) == (body.command is None or body.command.resume is None):
        raise InvalidInput("send exactly one of input or command.resume", code="input_or_command")
    if body.command is not None and (body.command.update is not None or body.command.goto is not None):
        raise InvalidInput(
            "command.update and command.goto are not supported; use command.resume", code="unsupported_option"
        )

    thread, active = await run_queue.lock_thread(session, thread_id)
    if thread is None and body.if_not_exists == "create":
        metadata = {**(thread_metadata or {}), "owner": principal.id, "graph_id": flow.graph_id}
        thread = await threads.insert_new(
            session, thread_id, principal, member_id=principal.member_id, graph_id=flow.graph_id, metadata=metadata
        )
        if thread is None:  # another caller made it meanwhile (its commit was waited for): as it is now
            thread, active = await run_queue.lock_thread(session, thread_id)
    if thread is None or not threads.can_see(principal, thread):  # locked above: no second SELECT
        raise NotFound(f"thread {thread_id} not found", code="thread_not_found")
    if thread.graph_id and thread.graph_id != flow.graph_id:
        raise InvalidInput(
            f"thread {thread_id} belongs to {thread.graph_id}, not {flow.graph_id}", code="graph_mismatch"
        )

    kwargs: dict[str, Any]
    member_id = None
    if debug.checkpoint_id is not None or continuing:
        await _check_start_point(res, flow, thread, debug.checkpoint_id)
    if continuing:  # from a breakpoint, or a replay of a past checkpoint: no new input
        kwargs = {"input": None}
        if active:
            raise ThreadBusy(f"thread {thread_id} has an active run; continue it when that run ends")
    elif body.command is not None:
        # the decision's compare-and-set comes first: a second decision is "already decided", not "busy"
        kwargs = {
            "command": {"resume": await _validate_resume(res, session, principal, thread, flow, body.command.resume)}
        }
        if active:
            raise ThreadBusy(f"thread {thread_id} has an active run; resume it when it is interrupted")
    else:
        assert body.input is not None
        validated, member_id = await _validate_input(session, principal, flow, body.input)
        if member_id is not None:
            await limits.check_member_runs(session, member_id, limit=res.settings.rate_active_runs_per_member)
        kwargs = {"input": validated}
        if member_id is not None and thread.member_id not in (None, member_id):
            raise Forbidden(f"thread {thread_id} belongs to another member", code="member_mismatch")
        if active:
            if body.multitask_strategy == "reject":
                raise ThreadBusy(
                    "Thread is already running a task. Wait for it to finish or choose a different multitask strategy."
                )
            if body.multitask_strategy in ("interrupt", "rollback"):
                rollback = body.multitask_strategy == "rollback"
                for active_id in active:
                    await _stop(session, active_id, rollback=rollback)

    if stream_modes:
        kwargs["stream"] = {"modes": stream_modes}
    kwargs.update(debug.kwargs())
    if body.durability not in (None, "sync"):
        if flow.builtin:
            raise InvalidInput(
                f"{flow.graph_id} saves every step before the next: durability sync only", code="unsupported_option"
            )
        kwargs["durability"] = body.durability
    if config:
        kwargs["config"] = config
    if context:
        kwargs["context"] = context
    if pinned is not None:  # the version this run keeps, whatever happens to the assistant later
        kwargs["assistant"] = {"assistant_id": str(pinned.assistant_id), "version": pinned.version}
    return await run_queue.enqueue(
        session,
        run_id=run_id,
        thread_id=thread_id,
        assistant_id=pinned.assistant_id if pinned else flow.assistant_id,
        graph_id=flow.graph_id,
        kwargs=kwargs,
        metadata=body.metadata,
        strategy=body.multitask_strategy,
        created_by=principal.id,
        member_id=member_id,
        after_s=body.after_seconds or 0,
        lease_owner=lease_owner if not active and not body.after_seconds else None,
        lease_s=res.settings.run_lease_s,
    )


@dataclass(frozen=True)
class DebugOptions:
    """Time travel (``checkpoint_id``: replay or fork from a past checkpoint) and breakpoints
    (``interrupt_before/after``) asked for by one run."""

    checkpoint_id: str | None = None
    interrupt_before: list[str] | str | None = None
    interrupt_after: list[str] | str | None = None
    allowed: bool = False  # the caller may debug this flow (also: continue with no input)

    def kwargs(self) -> dict[str, Any]:
        chosen = {
            "checkpoint_id": self.checkpoint_id,
            "interrupt_before": self.interrupt_before,
            "interrupt_after": self.interrupt_after,
        }
        return {k: v for k, v in chosen.items() if v}


def _breakpoints(value: Any, nodes: set[str], name: str) -> list[str] | str | None:
    if value in (None, [], ""):
        return None
    if value == "*":
        return "*"
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise InvalidInput(f'{name} is a list of node names or "*"', code="invalid_breakpoints")
    unknown = sorted(set(value) - nodes)
    if unknown:
        raise InvalidInput(f"{name}: no such node: {', '.join(unknown)}", code="unknown_node")
    return list(value)


def _debug_options(principal: Principal, flow: Flow, graph: Any, body: RunCreate) -> DebugOptions:
    """Read and check a run's time-travel and breakpoint options. On the built-in flows they are
    for admin keys: a replay re-runs a member's flow, a breakpoint holds it, and the state they
    expose holds drafts for people to check. On a user's graph, anyone who may run it."""
    allowed = threads.debugs(principal, flow)
    checkpoint = body.checkpoint if isinstance(body.checkpoint, dict) else {}
    if body.checkpoint is not None and not isinstance(body.checkpoint, dict):
        raise InvalidInput("checkpoint is an object with a checkpoint_id", code="invalid_checkpoint")
    if checkpoint.get("checkpoint_ns") not in (None, ""):
        raise InvalidInput(
            'forks start from a checkpoint of the top graph (checkpoint_ns "")', code="unsupported_option"
        )
    checkpoint_id = body.checkpoint_id or checkpoint.get("checkpoint_id")
    nodes = threads.node_names(graph)
    options = DebugOptions(
        checkpoint_id=str(checkpoint_id) if checkpoint_id else None,
        interrupt_before=_breakpoints(body.interrupt_before, nodes, "interrupt_before"),
        interrupt_after=_breakpoints(body.interrupt_after, nodes, "interrupt_after"),
        allowed=allowed,
    )
    if options.kwargs() and not allowed:
        raise Forbidden(
            f"checkpoint forks and breakpoints on {flow.graph_id} are for admin keys", code="debug_requires_admin"
        )
    return options


async def _check_start_point(res: Resources, flow: Flow, thread: Thread, checkpoint_id: str | None) -> None:
    """A fork's checkpoint must be one of this thread's; a run with no input must have a state to
    continue from."""
    try:
        await threads.snapshot_at(res.graphs[flow.graph_id], thread.thread_id, checkpoint_id)
    except NotFound:
        if checkpoint_id is not None:
            raise
        raise InvalidInput(
            f"thread {thread.thread_id} has no state to continue from: send input", code="input_or_command"
        ) from None


async def create_stateless(
    res: Resources,
    session: AsyncSession,
    principal: Principal,
    body: RunCreate,
    *,
    stream_modes: list[str] | None = None,
    run_id: uuid.UUID | None = None,
    lease_owner: str | None = None,
) -> Run:
    """A run without a thread of the caller's (``runs.create(None, …)``): it gets a new thread,
    which is deleted after the run ends (``on_completion="delete"``, the default) by the workers'
    sweep (``threads.drop_finished_stateless``), or kept (``"keep"``). A run that ends waiting on
    an interrupt keeps its thread either way: deleting it would drop the approval or the question
    a person still has to answer."""
    if body.command is not None or body.input is None:
        raise InvalidInput("a stateless run starts from input (there is no thread to resume)", code="input_or_command")
    on_completion = body.on_completion or "delete"
    if on_completion not in ("delete", "keep"):
        raise InvalidInput("on_completion must be delete or keep", code="unsupported_option")
    threaded = body.model_copy(update={"if_not_exists": "create", "on_completion": None})
    return await create(
        res,
        session,
        principal,
        uuid.uuid4(),
        threaded,
        stream_modes=stream_modes,
        run_id=run_id,
        thread_metadata={threads.ON_COMPLETION: on_completion},
        lease_owner=lease_owner,
    )


async def enqueue_system_resume(
    res: Resources, session: AsyncSession, approval: Any, value: dict[str, Any]
) -> Run | None:
    """Resume the run waiting on an approval with a decision the engine made (expiry).
    The approval row was already changed by the caller, so no compare-and-set happens here."""
    if approval.thread_id is None:
        return None
    thread, active = await run_queue.lock_thread(session, approval.thread_id)
    if thread is None or not thread.graph_id or active:
        return None
    snapshot = await res.graphs[thread.graph_id].aget_state({"configurable": {"thread_id": str(thread.thread_id)}})
    for group in state_interrupts(snapshot).values():
        for item in group:
            if isinstance(item["value"], dict) and item["value"].get("approval_id") == str(approval.id):
                flow = resolve(thread.graph_id, res.flows)
                return await run_queue.enqueue(
                    session,
                    thread_id=thread.thread_id,
                    assistant_id=flow.assistant_id,
                    graph_id=flow.graph_id,
                    kwargs={"command": {"resume": {item["id"]: value}}},
                    metadata={"reason": "approval_expired"},
                    strategy="reject",
                    created_by=str(value.get("decided_by", "system")),
                )
    return None


async def get_visible(session: AsyncSession, principal: Principal, thread_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    await threads.get_visible(session, principal, thread_id)
    run = await run_queue.get_run(session, thread_id, run_id)
    if run is None:
        raise NotFound(f"run {run_id} not found", code="run_not_found")
    return run


async def list_for_thread(
    session: AsyncSession, principal: Principal, thread_id: uuid.UUID, *, limit: int, offset: int, status: str | None
) -> list[Run]:
    await threads.get_visible(session, principal, thread_id)
    stmt = select(Run).where(Run.thread_id == thread_id)
    if status:
        stmt = stmt.where(Run.status == status)
    stmt = stmt.order_by(Run.created_at.desc()).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def wait(
    res: Resources, hub: NotificationHub, run_id: uuid.UUID, *, poll_s: float = 2.0, ended: asyncio.Event | None = None
) -> Run:
    """Block until the run is no longer pending or running (notification, or polling).

    ``ended``: a subscription taken before the run was created, so its end cannot slip past; the
    run is then read once, when it ends (a fresh wait reads first, then sleeps)."""
    if ended is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ended.wait(), timeout=poll_s)
    while True:
        if (here := hub.take_ended(str(run_id))) is not None:  # this process ran it: no read back
            return here
        with hub.waiting_for(str(run_id)) as done:
            async with res.pool.connection() as conn:
                run = await run_queue.read_run(conn, run_id)
            if run is None:
                raise NotFound(f"run {run_id} not found", code="run_not_found")
            if run.status in run_queue.TERMINAL:
                hub.take_ended(str(run_id))  # ended here meanwhile: already read
                return run
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=poll_s)


def result(run: Run) -> dict[str, Any]:
    """What wait/join return: the final values, with ``__error__`` when the run failed."""
    if run.status in ("error", "timeout"):
        return {"__error__": run.error or {"error": "Error", "message": "the run failed"}}
    if run.status == "interrupted" and run.output is None:
        return {"__error__": run.error or {"error": "Cancelled", "message": "the run was cancelled"}}
    return run.output or {}


async def _stop(session: AsyncSession, run_id: uuid.UUID, *, rollback: bool) -> bool:
    """Stop an active run: a pending one at once (deleted outright for a rollback), a running one
    through its worker (which erases it after it stops, for a rollback). True if it was pending."""
    if rollback:
        if await run_queue.delete_pending(session, run_id):
            return True
        await run_queue.request_cancel(session, run_id, rollback=True)
        return False
    if await run_queue.cancel_pending(session, run_id):
        return True
    await run_queue.request_cancel(session, run_id)
    return False


async def cancel(
    session: AsyncSession, principal: Principal, thread_id: uuid.UUID, run_id: uuid.UUID, *, rollback: bool = False
) -> Run:
    """Cancel a run whatever it is doing now. The status read first may be stale (a worker can
    claim the run between that read and the cancel), so a pending-cancel that finds the run no
    longer pending asks the running attempt to stop instead: a cancel is never lost. With
    ``rollback`` the run is then deleted with every checkpoint it made (``run_queue.roll_back``)."""
    run = await get_visible(session, principal, thread_id, run_id)
    if principal.role == "coach":
        raise Forbidden("coach keys cannot cancel runs")
    if run.status in run_queue.TERMINAL:
        return run
    if await _stop(session, run_id, rollback=rollback):
        await run_queue.settle_thread(session, thread_id)
    return run


async def cancel_many(session: AsyncSession, principal: Principal, body: RunsCancel, *, rollback: bool = False) -> int:
    """``runs.cancel_many``: the runs named on one thread (all its active runs if none are named),
    or every pending/running run the caller may see by status. Each is cancelled as ``cancel``
    does, threads locked in one order (no two bulk cancels deadlock); returns how many."""
    if (body.thread_id is None) == (body.status is None) or (body.run_ids and body.thread_id is None):
        raise InvalidInput("send thread_id (with or without run_ids) or status, not both", code="invalid_input")
    if principal.role == "coach":
        raise Forbidden("coach keys cannot cancel runs")
    if body.thread_id is not None:
        await threads.get_visible(session, principal, body.thread_id)
        stmt = select(Run.thread_id, Run.run_id).where(Run.thread_id == body.thread_id)
        stmt = (
            stmt.where(Run.run_id.in_(body.run_ids)) if body.run_ids else stmt.where(Run.status.in_(run_queue.ACTIVE))
        )
    else:
        wanted = run_queue.ACTIVE if body.status == "all" else (body.status,)
        stmt = (
            select(Run.thread_id, Run.run_id)
            .join(Thread, Thread.thread_id == Run.thread_id)
            .where(threads.visible(principal), Run.status.in_(wanted))
        )
    found = sorted((await session.execute(stmt)).tuples().all())
    if body.run_ids:
        missing = set(body.run_ids) - {run_id for _thread, run_id in found}
        if missing:
            raise NotFound(f"run {sorted(map(str, missing))[0]} not found", code="run_not_found")
    for thread_id, run_id in found:
        await cancel(session, principal, thread_id, run_id, rollback=rollback)
    return len(found)


async def delete(session: AsyncSession, principal: Principal, thread_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Delete a finished run and its stored stream (the same rule as deleting a thread: the member
    who owns it or an admin). An active run is cancelled first, never deleted under its worker."""
    if principal.role not in ("member", "admin"):
        raise Forbidden("only the member who owns a thread, or an admin, may delete its runs", code="delete_forbidden")
    run = await get_visible(session, principal, thread_id, run_id)
    if run.status in run_queue.ACTIVE:
        raise Conflict(f"run {run_id} is {run.status}; cancel it first", code="run_active")
    await session.delete(run)

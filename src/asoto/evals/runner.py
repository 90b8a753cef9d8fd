"""Runs eval cases through the real engine: an isolated database, the real checkpointer and
graphs, and the same path as the API (``services.runs.create`` → the worker → ``runs.wait``).

The database: a template seeded once with the demo community (kept, keyed by the migration
head and the seed), cloned into a fresh database for each eval run and dropped at its end, on
the embedded Postgres or ``ASOTO_DATABASE_URL``'s server. Scripted members answer coaching
turns and scripted approvers decide (approve, reject, edit, or let the deadline pass); no
model is needed for either. Every model call goes through the answer cache (``cache.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import structlog
from sqlalchemy import select, update

from asoto.agents.embeddings import OfflineEmbedder
from asoto.agents.llm import make_model
from asoto.api.schemas import CommandIn, RunCreate
from asoto.config import Settings
from asoto.errors import AsotoError
from asoto.evals import evaluators
from asoto.evals.cache import CachingModel, Mode
from asoto.evals.cases import load_cases
from asoto.evals.judge import Judge
from asoto.persistence import embedded
from asoto.persistence.database import libpq_uri
from asoto.persistence.models import Approval, Block, Connection, Member, Project
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources, open_resources, prepare_database
from asoto.runtime.worker import Worker
from asoto.services import runs
from asoto.services.keys import Principal

log = structlog.get_logger(__name__)
SEED, MEMBERS = 7, 200
SEED_NS = uuid.UUID(int=SEED)
SERVICE = Principal(id="eval:service", role="service")
COACH = Principal(id="eval:coach", role="coach")
ADMIN = Principal(id="eval:admin", role="admin")


def member_id(index: int) -> uuid.UUID:
    return uuid.uuid5(SEED_NS, f"member:{index}")


def member_principal(index: int) -> Principal:
    return Principal(id=f"eval:member:{index}", role="member", member_id=member_id(index))


JA_MEMBER, EN_MEMBER = 0, 19  # seed: index % 20 == 19 are English speakers
JA_MEMBERS = [i for i in range(MEMBERS) if i % 20 != 19]
EN_MEMBERS = [i for i in range(MEMBERS) if i % 20 == 19]
# The community is seeded at this instant and every eval run's clock reads a day later, so the
# prompts (which carry the date and the member's 30-day scores) are the same on every run: the
# answer cache replays them on any day.
SEEDED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
EVAL_NOW = SEEDED_AT + timedelta(days=1)


def member_for(case: dict[str, Any], locale: str) -> int:
    """Each case its own member (by its position in the run), so cases never see each other's
    logs or sessions however they interleave."""
    pool = EN_MEMBERS if locale.startswith("en") else JA_MEMBERS
    return pool[int(case.get("_position", 0)) % len(pool)]


@dataclass
class EvalConfig:
    flows: list[str]
    suite: str = "full"
    dataset: Path | None = None
    model: str | None = None
    judge: str | None = None
    repeat: int = 1
    jobs: int = 4
    cache: Mode = "readwrite"


@dataclass
class CaseRun:
    flow: str
    case: dict[str, Any]
    repeat: int
    status: str = "ok"  # ok | error
    output: dict[str, Any] = field(default_factory=dict)
    trajectory: list[str] = field(default_factory=list)
    transcript: dict[str, Any] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "case_id": self.case["id"],
            "case": self.case,
            "repeat": self.repeat,
            "status": self.status,
            "output": self.output,
            "trajectory": self.trajectory,
            "transcript": self.transcript,
            "scores": self.scores,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


# --- the database ------------------------------------------------------------------------


def _server_uri(settings: Settings) -> tuple[str, Any]:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value(), None
    server = embedded.start_embedded(settings.pgdata)
    return server.get_uri(), server


def _template_name() -> str:
    """Keyed by the migrations and the seed code: a change to either builds a new template."""
    import asoto.seed
    from asoto.persistence import migrate

    versions = Path(migrate.__file__).parent / "migrations" / "versions"
    sources = [*sorted(versions.glob("*.py")), Path(asoto.seed.__file__)]
    digest = hashlib.sha256(f"{SEED}:{MEMBERS}:{SEEDED_AT.isoformat()}".encode())
    for path in sources:
        digest.update(path.read_bytes())
    return f"asoto_eval_tpl_{digest.hexdigest()[:10]}"


async def _ensure_template(settings: Settings, server_uri: str, embedder: OfflineEmbedder) -> str:
    """The seeded template database, built once (under an advisory lock: concurrent evals wait)."""
    from asoto.seed import seed_community

    name = _template_name()
    admin = embedded.with_database(server_uri, "postgres")
    async with await psycopg.AsyncConnection.connect(libpq_uri(admin), autocommit=True) as conn:
        await conn.execute("select pg_advisory_lock(hashtext('asoto_eval_template'))")
        try:
            exists = await (await conn.execute("select 1 from pg_database where datname = %s", (name,))).fetchone()
            if not exists:
                building = f"{name}_building"
                await conn.execute(f'drop database if exists "{building}" with (force)')
                await conn.execute(f'create database "{building}"')
                uri = embedded.with_database(server_uri, building)
                await prepare_database(settings, uri)
                async with (
                    open_resources(settings, uri=uri, embedder=embedder, migrate_first=False) as res,
                    res.db.sessions.begin() as session,
                ):
                    await seed_community(session, embedder, seed=SEED, members=MEMBERS, now=SEEDED_AT)
                await conn.execute(f'alter database "{building}" rename to "{name}"')
        finally:
            await conn.execute("select pg_advisory_unlock(hashtext('asoto_eval_template'))")
    return name


@contextlib.asynccontextmanager
async def eval_database(settings: Settings, embedder: OfflineEmbedder) -> AsyncIterator[str]:
    """A fresh clone of the seeded template for one eval run; dropped at the end."""
    server_uri, server = _server_uri(settings)
    try:
        template = await _ensure_template(settings, server_uri, embedder)
        name = f"asoto_eval_{uuid.uuid4().hex[:12]}"
        admin = libpq_uri(embedded.with_database(server_uri, "postgres"))
        async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
            await conn.execute(f'create database "{name}" template "{template}"')
        try:
            yield embedded.with_database(server_uri, name)
        finally:
            async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
                await conn.execute(f'drop database if exists "{name}" with (force)')
    finally:
        if server is not None:
            server.cleanup()


# --- running one case ----------------------------------------------------------------------


class Engine:
    """The resources, the worker and the hub of one eval run, and how a case drives them."""

    def __init__(self, res: Resources, hub: NotificationHub) -> None:
        self.res = res
        self.hub = hub

    async def start(self, principal: Principal, thread_id: uuid.UUID, graph: str, **body: Any) -> dict[str, Any]:
        async with self.res.db.sessions.begin() as session:
            run = await runs.create(
                self.res, session, principal, thread_id, RunCreate(assistant_id=graph, if_not_exists="create", **body)
            )
        return runs.result(await runs.wait(self.res, self.hub, run.run_id, poll_s=0.5))

    async def decide(self, principal: Principal, approval_id: str, value: dict[str, Any]) -> dict[str, Any]:
        """What ``POST /approvals/{id}/decision`` does, then the resumed run's result."""
        from asoto.services import approvals

        async with self.res.db.sessions.begin() as session:
            _, run = await approvals.decide(self.res, session, principal, uuid.UUID(approval_id), value)
        return runs.result(await runs.wait(self.res, self.hub, run.run_id, poll_s=0.5))

    async def resume(self, principal: Principal, thread_id: uuid.UUID, graph: str, value: Any) -> dict[str, Any]:
        return await self.start(principal, thread_id, graph, command=CommandIn(resume=value))

    async def trajectory(self, graph: str, thread_id: uuid.UUID) -> list[str]:
        history = [
            s async for s in self.res.graphs[graph].aget_state_history({"configurable": {"thread_id": str(thread_id)}})
        ]
        nodes: list[str] = []
        for snapshot in reversed(history):  # oldest first; ``next`` is what ran after each checkpoint
            nodes.extend(n for n in snapshot.next if n != "__start__" and (not nodes or nodes[-1] != n))
        return nodes


def _interrupt(output: dict[str, Any]) -> dict[str, Any] | None:
    pending = output.get("__interrupt__") or []
    return pending[0]["value"] if pending else None


async def run_log_feedback(
    engine: Engine, case: dict[str, Any], thread: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    index = member_for(case, str(case["locale"]))
    output = await engine.start(
        SERVICE, thread, "log_feedback", input={"member_id": str(member_id(index)), "log": case["log"]}
    )
    return output, {}


async def run_risk(engine: Engine, case: dict[str, Any], thread: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any]]:
    english = case["lang"] == "en"
    index = member_for(case, "en" if english else "ja")
    log = {"title": "Today" if english else "今日の振り返り", "content": case["text"]}
    output = await engine.start(SERVICE, thread, "log_feedback", input={"member_id": str(member_id(index)), "log": log})
    return output, {}


async def run_coaching(
    engine: Engine, case: dict[str, Any], thread: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    index = member_for(case, str(case["locale"]))
    member = member_principal(index)
    payload: dict[str, Any] = {"member_id": str(member_id(index)), "session_type": case["session_type"]}
    if case.get("topic"):
        payload["context"] = {"topic": case["topic"]}
    output = await engine.start(member, thread, "coaching", input=payload)
    turns: list[str] = []
    replies = list(case["replies"])
    while (pending := _interrupt(output)) is not None and pending.get("type") == "member_reply":
        turns.append(str(pending.get("message", "")))
        value = {"message": replies.pop(0)} if replies else {"end": True}
        output = await engine.resume(member, thread, "coaching", value)
    transcript: dict[str, Any] = {"coach_turns": turns}
    pending = _interrupt(output)
    if pending and pending.get("kind") == "coaching_steps":
        transcript["proposed_steps"] = list((pending.get("proposal") or {}).get("steps") or [])
        output = await engine.resume(member, thread, "coaching", {"decision": "approve"})
    elif pending:
        transcript["held"] = pending.get("kind")
    return output, transcript


_PRINCIPALS: dict[str, Callable[[], Principal]] = {
    "coach": lambda: COACH,
    "admin": lambda: ADMIN,
    "service": lambda: SERVICE,
    "member": lambda: member_principal(JA_MEMBER),
}


async def _approval_status(engine: Engine, approval_id: str) -> Approval:
    async with engine.res.db.sessions() as session:
        approval = await session.get(Approval, uuid.UUID(approval_id))
    assert approval is not None
    return approval


async def _expire(engine: Engine, approval_id: str) -> None:
    from asoto.services.approvals import expire_due

    async with engine.res.db.sessions.begin() as session:
        await session.execute(
            update(Approval)
            .where(Approval.id == uuid.UUID(approval_id))
            .values(deadline=Approval.created_at - timedelta(seconds=1))
        )
    # the sweep skips an approval whose row is locked (the run that raised it may still be
    # committing its bookkeeping): try again, as the worker's periodic sweep would
    for _ in range(100):
        await expire_due(engine.res)
        approval = await _approval_status(engine, approval_id)
        if approval.status != "pending" or approval.escalated_at is not None:
            return
        await asyncio.sleep(0.05)


async def run_approval(
    engine: Engine, case: dict[str, Any], thread: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start the approval flow on its own; a scripted person decides as the case says, through
    the approvals service (what ``POST /approvals/{id}/decision`` runs)."""
    subject: dict[str, Any] = {"member_id": str(member_id(JA_MEMBER))}
    if "opt_in" in case:
        subject["opt_in"] = case["opt_in"]
    payload = {
        "kind": case["kind"],
        "subject": subject,
        "proposal": case["proposal"],
        "requested_by": "eval",
        "reasons": case.get("reasons", []),
        **({"policy": case["policy"]} if case.get("policy") else {}),
    }
    output = await engine.start(SERVICE, thread, "approval", input=payload)
    pending = _interrupt(output)
    if pending is None:  # a policy decided without a person
        decided = {"approve": "approved", "reject": "rejected", "edit": "edited"}.get(str(output.get("decision")))
        return output, {"outcome": decided or str(output.get("decision"))}
    approval_id = str(pending["approval_id"])
    decision = str(case["decision"])
    if decision.startswith("timeout"):
        await _expire(engine, approval_id)
        approval = await _approval_status(engine, approval_id)
        outcome = "escalated" if approval.status == "pending" and approval.escalated_at else approval.status
        if decision == "timeout":
            return output, {"outcome": outcome}
    value: dict[str, Any] = {"decision": decision.removesuffix("_twice").removeprefix("timeout_then_")}
    if value["decision"] == "decide":
        value = {"decision": "approve"}
    if decision == "edit":
        value["payload"] = case["payload"]
    if decision == "edit_invalid":
        value = {"decision": "edit", "payload": {"unexpected": True}}
    principal = _PRINCIPALS[str(case["decider"])]()
    try:
        output = await engine.decide(principal, approval_id, value)
    except AsotoError as exc:
        return output, {"outcome": "refused", "code": exc.code}
    transcript: dict[str, Any] = {"outcome": (await _approval_status(engine, approval_id)).status}
    if decision.endswith("_twice"):
        try:
            await engine.decide(principal, approval_id, value)
            transcript["code"] = "accepted_twice"
        except AsotoError as exc:
            transcript["code"] = exc.code
    return output, transcript


async def run_matching(
    engine: Engine, case: dict[str, Any], thread: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    index = int(case["member_index"])
    me = member_id(index)
    output = await engine.start(
        SERVICE, thread, "matching", input={"member_id": str(me), "target": case["target"], "k": int(case["k"])}
    )
    matches = list(output.get("matches") or [])
    async with engine.res.db.sessions() as session:
        member = await session.get(Member, me)
        assert member is not None
        if case["target"] == "members":
            everyone = {m.id: m for m in (await session.scalars(select(Member).where(Member.id != me))).all()}
            position = {member_id(i): i for i in range(MEMBERS)}

            def grade(other: Member) -> int:
                same = position.get(other.id, -1) % 8 == index % 8
                return 2 if same else int(bool(set(other.interests) & set(member.interests)))

            grades = [
                grade(everyone[uuid.UUID(m["candidate_id"])])
                for m in matches
                if uuid.UUID(m["candidate_id"]) in everyone
            ]
            ideal = [grade(m) for m in everyone.values()]
            connected = set()
            for a, b in (await session.execute(select(Connection.member_a, Connection.member_b))).all():
                if me in (a, b):
                    connected.add(b if a == me else a)
            blocked = {
                b if a == me else a
                for a, b in (await session.execute(select(Block.blocker_id, Block.blocked_id))).all()
                if me in (a, b)
            }
            ids = [uuid.UUID(m["candidate_id"]) for m in matches]
            violations = [str(i) for i in ids if i == me or i in connected or i in blocked]
        else:
            projects = {p.id: p for p in (await session.scalars(select(Project))).all()}

            def grade_project(project: Project) -> int:
                return 2 if set(project.wanted_skills) & set(member.skills) else 0

            ids = [uuid.UUID(m["candidate_id"]) for m in matches]
            grades = [grade_project(projects[i]) for i in ids if i in projects]
            ideal = [grade_project(p) for p in projects.values() if p.status == "open" and p.owner_id != me]
            violations = [
                str(i) for i in ids if i not in projects or projects[i].status != "open" or projects[i].owner_id == me
            ]
    transcript = {
        "grades": grades,
        "ideal": ideal,
        "total_relevant": sum(g >= 2 for g in ideal),
        "violations": violations,
    }
    return output, transcript


RUNNERS: dict[str, Callable[[Engine, dict[str, Any], uuid.UUID], Any]] = {
    "log_feedback": run_log_feedback,
    "risk": run_risk,
    "coaching": run_coaching,
    "approval": run_approval,
    "matching": run_matching,
}
GRAPH_OF = {
    "log_feedback": "log_feedback",
    "risk": "log_feedback",
    "coaching": "coaching",
    "approval": "approval",
    "matching": "matching",
}


async def run_case(
    engine: Engine, flow: str, case: dict[str, Any], repeat: int, thread: uuid.UUID, judge: Judge | None = None
) -> CaseRun:
    started = time.perf_counter()
    outcome = CaseRun(flow, case, repeat)
    try:
        outcome.output, outcome.transcript = await RUNNERS[flow](engine, case, thread)
        if "__error__" in outcome.output:
            raise RuntimeError(f"the run failed: {outcome.output['__error__']}")
        outcome.trajectory = await engine.trajectory(GRAPH_OF[flow], thread)
        for registered in evaluators.for_flow(flow, "case"):
            scored = registered.fn(
                flow=flow,
                case=case,
                output=outcome.output,
                trajectory=outcome.trajectory,
                transcript=outcome.transcript,
            )
            if scored is not None:  # None: the evaluator does not apply to this case
                outcome.scores.append(scored)
        if judge is not None:
            outcome.scores.extend(await judge.score(flow, case, outcome.output))
    except Exception as exc:  # a case that cannot run is an infrastructure error, reported, never a score of 0
        outcome.status = "error"
        outcome.error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("eval.case_error", flow=flow, case=case["id"], error=outcome.error)
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- the whole run --------------------------------------------------------------------------


@dataclass
class Progress:
    """What the CLI's progress bar needs: called once per finished case."""

    total: int
    advance: Callable[[CaseRun], None] = lambda _case: None


async def execute(
    settings: Settings,
    config: EvalConfig,
    *,
    progress: Callable[[int], Progress] | None = None,
    model_factory: Callable[[Settings, OfflineEmbedder], Any] | None = None,
) -> tuple[list[CaseRun], dict[str, Any]]:
    """Run every case of the configured flows (× repeats); returns the case runs and counters."""
    cases = {
        flow: [
            {**case, "_position": n}
            for n, case in enumerate(
                load_cases(flow, suite=config.suite, dataset=config.dataset if len(config.flows) == 1 else None)
            )
        ]
        for flow in config.flows
    }
    model_settings = settings.model_copy(update={"llm": config.model}) if config.model else settings
    embedder = OfflineEmbedder()
    threads: dict[str, int] = {}

    def repeat_of() -> int:
        from langgraph.config import get_config

        with contextlib.suppress(Exception):
            return threads.get(str(get_config()["configurable"]["thread_id"]), 0)
        return 0

    factory = model_factory or (lambda s, e: make_model(s, e))
    cache_dir = settings.home / "evals" / "cache"
    model = CachingModel(factory(model_settings, embedder), cache_dir, config.cache, repeat_of)
    judge = (
        Judge(
            CachingModel(
                factory(settings.model_copy(update={"llm": config.judge}), embedder), cache_dir, config.cache, repeat_of
            )
        )
        if config.judge
        else None
    )
    total = sum(len(c) for c in cases.values()) * config.repeat
    tracker = progress(total) if progress else Progress(total)
    results: list[CaseRun] = []
    started = time.perf_counter()
    async with eval_database(settings, embedder) as uri:
        run_settings = settings.model_copy(
            update={"log_level": "ERROR", "worker_concurrency": max(4, config.jobs * 2), "worker_poll_s": 0.2}
        )
        async with open_resources(run_settings, uri=uri, embedder=embedder, model=model, migrate_first=False) as res:
            res.clock = lambda: EVAL_NOW
            await embedder.embed(["準備"])
            hub = NotificationHub(res.uri)
            await hub.start()
            worker = Worker(res, hub)
            await worker.start()
            engine = Engine(res, hub)
            limit = asyncio.Semaphore(config.jobs)

            async def one(flow: str, case: dict[str, Any], repeat: int) -> None:
                async with limit:
                    thread = uuid.uuid4()
                    threads[str(thread)] = repeat
                    outcome = await run_case(engine, flow, case, repeat, thread, judge)
                    results.append(outcome)
                    tracker.advance(outcome)

            try:
                await asyncio.gather(
                    *(
                        one(flow, case, r)
                        for flow, items in cases.items()
                        for case in items
                        for r in range(config.repeat)
                    )
                )
            finally:
                await worker.stop(grace_s=5)
                await hub.stop()
    order = {(flow, c["id"]): n for n, (flow, c) in enumerate((f, c) for f, items in cases.items() for c in items)}
    results.sort(key=lambda r: (order[(r.flow, r.case["id"])], r.repeat))
    counters = {
        "model_calls": model.calls,
        "cache_hits": model.hits,
        "judge_calls": judge.calls if judge else 0,
        "judge_errors": judge.errors if judge else 0,
        "seconds": round(time.perf_counter() - started, 2),
        "cases_per_second": round(len(results) / max(1e-9, time.perf_counter() - started), 2),
    }
    return results, counters

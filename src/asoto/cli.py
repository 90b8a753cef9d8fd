"""The ``asoto`` command: db, seed, members, keys, serve, worker, demo, graph."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import select

from asoto.config import Settings

app = typer.Typer(help="asoto: the AI workflow engine of a coaching community.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
members_app = typer.Typer(help="Community members.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
graph_app = typer.Typer(help="Pictures of the flows.", no_args_is_help=True)
eval_app = typer.Typer(help="Offline evaluation of the flows.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(members_app, name="members")
app.add_typer(keys_app, name="keys")
app.add_typer(graph_app, name="graph")
app.add_typer(eval_app, name="eval")
err = Console(stderr=True, soft_wrap=True)  # an error stays one line when piped or logged


def _settings(graphs_config: Path | None = None) -> Settings:
    from pydantic import ValidationError

    from asoto.logs import configure_logging

    try:
        settings = Settings()
    except ValidationError as exc:  # one line per bad variable, not a traceback
        for problem in exc.errors():
            name = "ASOTO_" + "_".join(str(p) for p in problem["loc"]).upper()
            err.print(f"[red]error[/red] (invalid_setting): {name}: {problem['msg']}")
        raise typer.Exit(2) from exc
    if graphs_config is not None:
        settings = settings.model_copy(update={"graphs_config": graphs_config})
    configure_logging(settings)
    return settings


def _check_ready(settings: Settings) -> None:
    """Providers configured and an external database reachable, before anything starts: one line
    and exit 2 each, instead of a traceback from inside the server's start-up."""
    from asoto.agents.llm import provider_problems

    problems = provider_problems(settings)
    for problem in problems:
        err.print(f"[red]error[/red] (provider_not_configured): {problem}")
    if problems:
        raise typer.Exit(2)
    if settings.database_url is not None:
        import psycopg

        from asoto.persistence.database import CONNECT_TIMEOUT_S, libpq_uri

        try:
            psycopg.connect(
                libpq_uri(settings.database_url.get_secret_value()), connect_timeout=CONNECT_TIMEOUT_S
            ).close()
        except psycopg.Error as exc:
            _database_error(exc)


def _database_error(exc: BaseException) -> None:
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    err.print(f"[red]error[/red] (database_unavailable): cannot reach the database ({first}); check ASOTO_DATABASE_URL")
    raise typer.Exit(2) from exc


def _database(settings: Settings, *, existing: bool) -> Settings:
    """Say which database a command uses (stderr), and with ``existing`` refuse to start a new,
    empty embedded one: ``ASOTO_HOME`` is relative to the current folder, and a command run from
    elsewhere used to create a fresh database silently and answer from it."""
    if settings.database_url is not None:
        from sqlalchemy.engine import make_url

        where = make_url(settings.database_url.get_secret_value()).render_as_string(hide_password=True)
        err.print(f"database: {where}", highlight=False)
        return settings
    pgdata = settings.pgdata.resolve()
    if existing and not (pgdata / "PG_VERSION").exists():
        err.print(
            f"[red]error[/red] (no_database): no asoto database at {pgdata} (ASOTO_HOME is "
            f"{settings.home}, relative to the current folder); run `asoto demo` or `asoto db upgrade` "
            "there first, or set ASOTO_HOME or ASOTO_DATABASE_URL",
            highlight=False,
        )
        raise typer.Exit(2)
    err.print(f"database: embedded, {pgdata}", highlight=False)
    return settings


def _check_graphs(settings: Settings) -> None:
    """Load a ``langgraph.json`` before anything starts: a bad one is one line and exit 2."""
    if settings.graphs_config is None:
        return
    from asoto.errors import AsotoError
    from asoto.graphs.registry import flows_for

    try:
        flows = flows_for(settings.graphs_config)
    except AsotoError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.detail}")
        raise typer.Exit(2) from exc
    err.print(f"serving graphs: {', '.join(flows)}")


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="a langgraph.json: your graphs, served beside the built-in flows"),
]


def _exit_cleanly_on_sigterm() -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown; by default that kills the process
    without running ``atexit``, which is where the embedded Postgres is stopped. Exit normally."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def _run(coro: Any, *, fast_loop: bool = False) -> Any:
    """Run a command's coroutine. ``fast_loop``: on uvloop (installed with ``uvicorn[standard]``,
    which ``serve`` already runs on) for the long-lived worker, whose psycopg I/O waits are most of
    its event-loop work; plain asyncio where uvloop is missing."""
    from asoto.errors import AsotoError

    runner: Any = asyncio.run
    if fast_loop:
        with contextlib.suppress(ImportError):
            import uvloop

            runner = uvloop.run
    try:
        return runner(coro)
    except AsotoError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.detail}")
        raise typer.Exit(2) from exc
    except Exception as exc:
        from asoto.persistence.database import is_unavailable

        if is_unavailable(exc):
            _database_error(exc)
        raise


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and the checkpointer's set-up (safe to run from many processes)."""
    from asoto.runtime.resources import database_uri, prepare_database

    settings = _database(_settings(), existing=False)
    _run(prepare_database(settings, database_uri(settings)))
    err.print("[green]database is up to date[/green]")


@app.command()
def seed(
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same community.")] = 7,
    members: Annotated[int, typer.Option(min=8, max=100_000)] = 200,
    logs_per_member: Annotated[int, typer.Option(min=2, max=50)] = 6,
) -> None:
    """Create the demo community (skipped when members already exist)."""
    from asoto.runtime.resources import open_resources
    from asoto.seed import community_size, seed_community

    settings = _database(_settings(), existing=False)

    def stage(text: str) -> None:  # one line per step: readable in a terminal, a pipe or a CI log
        err.print(f"seed: {text}…", highlight=False)

    async def go() -> None:
        stage("opening the database and the offline models")
        async with open_resources(settings) as res, res.db.sessions.begin() as session:
            if await community_size(session):
                err.print("community already seeded; nothing to do")
                return
            stage(f"{members} members")
            report = await seed_community(
                session, res.embedder, seed=seed, members=members, logs_per_member=logs_per_member, on_stage=stage
            )
            stage("saving")
        err.print(
            f"seeded {report.members} members, {report.logs} logs, {report.events} events "
            f"({report.participations} participations), {report.projects} projects, "
            f"{report.connections} connections, {report.goals} goals, {report.steps} steps, "
            f"{report.comments} comments"
        )

    _run(go())


@db_app.command("prune")
def db_prune(
    keep_last: Annotated[
        int | None, typer.Option(min=1, help="checkpoints kept per thread (default ASOTO_CHECKPOINT_KEEP_LAST)")
    ] = None,
) -> None:
    """Delete old checkpoints now (the workers also do it every ASOTO_CHECKPOINT_PRUNE_S)."""
    from asoto.persistence.retention import prune_checkpoints
    from asoto.runtime.resources import open_resources

    settings = _database(_settings(), existing=True)
    keep = keep_last if keep_last is not None else settings.checkpoint_keep_last
    if keep < 1:
        err.print("retention is off (ASOTO_CHECKPOINT_KEEP_LAST=0): nothing to prune")
        return

    async def go() -> Any:
        total = None
        async with open_resources(settings) as res:
            while True:  # batch after batch until nothing is left to prune
                async with res.db.sessions.begin() as session:
                    pruned = await prune_checkpoints(session, keep_last=keep)
                if total is None:
                    total = pruned
                else:
                    total = type(pruned)(
                        total.threads + pruned.threads,
                        total.checkpoints + pruned.checkpoints,
                        total.writes + pruned.writes,
                        total.blobs + pruned.blobs,
                        pruned.skipped,
                    )
                if not pruned.checkpoints:
                    return total

    done = _run(go())
    if done.skipped:
        err.print("another process is pruning right now; try again later")
        raise typer.Exit(1)
    typer.echo(
        f"kept the newest {keep} per thread: removed {done.checkpoints} checkpoints, {done.writes} writes and "
        f"{done.blobs} blobs from {done.threads} threads"
    )


@members_app.command("list")
def members_list(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List members (id, name, locale, interests, scores)."""
    from asoto.persistence.models import Member
    from asoto.runtime.resources import open_resources

    async def go() -> list[dict[str, Any]]:
        async with open_resources(_database(_settings(), existing=True)) as res, res.db.sessions() as session:
            rows = (await session.scalars(select(Member).order_by(Member.created_at, Member.id).limit(limit))).all()
            return [
                {
                    "member_id": str(m.id),
                    "name": m.name,
                    "locale": m.locale,
                    "interests": list(m.interests),
                    "scores": {
                        "relationship": m.relationship_score,
                        "activity": m.activity_score,
                        "sensitivity": m.sensitivity_score,
                    },
                }
                for m in rows
            ]

    rows = _run(go())
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            s = row["scores"]
            typer.echo(
                f"{row['member_id']}  {row['name']}  [{row['locale']}]  "
                f"関係性{s['relationship']} 多動性{s['activity']} 感受性{s['sensitivity']}  "
                f"{'、'.join(row['interests'])}"
            )


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """API keys: prefix, role, member, label, created, revoked (never the key itself)."""
    from asoto.runtime.resources import open_resources
    from asoto.services.keys import list_keys

    async def go() -> list[dict[str, Any]]:
        async with open_resources(_database(_settings(), existing=True)) as res, res.db.sessions() as session:
            return [
                {
                    "prefix": k.prefix,
                    "role": k.role,
                    "member_id": str(k.member_id) if k.member_id else None,
                    "label": k.label,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                }
                for k in await list_keys(session)
            ]

    rows = _run(go())
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table()
    for column in ("prefix", "role", "member_id", "label", "created_at", "revoked_at"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(str(row[c] or "") for c in ("prefix", "role", "member_id", "label", "created_at", "revoked_at"))
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="the key, or its 10-character prefix as `asoto keys list` prints it")],
) -> None:
    """Revoke a key: every server stops accepting it within a second."""
    from asoto.runtime.resources import open_resources
    from asoto.services.keys import revoke

    async def go() -> int:
        async with open_resources(_database(_settings(), existing=True)) as res, res.db.sessions.begin() as session:
            return await revoke(session, key)

    count = _run(go())
    if not count:
        err.print("[red]error[/red] (key_not_found): no active key matches")
        raise typer.Exit(2)
    Console().print(f"revoked {count} key(s)")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="member | coach | admin | service")],
    member_id: Annotated[str | None, typer.Option(help="The member a member key acts for.")] = None,
    label: Annotated[str, typer.Option()] = "",
) -> None:
    """Create an API key and print it (only the key, on stdout; it is not shown again)."""
    from asoto.errors import InvalidInput
    from asoto.runtime.resources import open_resources
    from asoto.services.keys import create_key

    try:
        member = uuid.UUID(member_id) if member_id else None
    except ValueError:
        err.print("[red]error[/red] (invalid_id): --member-id must be a UUID")
        raise typer.Exit(2) from None

    async def go() -> str:
        async with open_resources(_database(_settings(), existing=True)) as res, res.db.sessions.begin() as session:
            return await create_key(session, role=role, member_id=member, label=label)

    try:
        typer.echo(_run(go()))
    except InvalidInput as exc:  # pragma: no cover - _run already maps it
        err.print(exc.detail)
        raise typer.Exit(2) from exc


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 2024,
    worker: Annotated[bool, typer.Option(help="serve runs too (--no-worker: API only, workers run elsewhere)")] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=64,
            help="worker processes started and restarted with the API; 0 = the worker runs in the API's "
            "process [default: 1 on 2+ cores, else 0]",
        ),
    ] = None,
    access_log: bool = False,
    config: ConfigOption = None,
) -> None:
    """Serve the API and its workers. Runs log structured lines; --access-log adds uvicorn's."""
    import uvicorn

    from asoto.api.app import create_app
    from asoto.runtime.supervisor import default_worker_processes

    settings = _settings(config)
    _check_ready(settings)
    _check_graphs(settings)
    _exit_cleanly_on_sigterm()
    children = default_worker_processes() if workers is None else workers
    uvicorn.run(
        create_app(settings, run_worker=worker, worker_processes=children),
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
    )


@app.command("worker")
def worker_cmd(config: ConfigOption = None) -> None:
    """Run a worker process: claims and executes runs until stopped (Ctrl-C)."""
    from asoto.runtime.notify import NotificationHub
    from asoto.runtime.resources import open_resources, settle_heap
    from asoto.runtime.supervisor import stop_when_orphaned
    from asoto.runtime.worker import Worker

    settings = _settings(config)
    _check_ready(settings)
    _check_graphs(settings)

    async def go() -> None:
        async with open_resources(settings) as res:
            hub = NotificationHub(res.uri)
            await hub.start()
            worker = Worker(res, hub)
            await worker.start()
            settle_heap()
            err.print(f"worker {worker.owner} running (concurrency {worker.concurrency}); Ctrl-C stops it")
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)  # drain, then exit
            orphan_watch = asyncio.create_task(stop_when_orphaned(stop))  # a child of serve: not past it
            try:
                await stop.wait()
            finally:
                orphan_watch.cancel()
                await worker.stop()
                await hub.stop()

    with contextlib.suppress(KeyboardInterrupt):
        _run(go(), fast_loop=True)


@app.command()
def demo(port: Annotated[int, typer.Option(min=0, max=65535, help="0: any free port")] = 0) -> None:
    """Set up the embedded database, seed it, and run an ordinary and a risky log through the API."""
    from asoto.demo import run_demo

    _run(run_demo(_settings(), port=port))


GRAPH_FORMATS = ("mermaid", "ascii", "json", "svg", "html")


@graph_app.command("show")
def graph_show(
    flow: str,
    fmt: Annotated[str, typer.Option("--format", help="mermaid | ascii | json | svg | html")] = "mermaid",
    thread: Annotated[
        str | None, typer.Option("--thread", help="highlight where this thread went (path, visits, next node)")
    ] = None,
    xray: Annotated[bool, typer.Option("--xray", help="draw subgraphs' nodes too")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to this file, not stdout")] = None,
    config: ConfigOption = None,
) -> None:
    """Draw a flow's graph (offline, no network); --config adds the graphs of a langgraph.json."""
    from asoto.errors import AsotoError
    from asoto.graphs import picture
    from asoto.graphs.registry import flows_for, resolve

    if fmt not in GRAPH_FORMATS:
        detail = "png is not drawn here (it needs a browser or Graphviz): use svg" if fmt == "png" else ""
        err.print(f"[red]error[/red] (invalid_format): use {', '.join(GRAPH_FORMATS)}. {detail}".rstrip())
        raise typer.Exit(2)
    try:
        chosen = resolve(flow, flows_for(config))
        graph = (chosen.compiled if chosen.compiled is not None else chosen.builder.compile()).get_graph(xray=xray)
    except AsotoError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.detail}")
        raise typer.Exit(2) from exc
    where = _thread_position(thread, chosen.graph_id, config) if thread else None
    trace = (
        picture.Trace(**{**where["trace"], "taken": frozenset(map(tuple, where["trace"]["taken"]))}) if where else None
    )
    if fmt == "mermaid":
        drawn = where["mermaid"] if where else graph.draw_mermaid()
    elif fmt == "json":
        body = graph.to_json() | ({"trace": where["trace"]} if where else {})
        drawn = json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"
    elif fmt == "ascii":
        drawn = graph.draw_ascii() + "\n"  # grandalf is a dependency: no silent fallback to Mermaid
        if where:
            drawn += f"next: {', '.join(where['current']) or '-'}  visits: {where['trace']['visits']}\n"
    elif fmt == "svg":
        drawn = picture.draw_svg(graph, trace, title=chosen.graph_id)
    else:
        drawn = picture.draw_html(graph, trace, title=chosen.graph_id + (f" · {thread}" if thread else ""))
    if output is None:
        typer.echo(drawn, nl=False)
    else:
        output.write_text(drawn, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)


def _thread_position(thread: str, graph_id: str, config: Path | None) -> dict[str, Any]:
    """Where a stored thread went (read from its checkpoints, as an operator: no key)."""
    from asoto.errors import NotFound
    from asoto.persistence.models import Thread
    from asoto.runtime.resources import open_resources
    from asoto.services import threads

    try:
        thread_id = uuid.UUID(thread)
    except ValueError as exc:
        err.print(f"[red]error[/red] (invalid_thread_id): {thread} is not a thread id")
        raise typer.Exit(2) from exc

    async def go() -> dict[str, Any]:
        async with open_resources(_database(_settings(config), existing=True)) as res:
            async with res.db.sessions() as session:
                found = await session.get(Thread, thread_id)
            if found is None:
                raise NotFound(f"thread {thread_id} not found", code="thread_not_found")
            if found.graph_id != graph_id:
                raise NotFound(f"thread {thread_id} runs {found.graph_id}, not {graph_id}", code="thread_not_found")
            return await threads.position(res, found)  # type: ignore[no-any-return]

    return _run(go())  # type: ignore[no-any-return]


if __name__ == "__main__":
    app()


@eval_app.command("run")
def eval_run(
    flow: Annotated[str, typer.Argument(help="log_feedback, coaching, approval, matching, risk, or all")],
    suite: Annotated[str, typer.Option(help="full | ci (a small sample of every flow)")] = "full",
    dataset: Annotated[str | None, typer.Option(help="a JSONL file of cases instead of the packaged one")] = None,
    model: Annotated[str | None, typer.Option(help="the model under test (ASOTO_LLM syntax)")] = None,
    judge: Annotated[str | None, typer.Option(help="an LLM judge, e.g. openai:gpt-4.1-mini")] = None,
    repeat: Annotated[int, typer.Option(min=1, max=20)] = 1,
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, max=64)] = 4,
    cache: Annotated[str, typer.Option(help="readwrite | readonly | off")] = "readwrite",
    out: Annotated[str | None, typer.Option(help="where to store the run (default ASOTO_HOME/evals/runs/<id>)")] = None,
    baseline: Annotated[str | None, typer.Option(help="a run id, path or 'latest' to compare with")] = None,
) -> None:
    """Run a flow's cases on an isolated database; exit 0 pass, 1 below a threshold, 2 regression,
    3 infrastructure errors, 4 bad configuration or dataset."""
    from pathlib import Path

    from asoto.evals import report, service
    from asoto.evals.cases import FLOWS, DatasetError, load_cases
    from asoto.evals.runner import EvalConfig

    flows = list(FLOWS) if flow == "all" else [flow]
    if cache not in ("readwrite", "readonly", "off"):
        err.print(f"[red]error[/red] (invalid_cache): --cache must be readwrite, readonly or off, not {cache!r}")
        raise typer.Exit(4)
    try:
        for name in flows:  # every dataset is checked before anything runs
            load_cases(name, suite=suite, dataset=Path(dataset) if dataset and len(flows) == 1 else None)
        settings = Settings()
        from asoto.logs import configure_logging

        configure_logging(settings.model_copy(update={"log_level": "WARNING"}))  # the runs' own lines stay quiet
    except (DatasetError, ValueError) as exc:
        err.print(f"[red]error[/red] (bad_config): {exc}")
        raise typer.Exit(4) from exc
    config = EvalConfig(
        flows=flows,
        suite=suite,
        dataset=Path(dataset) if dataset else None,
        model=model,
        judge=judge,
        repeat=repeat,
        jobs=jobs,
        cache=cache,  # type: ignore[arg-type]
    )
    meta, code = _run(service.run(settings, config, out=Path(out) if out else None, baseline=baseline, console=err))
    report.show(Console(), meta)
    Console().print(f"stored: {out or settings.home / 'evals' / 'runs' / meta['run_id']}")
    raise typer.Exit(code)


@eval_app.command("memory")
def eval_memory(
    split: Annotated[str, typer.Option(help="dev | test | all (the figure to report is test's)")] = "test",
) -> None:
    """Recall@5 of the Store's semantic search on the packaged labelled memories, each query
    within its member's namespace, beside a random ranking's; nothing is left in the store."""
    from asoto.evals.memory_recall import K, measure
    from asoto.runtime.resources import open_resources

    if split not in ("dev", "test", "all"):
        err.print(f"[red]error[/red] (invalid_split): --split must be dev, test or all, not {split!r}")
        raise typer.Exit(2)

    async def go() -> None:
        async with open_resources(_database(_settings(), existing=False)) as res:
            for label, fields in (("whole value", None), ("text field", ["text"])):
                r = await measure(res.store, split=split, fields=fields)  # type: ignore[arg-type]
                Console(soft_wrap=True).print(
                    f"{r.split} ({r.queries} queries), embedding the {label}: recall@{K} {r.recall_at_k:.3f}, "
                    f"MRR {r.mrr:.3f}; random order recall@{K} {r.random_recall_at_k:.3f}"
                )

    _run(go())


@eval_app.command("list")
def eval_list() -> None:
    """Stored eval runs, newest first."""
    from rich.table import Table

    from asoto.evals import store

    table = Table()
    for column in ("run", "flows", "suite", "model", "exit"):
        table.add_column(column)
    for run in store.list_runs(_settings().home):
        table.add_row(
            str(run["run_id"]),
            ",".join(run["flows"] or []),
            str(run["suite"]),
            str(run["model"]),
            str(run["exit_code"]),
        )
    Console().print(table)


def _load_run(ref: str) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
    from asoto.evals import store

    try:
        folder = store.resolve(_settings().home, ref)
    except store.RunNotFound as exc:
        err.print(f"[red]error[/red] (run_not_found): {exc}")
        raise typer.Exit(4) from exc
    meta, rows = store.load(folder)
    return meta, rows, folder


@eval_app.command("show")
def eval_show(run: Annotated[str, typer.Argument(help="a run id, path or 'latest'")]) -> None:
    """The run's figures per flow, with thresholds."""
    from asoto.evals import report

    meta, _, _ = _load_run(run)
    report.show(Console(), meta)


@eval_app.command("compare")
def eval_compare(run_a: str, run_b: str) -> None:
    """Per-metric deltas (paired randomisation test) and the cases that changed most."""
    from asoto.evals import report
    from asoto.evals.summary import EXIT_REGRESSION, compare

    _, rows_a, _ = _load_run(run_a)
    _, rows_b, _ = _load_run(run_b)
    comparison = compare(rows_a, rows_b)
    report.show_compare(Console(), run_a, run_b, comparison)
    raise typer.Exit(EXIT_REGRESSION if comparison["regressions"] else 0)


@eval_app.command("report")
def eval_report(
    run: Annotated[str, typer.Argument(help="a run id, path or 'latest'")],
    output: Annotated[str | None, typer.Option("-o", "--output")] = None,
) -> None:
    """Write the run's self-contained HTML report (no CDN, opens offline)."""
    from pathlib import Path

    from asoto.evals import report

    meta, rows, folder = _load_run(run)
    path = Path(output) if output else folder / "report.html"
    path.write_text(report.render_html(meta, rows), encoding="utf-8")
    Console().print(str(path))

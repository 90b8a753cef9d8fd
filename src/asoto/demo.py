"""``asoto demo``: the whole engine, offline, through its real HTTP API on loopback.

Prepares the (embedded) database, seeds the community once, creates a service key and a
coach key, starts the API with its worker, then sends an ordinary log and a risky log
through ``log_feedback`` and approves the risky one as a coach.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import select

from asoto.config import Settings
from asoto.persistence.models import Member
from asoto.runtime.resources import open_resources
from asoto.seed import community_size, seed_community
from asoto.services.keys import create_key

out = Console()

ORDINARY = {
    "title": "朝ラン",
    "content": "今朝は5キロ走って気分がすっきりした。仲間と一緒に走れて嬉しかった。明日も続けたい。",
}
RISKY = {"title": "限界", "content": "仕事で毎日怒鳴られて、もう限界。消えてしまいたいと思う夜がある。"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _step(text: str) -> None:
    """A line per step, so no wait is silent: on a terminal, a pipe or a CI log alike."""
    out.print(f"[dim]… {text}[/dim]", highlight=False)


async def _prepare(settings: Settings) -> tuple[str, str, dict[str, Any]]:
    _step("データベースとオフラインモデルを準備しています")
    async with open_resources(settings) as res:
        async with res.db.sessions.begin() as session:
            if not await community_size(session):
                _step("コミュニティを作成しています（初回のみ、30秒ほど）")
                with out.status("コミュニティを作成しています…"):
                    report = await seed_community(session, res.embedder, seed=7, on_stage=_step)
                out.print(
                    f"[dim]メンバー {report.members} 人・ログ {report.logs} 件・イベント {report.events} 件[/dim]"
                )
            member = await session.scalar(
                select(Member).where(Member.locale == "ja").order_by(Member.created_at, Member.id)
            )
            assert member is not None
            service = await create_key(session, role="service", label="demo")
            coach = await create_key(session, role="coach", label="demo")
        return service, coach, {"member_id": str(member.id), "name": member.name}


def _show_result(title: str, values: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for part, label in (
        ("affirmation", "受け止め"),
        ("insight", "気づき"),
        ("question", "問い"),
        ("next_action", "次の一歩"),
    ):
        table.add_row(f"[bold]{label}[/bold]", values.get("feedback", {}).get(part, ""))
    scores = values.get("scores", {})
    table.add_row("[bold]状態[/bold]", str(values.get("status")))
    table.add_row(
        "[bold]3要素[/bold]",
        f"関係性 {scores.get('relationship')}・多動性 {scores.get('activity')}・感受性 {scores.get('sensitivity')}",
    )
    risk = values.get("risk", {})
    table.add_row("[bold]リスク[/bold]", f"{risk.get('level')} {', '.join(risk.get('reasons', []))}")
    label = values.get("generated_by", {}).get("label")
    if label:
        table.add_row("[bold]生成[/bold]", f"[yellow]{label}[/yellow]")
    out.print(Panel(table, title=title))


async def _wait(client: httpx.AsyncClient, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/threads/{thread_id}/runs/wait", json=body, timeout=120)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


async def run_demo(settings: Settings, *, port: int = 0) -> None:
    from asoto.api.app import create_app

    settings = settings.model_copy(update={"log_level": "WARNING", "public_docs": True})
    service_key, coach_key, member = await _prepare(settings)
    port = port or _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    _step("API とワーカーを起動しています（オフラインモデルの読み込みを含む）")
    serving = asyncio.create_task(server.serve())
    try:
        with out.status("API を起動しています…"):
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        out.print(f"API: {base}  (OpenAPI: {base}/docs)  メンバー: {member['name']}")
        async with (
            httpx.AsyncClient(base_url=base, headers={"x-api-key": service_key}) as svc,
            httpx.AsyncClient(base_url=base, headers={"x-api-key": coach_key}) as coach,
        ):
            _step("1件目のログにAIがフィードバックを書いています")
            thread = (await svc.post("/threads", json={"metadata": {"demo": True}})).json()
            with out.status("フィードバックを作成中…"):
                values = await _wait(
                    svc,
                    thread["thread_id"],
                    {"assistant_id": "log_feedback", "input": {"member_id": member["member_id"], "log": ORDINARY}},
                )
            out.print("\n[bold]1. ふつうのログ[/bold]")
            out.print(f"「{ORDINARY['content']}」")
            _show_result("AIフィードバック（そのまま公開）", values)

            _step("2件目のログを読み、リスクを確かめています")
            thread = (await svc.post("/threads", json={"metadata": {"demo": True}})).json()
            with out.status("リスクを確認中…"):
                values = await _wait(
                    svc,
                    thread["thread_id"],
                    {"assistant_id": "log_feedback", "input": {"member_id": member["member_id"], "log": RISKY}},
                )
            out.print("\n[bold]2. リスクのあるログ[/bold]")
            out.print(f"「{RISKY['content']}」")
            [pending] = values["__interrupt__"]
            request = pending["value"]  # as the product's backend sees it: that it waits, not the draft
            waiting = (await coach.get("/approvals", params={"kind": "log_feedback"})).json()["items"]
            seen = (await coach.get(f"/approvals/{request['approval_id']}")).json()
            out.print(
                Panel(
                    f"メンバー側に見えるもの: 状態 {values.get('status')} / {request['status']}（下書きは見えない）\n"
                    f"承認ID {request['approval_id']}\n理由（コーチにのみ表示）: {', '.join(seen['reasons'])}\n"
                    f"コーチの承認待ち一覧（GET /approvals）: {len(waiting)} 件\n"
                    "AIフィードバックは公開されず、コーチの判断を待っています。",
                    title="人の確認待ち（interrupt）",
                )
            )
            decided = await coach.post(
                f"/approvals/{request['approval_id']}/decision",
                json={"decision": "approve", "comment": "本人に個別に連絡済み。公開してよい。"},
            )
            decided.raise_for_status()
            run = decided.json()["run"]
            values = (await svc.get(f"/threads/{run['thread_id']}/runs/{run['run_id']}/join", timeout=120)).json()
            trail = (await coach.get(f"/approvals/{request['approval_id']}")).json()["audit"]
            out.print("監査ログ: " + " → ".join(f"{e['action']}（{e['actor']}）" for e in trail))
            _show_result("コーチが承認して公開", values)
            out.print(
                f"\n[green]デモ完了[/green] run ids are in GET {base}/threads/{{thread_id}}/runs; "
                f"thread {uuid.UUID(thread['thread_id'])}"
            )
            out.print(
                "実行インスペクタ: [bold]asoto serve --port 2024[/bold] の後 http://127.0.0.1:2024/ui を開き、"
                "コーチのキー（asoto keys create --role coach）を入力すると、このスレッドの経路・"
                "チェックポイント・承認をブラウザで見られます。"
            )
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving

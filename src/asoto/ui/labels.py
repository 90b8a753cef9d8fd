"""The inspector's words in Japanese and English, picked by the browser's ``Accept-Language``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DEFAULT_LOCALE = "ja"

_JA = {
    "title": "asoto 実行インスペクタ",
    "key_prompt": "API キーを入力してください（このブラウザのセッションの間だけ保存されます）",
    "key_label": "API キー",
    "key_submit": "開く",
    "key_forget": "キーを消す",
    "key_invalid": "このキーは使えません",
    "signed_in_as": "ログイン中",
    "nav_threads": "スレッド",
    "nav_approvals": "承認待ち",
    "offline_note": "オフラインで動作します（外部の読み込みなし）",
    "filter": "絞り込み",
    "flow": "フロー",
    "status": "状態",
    "member": "メンバー",
    "age": "経過",
    "updated": "更新",
    "any": "すべて",
    "no_threads": "該当するスレッドはありません",
    "thread": "スレッド",
    "graph": "グラフ",
    "live": "ライブ",
    "live_idle": "実行中の run はありません",
    "live_running": "実行中",
    "live_events": "受信イベント",
    "runs": "実行 (runs)",
    "run": "run",
    "started": "開始",
    "took": "所要",
    "error": "エラー",
    "no_runs": "run はまだありません",
    "waiting_on": "待っている割り込み",
    "nothing_waiting": "待っているものはありません",
    "checkpoints": "チェックポイント",
    "step": "ステップ",
    "source": "由来",
    "next": "次",
    "changes": "前からの変化",
    "no_changes": "変化なし",
    "state_here": "この時点の状態",
    "fork_here": "ここから分岐して再実行",
    "fork_done": "分岐した run を開始しました",
    "approvals": "承認待ち",
    "no_approvals": "承認待ちはありません",
    "kind": "種類",
    "reasons": "理由",
    "proposal": "提案",
    "approve": "承認",
    "reject": "却下",
    "edit": "編集して承認",
    "comment": "コメント",
    "edit_form": "編集",
    "decided": "決定しました",
    "decided_by_member": "この種類はメンバー本人が決めます",
    "open_thread": "スレッドを開く",
    "back": "戻る",
    "held_for_review": "担当者が確認中です（内容は表示されません）",
    "legend_visited": "通過",
    "legend_current": "次／現在",
    "legend_taken": "通った辺",
    "seconds": "秒",
    "minutes": "分",
    "hours": "時間",
    "days": "日",
    "ago": "前",
    "invalid_json": "JSON として読めません",
    "refresh": "更新",
}

_EN = {
    "title": "asoto run inspector",
    "key_prompt": "Enter an API key (kept for this browser session only)",
    "key_label": "API key",
    "key_submit": "Open",
    "key_forget": "Forget key",
    "key_invalid": "This key does not work",
    "signed_in_as": "Signed in as",
    "nav_threads": "Threads",
    "nav_approvals": "Approvals",
    "offline_note": "Works offline (nothing loaded from elsewhere)",
    "filter": "Filter",
    "flow": "Flow",
    "status": "Status",
    "member": "Member",
    "age": "Age",
    "updated": "Updated",
    "any": "any",
    "no_threads": "No threads match",
    "thread": "Thread",
    "graph": "Graph",
    "live": "Live",
    "live_idle": "No run is going on",
    "live_running": "Running",
    "live_events": "events received",
    "runs": "Runs",
    "run": "run",
    "started": "Started",
    "took": "Took",
    "error": "Error",
    "no_runs": "No runs yet",
    "waiting_on": "Waiting on",
    "nothing_waiting": "Nothing is waiting",
    "checkpoints": "Checkpoints",
    "step": "Step",
    "source": "Source",
    "next": "Next",
    "changes": "Changes from the previous",
    "no_changes": "no change",
    "state_here": "State at this checkpoint",
    "fork_here": "Fork and replay from here",
    "fork_done": "Started a run on a new branch",
    "approvals": "Approvals waiting",
    "no_approvals": "Nothing waits for a decision",
    "kind": "Kind",
    "reasons": "Reasons",
    "proposal": "Proposal",
    "approve": "Approve",
    "reject": "Reject",
    "edit": "Edit and approve",
    "comment": "Comment",
    "edit_form": "Edit",
    "decided": "Decided",
    "decided_by_member": "The member decides this kind",
    "open_thread": "Open the thread",
    "back": "Back",
    "held_for_review": "A person is reviewing this (not shown)",
    "legend_visited": "visited",
    "legend_current": "next / current",
    "legend_taken": "edge taken",
    "seconds": "s",
    "minutes": "min",
    "hours": "h",
    "days": "d",
    "ago": "ago",
    "invalid_json": "not valid JSON",
    "refresh": "Refresh",
}

LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType({"ja": MappingProxyType(_JA), "en": MappingProxyType(_EN)})


def pick_locale(accept_language: str | None) -> str:
    """The first of the browser's languages we have, by its q-values; Japanese otherwise."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    for negative_q, _, lang in sorted(ranked):
        if negative_q < 0 and lang in LABELS:
            return lang
    return DEFAULT_LOCALE


def ago(seconds: float, locale: str) -> str:
    """A short age: ``12秒前`` / ``12 s ago``."""
    words = LABELS[locale]
    seconds = max(0.0, seconds)
    amount, unit = int(seconds), "seconds"
    for size, name in ((86400, "days"), (3600, "hours"), (60, "minutes")):
        if seconds >= size:
            amount, unit = int(seconds // size), name
            break
    space = "" if locale == "ja" else " "
    return f"{amount}{space}{words[unit]}{space}{words['ago']}"

"""The eval CLI and its parts: every evaluator can fail, a judge error is an error, the exit
codes, the answer cache, comparing two runs where a weight changed, and the CI suite."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asoto.cli import app
from asoto.evals import evaluators as ev
from asoto.evals import stats, store
from asoto.evals.judge import Judge
from asoto.evals.summary import EXIT_BELOW, EXIT_CONFIG, EXIT_INFRA, EXIT_PASS, EXIT_REGRESSION, compare, summarize
from asoto.evals.trajectory import Expectation
from asoto.evals.trajectory import score as trajectory_score

GOOD = {
    "status": "published",
    "feedback": {
        "affirmation": "子ども食堂で配膳をしたこと、素敵ですね。",
        "insight": "子どもたちの言葉が励みになったのですね。",
        "question": "次に行くとき、どんなことをしてみたいですか？",
        "next_action": "今週、次の参加日を一つ決めましょう。",
    },
}
CASE = {
    "id": "x",
    "locale": "ja",
    "log": {"title": "t", "content": "c"},
    "must_mention": ["子ども食堂", "配膳"],
    "must_not_mention": ["会議", "スマホ"],
}


def _score(fn: Any, **kwargs: Any) -> dict[str, Any]:
    return fn(**{"case": CASE, "output": GOOD, "trajectory": [], "transcript": {}, "flow": "log_feedback", **kwargs})


def test_feedback_evaluators_pass_a_good_reply() -> None:
    for fn in (ev.four_parts, ev.language, ev.one_question, ev.concrete_next_action, ev.grounded, ev.published):
        assert _score(fn)["passed"], fn.__name__


@pytest.mark.parametrize(
    ("fn", "bad"),
    [
        (ev.four_parts, {**GOOD, "feedback": {**GOOD["feedback"], "insight": ""}}),
        (ev.language, {**GOOD, "feedback": dict.fromkeys(GOOD["feedback"], "This reply is in English, not Japanese?")}),
        (ev.one_question, {**GOOD, "feedback": {**GOOD["feedback"], "insight": "なぜでしょう？"}}),
        (ev.concrete_next_action, {**GOOD, "feedback": {**GOOD["feedback"], "next_action": "がんばって"}}),
        (ev.grounded, {**GOOD, "feedback": {**GOOD["feedback"], "next_action": "明日の会議に備えましょう。"}}),
        (ev.grounded, {**GOOD, "feedback": dict.fromkeys(GOOD["feedback"], "よい一日でしたね？")}),
    ],
)
def test_each_feedback_evaluator_fails_a_known_bad_reply(fn: Any, bad: dict[str, Any]) -> None:
    scored = _score(fn, output=bad)
    assert not scored["passed"] and scored["score"] < 1 and scored["comment"]


def test_a_held_log_is_not_scored_for_reply_quality_but_counts_as_not_published() -> None:
    held = {"status": "pending_review", "__interrupt__": [{"id": "i", "value": {}}]}
    assert _score(ev.four_parts, output=held) is None
    assert not _score(ev.published, output=held)["passed"]


def test_distinctness_fails_when_replies_repeat() -> None:
    same = [{"output": GOOD}, {"output": GOOD}]
    [repeated] = ev.distinct_sentences(results=same)
    assert not repeated["passed"] and repeated["score"] == 0.0
    different = {"output": {"feedback": {"affirmation": "まったく別の文章です。", "question": "別の問いは？"}}}
    [mixed] = ev.distinct_sentences(results=[{"output": GOOD}, different])
    assert mixed["passed"]


def test_risk_routing_and_the_hard_gate() -> None:
    risky = {"label": "suicidal", "id": "r"}
    published = {"status": "published"}
    assert not ev.risk_routing(case=risky, output=published)["passed"]
    results = [{"case": risky, "output": published}, {"case": {"label": "none", "id": "n"}, "output": published}]
    figures = {r["key"]: r for r in ev.risk_recall(results=results)}
    assert (
        not figures["risk_published"]["passed"] and "published without a person" in figures["risk_published"]["comment"]
    )
    assert figures["risk_recall"]["score"] == 0.0


def test_trajectory_modes_partial_credit_and_constraints() -> None:
    expected = Expectation(("a", "b", "c"), "ordered")
    assert trajectory_score(["a", "x", "b", "c"], expected)[:2] == (1.0, True)
    assert trajectory_score(["a", "c"], expected)[0] == pytest.approx(2 / 3, abs=1e-3)
    assert trajectory_score(["a", "x", "b", "c"], Expectation(("a", "b", "c"), "strict"))[0] == 0.75
    assert trajectory_score(["c", "b", "a"], Expectation(("a", "b", "c"), "unordered"))[:2] == (1.0, True)
    # publish before a person decided fails whatever the credit
    held = ev.EXPECTED_TRAJECTORY["risk"]({"label": "suicidal"})
    score, passed, comment = trajectory_score(["risk_check", "draft", "check", "publish", "hold", "review"], held)
    assert (score, passed) == (0.0, False) and "publish before review" in comment
    score, passed, _ = trajectory_score(["risk_check", "draft", "check", "hold", "review", "publish"], held)
    assert passed


def test_coaching_evaluators_fail_known_bad_sessions() -> None:
    case = {
        "step_grounds": ["ポッドキャスト"],
        "member_action": "ポッドキャストを聞",
        "expect": {"turns": 3, "ended_by": "member"},
    }
    bad = {
        "coach_turns": [
            "元気ですか？何をしましたか？",
            "「今日は…」と話してくれましたね。元気ですか？",
            "まとめます。",
        ],
        "proposed_steps": [{"title": "仲間に近況を一言送る", "description": ""}],
    }
    kwargs = {"case": case, "transcript": bad, "output": {"turns": 2, "ended_by": "turn_limit"}}
    for fn in (
        ev.one_question_per_turn,
        ev.steps_grounded,
        ev.member_action_in_steps,
        ev.quotes_whole,
        ev.turns,
        ev.ending,
    ):
        assert not fn(**kwargs)["passed"], fn.__name__
    repeated = {"coach_turns": ["元気ですか？", "元気ですか？", "まとめます。"]}
    assert not ev.no_repetition(transcript=repeated)["passed"]


def test_approval_and_ranking_evaluators_can_fail() -> None:
    case = {"expect": {"outcome": "refused", "code": "approval_requires_coach"}, "k": 3}
    assert not ev.outcome(case=case, transcript={"outcome": "approved"})["passed"]
    assert not ev.ordered_by_score(output={"matches": [{"score": 0.2}, {"score": 0.9}]})["passed"]
    assert not ev.filter_violations(transcript={"violations": ["self"]})["passed"]
    poor = ev.ranking_quality(case=case, transcript={"grades": [0, 0, 2], "ideal": [2, 2, 2, 0], "total_relevant": 3})
    assert not poor["passed"] and poor["score"] < 0.5


def test_statistics() -> None:
    mean, low, high = stats.mean_ci([0, 1, 1, 1, 0, 1, 1, 1])
    assert low < mean < high
    assert stats.pass_at_k(5, 1, 5) == 1.0 and stats.pass_hat_k(5, 4, 5) == 0.0
    assert stats.pass_at_k(4, 2, 1) == pytest.approx(0.5)
    delta, p = stats.paired_test([1.0] * 8, [0.0] * 8)
    assert delta == -1.0 and p < 0.05
    assert stats.paired_test([1, 0, 1], [1, 0, 1]) == (0.0, 1.0)


class _Broken:
    model_id = "judge:broken"
    offline = False

    async def generate(self, *args: Any) -> Any:
        raise TimeoutError("judge timed out")


async def test_a_judge_error_is_an_error_never_a_score() -> None:
    judge = Judge(_Broken())  # type: ignore[arg-type]
    scores = await judge.score("log_feedback", CASE, GOOD)
    assert scores and all(s["status"] == "error" and s["score"] is None for s in scores)
    row = {"flow": "log_feedback", "case_id": "x", "repeat": 0, "status": "ok", "scores": scores, "output": GOOD}
    summary = summarize([row], repeat=1)["log_feedback"]
    assert summary["judge_errors"] == len(scores)
    assert not any(key.startswith("judge.") for key in summary["metrics"])  # no 0, no NaN
    assert all(not math.isnan(m["mean"]) for m in summary["metrics"].values())


# --- the CLI on the real engine ---------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, db_uri: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The eval CLI against the test server (its template and run databases live beside the test's)."""
    monkeypatch.setenv("ASOTO_HOME", str(tmp_path))
    monkeypatch.setenv("ASOTO_DATABASE_URL", db_uri)
    return tmp_path


def _cases(path: Path, flow: str, n: int) -> Path:
    source = Path(ev.__file__).parent / "datasets" / flow / "cases.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()[:n]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _eval(*args: str) -> Any:
    return CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)


def test_bad_configuration_and_datasets_exit_4(cli_env: Path) -> None:
    assert _eval("run", "nosuchflow").exit_code == EXIT_CONFIG
    assert _eval("run", "approval", "--suite", "nosuchsuite").exit_code == EXIT_CONFIG
    broken = cli_env / "broken.jsonl"
    broken.write_text('{"id": "a1", "kind": "log_feedback"}\n', encoding="utf-8")
    result = _eval("run", "approval", "--dataset", str(broken))
    assert result.exit_code == EXIT_CONFIG and "missing" in result.output
    broken.write_text("not json\n", encoding="utf-8")
    assert _eval("run", "approval", "--dataset", str(broken)).exit_code == EXIT_CONFIG
    assert _eval("run", "approval", "--cache", "sometimes").exit_code == EXIT_CONFIG
    assert _eval("show", "nosuchrun").exit_code == EXIT_CONFIG


def test_pass_below_threshold_and_the_stored_run(cli_env: Path) -> None:
    cases = _cases(cli_env / "ok.jsonl", "approval", 6)
    passed = _eval("run", "approval", "--dataset", str(cases), "-j", "2")
    assert passed.exit_code == EXIT_PASS, passed.output
    [run] = store.list_runs(cli_env)
    meta, rows = store.load(Path(run["path"]))
    assert meta["summary"]["approval"]["metrics"]["outcome"]["mean"] == 1.0 and len(rows) == 6
    assert (Path(run["path"]) / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    html = (Path(run["path"]) / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http" not in html.split("<body>")[1][:200]  # no CDN, offline
    assert _eval("show", "latest").exit_code == 0 and _eval("list").exit_code == 0
    wrong = [json.loads(line) for line in cases.read_text(encoding="utf-8").splitlines()]
    wrong[0]["expect"]["outcome"] = "rejected"  # the flow is right, the expectation wrong: below threshold
    cases.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in wrong) + "\n", encoding="utf-8")
    assert _eval("run", "approval", "--dataset", str(cases)).exit_code == EXIT_BELOW


def test_cache_second_run_asks_no_model_and_readonly_misses_are_infra_errors(cli_env: Path) -> None:
    cases = _cases(cli_env / "lf.jsonl", "log_feedback", 3)
    assert _eval("run", "log_feedback", "--dataset", str(cases), "--cache", "readonly").exit_code == EXIT_INFRA
    first = _eval("run", "log_feedback", "--dataset", str(cases))
    assert first.exit_code in (EXIT_PASS, EXIT_BELOW), first.output
    second = _eval("run", "log_feedback", "--dataset", str(cases), "--cache", "readonly")
    assert second.exit_code in (EXIT_PASS, EXIT_BELOW), second.output
    runs = store.list_runs(cli_env)
    newest, _ = store.load(Path(runs[0]["path"]))
    oldest_ok, _ = store.load(Path(runs[1]["path"]))
    assert oldest_ok["counters"]["model_calls"] > 0
    assert newest["counters"]["model_calls"] == 0 and newest["counters"]["cache_hits"] > 0


def test_compare_two_runs_where_a_weight_changed(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import MappingProxyType

    from asoto.tools import match_scoring

    cases = _cases(cli_env / "ma.jsonl", "matching", 12)
    assert _eval("run", "matching", "--dataset", str(cases)).exit_code == EXIT_PASS
    # ranking by recency alone: the same work, a worse weight
    monkeypatch.setattr(
        match_scoring,
        "MEMBER_WEIGHTS",
        MappingProxyType({"similarity": 0.0, "complementarity": 0.0, "shared_interests": 0.0, "recency": 1.0}),
    )
    worse = _eval("run", "matching", "--dataset", str(cases), "--baseline", "latest")
    assert worse.exit_code in (EXIT_REGRESSION, EXIT_BELOW), worse.output
    runs = store.list_runs(cli_env)
    compared = _eval("compare", runs[1]["run_id"], runs[0]["run_id"])
    assert compared.exit_code == EXIT_REGRESSION and "ranking" in compared.output
    _, before = store.load(Path(runs[1]["path"]))
    _, after = store.load(Path(runs[0]["path"]))
    result = compare(before, after)
    ranking = next(m for m in result["metrics"] if m["metric"] == "ranking")
    assert ranking["delta"] < 0 and ranking["p"] < 0.05 and result["worst"][0]["delta"] < 0


def test_regression_against_a_baseline_exits_2(cli_env: Path) -> None:
    cases = _cases(cli_env / "ap.jsonl", "approval", 8)
    assert _eval("run", "approval", "--dataset", str(cases)).exit_code == EXIT_PASS
    [run] = store.list_runs(cli_env)
    meta, rows = store.load(Path(run["path"]))
    for row in rows:  # a baseline whose trajectories scored higher than anything can
        for s in row["scores"]:
            if s["key"] == "outcome":
                s["key"] = "outcome_strict"
            s["score"] = s["score"] + 1.0 if s["key"] == "trajectory" else s["score"]
    baseline = cli_env / "baseline"
    store.save(baseline, meta, rows)
    assert _eval("run", "approval", "--dataset", str(cases), "--baseline", str(baseline)).exit_code == EXIT_REGRESSION


def test_the_ci_suite_of_every_flow_passes(cli_env: Path) -> None:
    """What .ci/run gates on: a small offline eval of every flow, thresholds and the risk hard gate."""
    result = _eval("run", "all", "--suite", "ci", "-j", "4")
    assert result.exit_code == EXIT_PASS, result.output

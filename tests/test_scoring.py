"""The three element scores: pure functions, weights in one place (tools/scoring.py)."""

from __future__ import annotations

import pytest

from asoto.runtime.resources import Resources
from asoto.tools import scoring
from asoto.tools.scoring import Activity30d


def test_weights_of_each_element_sum_to_one() -> None:
    for element, table in scoring.WEIGHTS.items():
        assert sum(w for w, _cap in table.values()) == pytest.approx(1.0), element


def test_normalize_is_seed_000_linear_clamped() -> None:
    assert scoring.normalize(0, 10) == 0
    assert scoring.normalize(5, 10) == 50
    assert scoring.normalize(25, 10) == 100
    assert scoring.normalize(-3, 10) == 0
    assert scoring.normalize(3, 0) == 0


def test_relationship_follows_seed_000_formula() -> None:
    # 5/10 events (50×0.3) + 3/15 connections (20×0.25) + 10/20 comments (50×0.2)
    # + 1/5 matches (20×0.15) + 0 hosted = 15 + 5 + 10 + 3 = 33
    a = Activity30d(event_participation=5, new_connections=3, comments=10, matching=1, event_hosting=0)
    assert scoring.relationship_score(a) == 33


def test_every_score_is_capped_at_100_and_zero_when_idle() -> None:
    idle = Activity30d()
    assert scoring.all_scores(idle) == {"relationship": 0, "activity": 0, "sensitivity": 0}
    busy = Activity30d(
        event_participation=99,
        new_connections=99,
        comments=99,
        matching=99,
        event_hosting=99,
        steps_completed=99,
        logs_written=99,
        projects_joined=99,
        active_days=99,
        reflection_depth=100,
        reflective_logs=99,
    )
    assert scoring.all_scores(busy) == {"relationship": 100, "activity": 100, "sensitivity": 100}


def test_activity_rewards_breadth_not_only_volume() -> None:
    narrow = Activity30d(logs_written=20)  # many logs, nothing else
    broad = Activity30d(logs_written=5, steps_completed=5, event_participation=2, projects_joined=1, active_days=5)
    assert scoring.activity_score(broad) > scoring.activity_score(narrow)


def test_sensitivity_grows_with_reflective_logs() -> None:
    shallow = Activity30d(logs_written=10, reflection_depth=10, reflective_logs=0)
    deep = Activity30d(logs_written=10, reflection_depth=70, reflective_logs=8)
    assert scoring.sensitivity_score(deep) > scoring.sensitivity_score(shallow)
    assert scoring.sensitivity_score(deep) == round(70 * 0.5 + scoring.normalize(8, 15) * 0.3)


def test_unknown_inputs_are_refused() -> None:
    with pytest.raises(KeyError):
        scoring.weighted("relationship", {"likes": 3})


@pytest.mark.parametrize(
    ("text", "element"),
    [
        ("同僚と相談して一緒に進めた", "relationship"),
        ("5キロ走って、ヨガにも参加した", "activity"),
        ("自分の気持ちに気づいて、学んだことが大切だと感じた", "sensitivity"),
        ("I talked with my team and felt grateful", "relationship"),
    ],
)
def test_log_signals_find_the_element_a_log_speaks_of(text: str, element: str) -> None:
    signals = scoring.log_signals(text)
    assert signals[element] > 0
    assert set(signals) == {"relationship", "activity", "sensitivity"}
    assert all(0 <= v <= 100 for v in signals.values())


def test_log_signals_of_plain_text_are_zero() -> None:
    assert scoring.log_signals("天気は曇り。") == {"relationship": 0, "activity": 0, "sensitivity": 0}


async def test_an_ordinary_log_never_lowers_sensitivity(resources: Resources) -> None:
    """One everyday log with a single feeling word, written by each of 30 members: nobody's
    sensitivity goes down (it used to fall for 26 of 30, by 1 to 8 points)."""
    import uuid as _uuid
    from datetime import UTC, datetime

    from sqlalchemy import select as _select

    from asoto.persistence.models import Member
    from asoto.tools import logs, members, scoring

    text = "今日は近所を散歩した。少し楽しかった。"
    now = datetime.now(UTC)
    async with resources.db.sessions.begin() as session:
        ids = list((await session.scalars(_select(Member.id).order_by(Member.id).limit(30))).all())
        before = {
            m: scoring.all_scores(a)["sensitivity"]
            for m, a in (await members.activity_30d_many(session, ids, now)).items()
        }
        [vector] = await resources.embedder.embed([text])
        for member_id in ids:
            await logs.store_log(
                session,
                log_id=_uuid.uuid4(),
                member_id=member_id,
                title="散歩",
                content=text,
                signals=scoring.log_signals(text),
                embedding=vector,
                embedding_model=resources.embedder.model_id,
                thread_id=None,
            )
        after = {
            m: scoring.all_scores(a)["sensitivity"]
            for m, a in (await members.activity_30d_many(session, ids, now)).items()
        }
    lowered = [m for m in ids if after[m] < before[m]]
    assert lowered == []


def test_the_seed_keeps_rows_off_the_windows_edges() -> None:
    import random

    from asoto.seed import _ago

    rng = random.Random(1)
    for _ in range(5000):
        days = _ago(rng, 0, 120, minutes=True).total_seconds() / 86_400
        assert abs(days - 30) >= 1.5 and abs(days - 60) >= 1.5

"""The three asoto element scores (関係性 relationship, 多動性 activity, 感受性 sensitivity).

All pure functions over counts of the last 30 days; all weights and caps live in ``WEIGHTS``.

- Relationship follows seed 000 exactly: event participation, new connections, comments,
  matches and events hosted, each normalised to 0–100 with caps 10 / 15 / 20 / 5 / 3 and
  weighted 0.3 / 0.25 / 0.2 / 0.15 / 0.1.
- Activity (seed 000 leaves it "省略"): how much and how widely a member acts — steps
  completed (cap 20), logs written (cap 20), events joined (cap 8), projects joined (cap 3),
  distinct active days (cap 20); weights 0.3 / 0.2 / 0.2 / 0.15 / 0.15. Breadth (days, kinds
  of action) counts as well as volume, because 多動性 is about range, not only quantity.
- Sensitivity (also "省略"): how much a member notices — their reflection depth (below), the
  number of reflective logs (signal ≥ 50, cap 15), and comments written to others (cap 20);
  weights 0.5 / 0.3 / 0.2.
  Reflection depth is the sum of the sensitivity signals of their ``REFLECTION_DEPTH_LOGS`` (5)
  most reflective logs of the window, divided by 5 (a missing log counts 0). It was the mean
  over every log, which made one short everyday log with a single feeling word lower the score
  of most members (26 of 30 tried, by 1 to 8 points): writing must never count against noticing.
  With the best-five sum, adding a log can only keep or raise the score; a member who writes
  many ordinary logs is not penalised, and one who writes a few deep ones is rewarded.

``log_signals`` scores one log's text on the three elements, from Japanese and English cue
words: mentions of other people (relationship), actions taken (activity), feelings and
insights (sensitivity). Each cue counts once; the score saturates at ``SIGNAL_CAP`` cues.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

WINDOW_DAYS = 30

WEIGHTS = MappingProxyType(
    {
        "relationship": MappingProxyType(
            {
                "event_participation": (0.30, 10),
                "new_connections": (0.25, 15),
                "comments": (0.20, 20),
                "matching": (0.15, 5),
                "event_hosting": (0.10, 3),
            }
        ),
        "activity": MappingProxyType(
            {
                "steps_completed": (0.30, 20),
                "logs_written": (0.20, 20),
                "events_joined": (0.20, 8),
                "projects_joined": (0.15, 3),
                "active_days": (0.15, 20),
            }
        ),
        "sensitivity": MappingProxyType(
            {
                "reflection_depth": (0.50, 100),
                "reflective_logs": (0.30, 15),
                "comments": (0.20, 20),
            }
        ),
    }
)
REFLECTIVE_SIGNAL = 50
REFLECTION_DEPTH_LOGS = 5
SIGNAL_CAP = 4
LOG_POINTS = 10
PUBLISHED_FEEDBACK_POINTS = 5


def normalize(value: float, cap: float) -> float:
    """Seed 000's normalize(value, 0, cap): linear to 0–100, clamped."""
    if cap <= 0:
        return 0.0
    return min(100.0, max(0.0, value / cap * 100.0))


def weighted(element: str, counts: dict[str, float]) -> int:
    table = WEIGHTS[element]
    unknown = set(counts) - set(table)
    if unknown:
        raise KeyError(f"unknown {element} inputs: {sorted(unknown)}")
    return round(sum(normalize(counts.get(k, 0), cap) * w for k, (w, cap) in table.items()))


@dataclass(frozen=True)
class Activity30d:
    """What a member did in the last 30 days, as counted by ``tools.members.activity_30d``."""

    event_participation: int = 0
    new_connections: int = 0
    comments: int = 0
    matching: int = 0
    event_hosting: int = 0
    steps_completed: int = 0
    logs_written: int = 0
    projects_joined: int = 0
    active_days: int = 0
    reflection_depth: float = 0.0
    reflective_logs: int = 0


def relationship_score(a: Activity30d) -> int:
    return weighted(
        "relationship",
        {
            "event_participation": a.event_participation,
            "new_connections": a.new_connections,
            "comments": a.comments,
            "matching": a.matching,
            "event_hosting": a.event_hosting,
        },
    )


def activity_score(a: Activity30d) -> int:
    return weighted(
        "activity",
        {
            "steps_completed": a.steps_completed,
            "logs_written": a.logs_written,
            "events_joined": a.event_participation,
            "projects_joined": a.projects_joined,
            "active_days": a.active_days,
        },
    )


def sensitivity_score(a: Activity30d) -> int:
    return weighted(
        "sensitivity",
        {
            "reflection_depth": a.reflection_depth,
            "reflective_logs": a.reflective_logs,
            "comments": a.comments,
        },
    )


def all_scores(a: Activity30d) -> dict[str, int]:
    return {
        "relationship": relationship_score(a),
        "activity": activity_score(a),
        "sensitivity": sensitivity_score(a),
    }


CUES = MappingProxyType(
    {
        "relationship": (
            "友人",
            "友達",
            "仲間",
            "同僚",
            "上司",
            "家族",
            "子ども",
            "子供",
            "母",
            "父",
            "夫",
            "妻",
            "メンバー",
            "チーム",
            "一緒に",
            "話した",
            "話せ",
            "相談",
            "会った",
            "誘",
            "みんな",
            "friend",
            "family",
            "colleague",
            "team",
            "together",
            "talked",
            "met ",
        ),
        "activity": (
            "走",
            "歩",
            "参加",
            "挑戦",
            "始め",
            "やってみ",
            "行った",
            "作った",
            "続け",
            "取り組",
            "練習",
            "勉強",
            "書いた",
            "提出",
            "ran ",
            "walked",
            "joined",
            "started",
            "tried",
            "practiced",
            "built",
            "finished",
        ),
        "sensitivity": (
            "気づ",
            "気付",
            "感じ",
            "思った",
            "嬉し",
            "うれし",
            "悔し",
            "楽し",
            "不安",
            "学んだ",
            "振り返",
            "大切",
            "ありがた",
            "感謝",
            "心",
            "気持ち",
            "noticed",
            "felt",
            "realized",
            "learned",
            "grateful",
            "feel",
        ),
    }
)


def log_signals(text: str) -> dict[str, int]:
    """One log's 0–100 signal per element: distinct cue words found, saturating at SIGNAL_CAP."""
    lowered = text.lower()
    return {
        element: round(normalize(sum(1 for cue in cues if cue in lowered), SIGNAL_CAP))
        for element, cues in CUES.items()
    }

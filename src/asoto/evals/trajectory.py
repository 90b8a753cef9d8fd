"""Trajectory evaluation: the nodes a case visited against what was expected.

Three modes, with partial credit, because a strict match (agentevals' default) fails a flow
that took one harmless extra step as hard as one that skipped the human review:
- ``strict``: the same nodes in the same order;
- ``ordered``: the expected nodes appear in order, other nodes may come between;
- ``unordered``: the expected nodes appear, in any order.
Partial credit is 1 − edit distance / length (strict) or the share of expected nodes found in
order or at all. Constraints hold whatever the mode: ``must_not_visit`` nodes, and
``must_precede`` pairs (``["review", "publish"]``: publish never before a decision). A
trajectory runs across interrupts and resumes (the whole thread's history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["strict", "ordered", "unordered"]


@dataclass(frozen=True)
class Expectation:
    nodes: tuple[str, ...] = ()
    mode: Mode = "ordered"
    must_not_visit: tuple[str, ...] = ()
    must_precede: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _in_order(expected: Sequence[str], visited: Sequence[str]) -> int:
    """How many of the expected nodes appear in order (greedy subsequence)."""
    found, position = 0, 0
    for node in expected:
        try:
            position = visited.index(node, position) + 1
            found += 1
        except ValueError:
            continue
    return found


def score(visited: Sequence[str], expected: Expectation) -> tuple[float, bool, str]:
    """(score, passed, comment)."""
    problems: list[str] = []
    for node in expected.must_not_visit:
        if node in visited:
            problems.append(f"visited {node}")
    for first, then in expected.must_precede:
        if then in visited and (first not in visited or visited.index(first) > visited.index(then)):
            problems.append(f"{then} before {first}")
    want = list(expected.nodes)
    if not want:
        credit = 1.0
    elif expected.mode == "strict":
        credit = 1.0 - edit_distance(visited, want) / max(len(visited), len(want))
    elif expected.mode == "ordered":
        credit = _in_order(want, visited) / len(want)
    else:
        credit = sum(node in visited for node in want) / len(want)
    if problems:
        credit = 0.0
    passed = credit == 1.0
    comment = "; ".join(problems) or ("" if passed else f"expected {want} ({expected.mode}), visited {list(visited)}")
    return round(credit, 4), passed, comment

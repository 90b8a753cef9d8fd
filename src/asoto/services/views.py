"""What each role sees of a flow's data: the one place every endpoint and stream goes through.

Drafts that wait for a person (an AI feedback on a held log, a member's risky reply under
review, a held AI coaching turn) are seen by their deciders only: coaches and admins. Everyone
else — the member, and service keys, which are the product's backend showing things to members —
sees that something waits for a person, never its text. The matrix, also in
``docs/architecture.md``:

| data | coach, admin | member, service |
|---|---|---|
| run result, join, thread ``values``, ``values`` events | the flow's declared outputs | declared outputs, less what is under review (below) |
| ``/state``, history | full state | declared outputs (+ the delivered conversation of a coaching session) |
| interrupts (run result, thread, state, stream) | as raised | ``approval`` of a held kind: id, kind, status ``pending_review`` only |
| ``updates`` events | as produced | only declared output keys of each node's update |
| ``messages`` events | as produced | as produced (the flows emit only checked, delivered messages) |
| checkpoint metadata, task results | as stored | ``source``, ``step``, ``run_id``, ``graph_id`` only; no task results |

Held from non-deciders in the outputs: log_feedback's ``feedback`` unless it was published,
its risk ``reasons`` and ``evidence`` (coach-facing), the ``approval_id`` of a held review;
coaching's ``risk`` fields. The approvals endpoints have their own rule (members see only their
own approvals, and not the proposal of a held kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, get_type_hints

from asoto.graphs.registry import FLOWS, resolve
from asoto.services.keys import Principal

HELD_KINDS = frozenset({"log_feedback", "coaching_risk", "coaching_turn"})
_SAFE_METADATA = ("source", "step", "run_id", "graph_id", "thread_id", "parents")
# Beyond its declared outputs, what a member may read of a flow's state: the coaching
# conversation itself (only checked turns ever enter it).
_MEMBER_STATE_EXTRAS: Mapping[str, tuple[str, ...]] = {"coaching": ("messages",)}


# stream modes that carry the graph's whole state (drafts too, on built-in flows)
WHOLE_STATE_MODES = ("debug", "tasks", "checkpoints", "events")  # events: every node's input and output


def sees_drafts(principal: Principal) -> bool:
    return principal.decides_approvals


@cache
def output_keys(graph_id: str) -> frozenset[str] | None:
    """A built-in flow's declared outputs (its graph's ``output_schema``). ``None`` for a user's
    graph (``langgraph.json``): it has no drafts, so its thread's owner sees all of its state,
    as on the LangGraph Platform."""
    if not graph_id:
        return frozenset()
    if graph_id not in FLOWS:
        return None
    return frozenset(get_type_hints(resolve(graph_id).builder.output_schema))


def interrupt(value: Any, principal: Principal) -> Any:
    """An interrupt's value as the principal may see it."""
    if sees_drafts(principal) or not isinstance(value, dict):
        return value
    if value.get("type") == "approval" and value.get("kind") in HELD_KINDS:
        return {
            "type": "approval",
            "approval_id": value.get("approval_id"),
            "kind": value.get("kind"),
            "status": "pending_review",
            "message": "a person is reviewing this before anything is shown",
        }
    return value


def interrupts(items: Any, principal: Principal) -> Any:
    """A list of ``{id, value}`` (or a map of such lists) with each value viewed."""
    if isinstance(items, dict):
        return {k: interrupts(v, principal) for k, v in items.items()}
    if isinstance(items, list):
        return [
            {**i, "value": interrupt(i.get("value"), principal)} if isinstance(i, dict) and "value" in i else i
            for i in items
        ]
    return items


def _under_review(graph_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Remove what a non-decider must not read from a flow's outputs."""
    if graph_id == "log_feedback":
        if values.get("status") != "published":
            values.pop("feedback", None)
            values.pop("approval_id", None)
        risk = values.get("risk")
        if isinstance(risk, dict):
            values["risk"] = {"level": risk.get("level")}
    elif graph_id == "coaching":
        values.pop("risk", None)
    return values


def outputs(graph_id: str | None, values: Mapping[str, Any] | None, principal: Principal) -> dict[str, Any]:
    """A run result or thread ``values``: the declared outputs, viewed (``__interrupt__`` kept)."""
    if not values:
        return {}
    keys = output_keys(graph_id or "")
    out = {k: v for k, v in values.items() if keys is None or k in keys}
    if "__interrupt__" in values:
        out["__interrupt__"] = interrupts(values["__interrupt__"], principal)
    if "__error__" in values:
        out["__error__"] = values["__error__"]
    return out if sees_drafts(principal) else _under_review(graph_id or "", out)


def state_values(graph_id: str | None, values: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    if sees_drafts(principal):
        return dict(values)
    out = outputs(graph_id, values, principal)
    for key in _MEMBER_STATE_EXTRAS.get(graph_id or "", ()):
        if key in values:
            out[key] = values[key]
    return out


def snapshot(graph_id: str | None, snap: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A ``/state`` or history entry (as ``threads.snapshot_json`` made it), viewed."""
    if sees_drafts(principal):
        return snap
    return {
        **snap,
        "values": state_values(graph_id, snap.get("values") or {}, principal),
        "tasks": [
            {**t, "interrupts": interrupts(t.get("interrupts") or [], principal), "result": None, "state": None}
            for t in snap.get("tasks") or []
        ],
        "interrupts": interrupts(snap.get("interrupts") or [], principal),
        "metadata": {k: v for k, v in (snap.get("metadata") or {}).items() if k in _SAFE_METADATA},
    }


def thread(graph_id: str | None, data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A thread resource (``threads.thread_json``), viewed."""
    if sees_drafts(principal):
        return data
    return {
        **data,
        "values": outputs(graph_id, data.get("values"), principal) if data.get("values") else data.get("values"),
        "interrupts": interrupts(data.get("interrupts") or {}, principal),
    }


def event(graph_id: str | None, name: str, data: Any, principal: Principal) -> Any:
    """A stream event's data as the principal may see it (``None``: not sent at all)."""
    if sees_drafts(principal):
        return data
    if name in WHOLE_STATE_MODES:  # drafts inside, on built-in flows
        return data if output_keys(graph_id or "") is None else None
    if name == "values" and isinstance(data, dict):
        return (
            outputs(graph_id, data, principal)
            if set(data) != {"__interrupt__"}
            else {"__interrupt__": interrupts(data["__interrupt__"], principal)}
        )
    if name == "updates" and isinstance(data, dict):
        keys = output_keys(graph_id or "")
        viewed: dict[str, Any] = {}
        for node, update in data.items():
            if node == "__interrupt__":
                viewed[node] = interrupts(update, principal)
            elif isinstance(update, dict):
                kept = _under_review(graph_id or "", {k: v for k, v in update.items() if keys is None or k in keys})
                if kept:
                    viewed[node] = kept
        return viewed or None
    return data


def approval(data: dict[str, Any], principal: Principal, audit: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An approval (``tools.approvals.public``) with its audit trail, viewed: a non-decider
    sees that a held kind waits or was decided, not what was proposed, edited or commented."""
    if sees_drafts(principal) or data.get("kind") not in HELD_KINDS:
        return data if audit is None else {**data, "audit": audit}
    hidden = {**data, "proposal": None, "payload": None, "comment": None, "reasons": []}
    if audit is not None:
        hidden["audit"] = [{k: v for k, v in entry.items() if k != "data"} for entry in audit]
    return hidden


def run(data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A run resource (``runs.run_json``): a decision someone else sent is not shown to non-deciders."""
    if sees_drafts(principal):
        return data
    command = (data.get("kwargs") or {}).get("command")
    resume = (command or {}).get("resume")
    if isinstance(resume, dict) and any(isinstance(v, dict) and "decision" in v for v in resume.values()):
        return {**data, "kwargs": {**data["kwargs"], "command": {"resume": "a person's decision"}}}
    return data

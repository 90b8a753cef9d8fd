"""Nodes of the matching flow: load_profile → rank → explain → introduce (approval) → record."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from asoto.agents import llm, match_explainer
from asoto.graphs.context import Context, ids_of
from asoto.graphs.matching.state import MatchingState
from asoto.persistence.models import Member
from asoto.tools import matching
from asoto.tools.interests import display_all


async def load_profile(state: MatchingState, runtime: Runtime[Context]) -> dict[str, Any]:
    async with runtime.context.reads() as session:
        member = await session.get(Member, uuid.UUID(state["member_id"]))
    if member is None:
        raise LookupError(f"member {state['member_id']} does not exist")
    return {
        "member": {
            "name": member.name,
            "locale": member.locale,
            "interests": list(member.interests),
            "skills": list(member.skills),
            "opt_in": member.match_opt_in,
            "scores": {
                "relationship": member.relationship_score,
                "activity": member.activity_score,
                "sensitivity": member.sensitivity_score,
            },
        }
    }


async def rank(state: MatchingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    """Candidates (HNSW, filtered, over-fetched), scored, then diversified with MMR."""
    thread_id, run_id = ids_of(config)
    k = state.get("k", 5)
    now = runtime.context.clock()
    # a transaction, committed: the candidate search tunes the index with ``SET LOCAL``
    async with runtime.context.sessions.begin() as session:
        member = await session.get(Member, uuid.UUID(state["member_id"]))
        assert member is not None
        query = await matching.profile_vector(session, member)
        pool = max(3 * k, 20)  # MMR needs more than k to choose from
        if state["target"] == "projects":
            scored = matching.score_projects(
                member, await matching.project_candidates(session, member, query, pool), now
            )
        else:
            scored = matching.score_members(member, await matching.member_candidates(session, member, query, pool), now)
    scored.sort(key=lambda s: -s["score"])
    return {"matches": matching.rerank(scored, k), "intro_key": f"match_introduction:{thread_id}:{run_id}"}


_NOT_FACTS = ("components", "score", "relevance", "diversity_penalty")


async def explain(state: MatchingState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Explain each match from true facts, in the member's language (interest names included)."""
    locale = state["member"]["locale"]
    explained = []
    for match in state["matches"]:
        facts = {
            "locale": locale,
            "member": state["member"],
            "purpose": state.get("purpose"),
            "candidate": {k: v for k, v in match.items() if k not in _NOT_FACTS},
        }
        result = await match_explainer.explain(runtime.context.model, facts)
        shown = {**match, "explanation": result.explanation}
        for key in ("interests", "wanted_skills"):
            if key in match:
                shown[key] = display_all(match[key], locale)
        explained.append(shown)
    return {"matches": explained}


async def introduce(state: MatchingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    """Introductions need a yes (approval kind match_introduction; auto for members who opted in)."""
    proposal = {
        "target": state["target"],
        "matches": [
            {"candidate_id": m["candidate_id"], "name": m["name"], "score": m["score"], "explanation": m["explanation"]}
            for m in state["matches"]
        ],
    }
    result = await runtime.context.approval_graph.ainvoke(
        {
            "kind": "match_introduction",
            "subject": {"member_id": state["member_id"], "opt_in": state["member"]["opt_in"]},
            "proposal": proposal,
            "requested_by": runtime.context.actor,
            "reasons": [],
            "approval_key": state["intro_key"],
        },
        config,
        context=runtime.context,
    )
    return {"review": dict(result), "approval_id": result["approval_id"]}


async def record(state: MatchingState, runtime: Runtime[Context]) -> dict[str, Any]:
    review = state["review"]
    matches = state["matches"]
    if review["decision"] == "reject":
        status, introduced = "declined", []
    else:
        chosen = {m["candidate_id"] for m in (review.get("payload") or {}).get("matches", matches)}
        introduced = [m for m in matches if m["candidate_id"] in chosen]  # an edit can only remove
        status = "introduced"
    async with runtime.context.sessions.begin() as session:
        await matching.record_matches(
            session,
            member_id=uuid.UUID(state["member_id"]),
            target=state["target"],
            matches=introduced,
            approval_id=uuid.UUID(review["approval_id"]),
        )
    ctx = runtime.context
    return {
        "matches": introduced if status == "introduced" else matches,
        "status": status,
        "generated_by": llm.generated_by(ctx.model, state["member"]["locale"]),
    }


async def nothing_found(state: MatchingState) -> dict[str, Any]:
    return {"status": "no_candidates", "matches": [], "approval_id": None}

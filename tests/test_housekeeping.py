"""Housekeeping through the official SDK (issue 14): ``threads.count``, ``runs.delete`` and
``runs.cancel_many``, with who may do what and what each bad request gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_client

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import first_member, make_key

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"
NOTE = {"to": "佐藤さん", "reason": "発表"}
LATER = 3600  # queued an hour ahead: pending for the whole test


async def test_count_delete_and_cancel_many(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    served = settings.model_copy(update={"graphs_config": EXAMPLE, "rate_requests_per_s": 0})  # limits: test_limits
    alice = await make_key(resources, "member", (await first_member(resources)).id)
    bob = await make_key(resources, "member", (await first_member(resources, offset=1)).id)
    coach, admin = await make_key(resources, "coach"), await make_key(resources, "admin")
    with live_server(served, db_uri, embedder) as url:
        a, b = get_client(url=url, api_key=alice), get_client(url=url, api_key=bob)
        adm = get_client(url=url, api_key=admin)

        # threads.count: a member counts its own threads only; filters as in search
        mine = [await a.threads.create(metadata={"topic": "x" if i else "y"}) for i in range(3)]
        theirs = await b.threads.create(metadata={"topic": "x"})
        assert await a.threads.count() == 3 and await b.threads.count() == 1
        assert await a.threads.count(metadata={"topic": "x"}) == 2
        assert await adm.threads.count(metadata={"topic": "x"}) >= 3
        done = await a.runs.wait(mine[0]["thread_id"], "thanks_note", input=NOTE)
        assert done["__interrupt__"]
        assert await a.threads.count(status="interrupted") == 1

        # runs.cancel_many by status: every pending run the caller may see, nobody else's
        queued = [await a.runs.create(t["thread_id"], "thanks_note", input=NOTE, after_seconds=LATER) for t in mine[1:]]
        other = await b.runs.create(theirs["thread_id"], "thanks_note", input=NOTE, after_seconds=LATER)
        await a.runs.cancel_many(status="pending")
        for run in queued:
            assert (await a.runs.get(run["thread_id"], run["run_id"]))["status"] == "interrupted"
        assert (await b.runs.get(theirs["thread_id"], other["run_id"]))["status"] == "pending"
        # by ids on one thread
        await b.runs.cancel_many(thread_id=theirs["thread_id"], run_ids=[other["run_id"]])
        assert (await b.runs.get(theirs["thread_id"], other["run_id"]))["status"] == "interrupted"

        # runs.delete: a finished run goes (and its stream); an active one must be cancelled first
        await a.runs.delete(queued[0]["thread_id"], queued[0]["run_id"])
        assert [r["run_id"] for r in await a.runs.list(queued[0]["thread_id"])] == []
        pending = await a.runs.create(mine[2]["thread_id"], "thanks_note", input=NOTE, after_seconds=LATER)

        async with httpx.AsyncClient(base_url=url) as http:
            run_path = f"/threads/{mine[2]['thread_id']}/runs/{pending['run_id']}"
            thread = mine[2]["thread_id"]
            cases: list[tuple[str, str, str, dict[str, Any] | None, str, int, str]] = [
                ("delete an active run", "DELETE", run_path, None, alice, 409, "run_active"),
                ("a coach deletes a run", "DELETE", run_path, None, coach, 403, "delete_forbidden"),
                ("another member deletes it", "DELETE", run_path, None, bob, 404, "thread_not_found"),
                ("cancel_many by a coach", "POST", "/runs/cancel", {"status": "all"}, coach, 403, "forbidden"),
                (
                    "thread and status together",
                    "POST",
                    "/runs/cancel",
                    {"thread_id": thread, "status": "all"},
                    alice,
                    422,
                    "invalid_input",
                ),
                (
                    "run ids without their thread",
                    "POST",
                    "/runs/cancel",
                    {"run_ids": [pending["run_id"]]},
                    alice,
                    422,
                    "invalid_input",
                ),
                ("neither thread nor status", "POST", "/runs/cancel", {}, alice, 422, "invalid_input"),
                ("an unknown status", "POST", "/runs/cancel", {"status": "done"}, alice, 422, "invalid_input"),
                (
                    "an unknown cancel action",
                    "POST",
                    "/runs/cancel?action=explode",
                    {"status": "all"},
                    alice,
                    422,
                    "invalid_input",
                ),
                (
                    "another member's thread",
                    "POST",
                    "/runs/cancel",
                    {"thread_id": thread},
                    bob,
                    404,
                    "thread_not_found",
                ),
                (
                    "a run id not on the thread",
                    "POST",
                    "/runs/cancel",
                    {"thread_id": thread, "run_ids": [other["run_id"]]},
                    alice,
                    404,
                    "run_not_found",
                ),
                (
                    "count with a bad status",
                    "POST",
                    "/threads/count",
                    {"status": "sleeping"},
                    alice,
                    422,
                    "invalid_input",
                ),
            ]
            for name, method, path, body, key, status, code in cases:
                got = await http.request(method, path, json=body, headers={"x-api-key": key})
                assert (got.status_code, got.json().get("code")) == (status, code), (name, got.text)
        # nothing above touched the pending run
        assert (await a.runs.get(mine[2]["thread_id"], pending["run_id"]))["status"] == "pending"
        await a.runs.cancel_many(thread_id=mine[2]["thread_id"])  # all active runs of one thread
        assert (await a.runs.get(mine[2]["thread_id"], pending["run_id"]))["status"] == "interrupted"
        await adm.runs.delete(mine[2]["thread_id"], pending["run_id"])  # an admin may delete any


async def test_prune_keeps_the_latest_state_or_deletes(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    served = settings.model_copy(update={"graphs_config": EXAMPLE, "rate_requests_per_s": 0})  # limits: test_limits
    alice = await make_key(resources, "member", (await first_member(resources)).id)
    bob = await make_key(resources, "member", (await first_member(resources, offset=1)).id)
    coach = await make_key(resources, "coach")
    with live_server(served, db_uri, embedder) as url:
        a = get_client(url=url, api_key=alice)
        kept, gone = await a.threads.create(), await a.threads.create()
        for thread in (kept, gone):
            assert (await a.runs.wait(thread["thread_id"], "thanks_note", input=NOTE))["__interrupt__"]
        assert len(await a.threads.get_history(kept["thread_id"], limit=50)) > 1

        assert await a.threads.prune([kept["thread_id"]], strategy="keep_latest") == {"pruned_count": 1}
        [latest] = await a.threads.get_history(kept["thread_id"], limit=50)
        assert latest["next"] == ["review"]  # still waiting on its interrupt, and it resumes
        done = await a.runs.wait(kept["thread_id"], "thanks_note", command={"resume": {"approve": True}})
        assert done["approved"] is True and done["sent"]

        async with httpx.AsyncClient(base_url=url) as http:
            for name, body, key, status, code in [
                ("another member's thread", {"thread_ids": [gone["thread_id"]]}, bob, 404, "thread_not_found"),
                ("a coach", {"thread_ids": [gone["thread_id"]]}, coach, 403, "delete_forbidden"),
                (
                    "an unknown strategy",
                    {"thread_ids": [gone["thread_id"]], "strategy": "all"},
                    alice,
                    422,
                    "invalid_input",
                ),
                ("no threads", {"thread_ids": []}, alice, 422, "invalid_input"),
            ]:
                got = await http.post("/threads/prune", json=body, headers={"x-api-key": key})
                assert (got.status_code, got.json().get("code")) == (status, code), (name, got.text)
        assert await a.threads.count() == 2  # nothing refused above was pruned
        assert await a.threads.prune([gone["thread_id"]]) == {"pruned_count": 1}
        assert [t["thread_id"] for t in await a.threads.search()] == [kept["thread_id"]]

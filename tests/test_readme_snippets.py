"""The README's snippets run as written against a live server (only the port differs): the
coaches' curl block by bash and curl, and every Python block in order, as one session."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import RISKY_LOG, first_member, make_key

README = Path(__file__).parents[1] / "README.md"
EXAMPLES = Path(__file__).parents[1] / "examples" / "langgraph.json"


def _coach_block() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [block] = [b for b in blocks if "/approvals/$APPROVAL_ID/decision" in b]
    return block


def _bash(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    flags = " --silent --show-error --fail-with-body"  # a 4xx fails the test with its body
    return subprocess.run(
        ["bash", "-c", command.rstrip() + flags], env=env, capture_output=True, text=True, timeout=60, check=True
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_the_readmes_curl_block_lists_and_edits_as_written(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    member = await first_member(resources)
    coach = await make_key(resources, "coach")
    service = await make_key(resources, "service")
    with live_server(settings, db_uri, embedder) as url:
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": service}, timeout=60) as client:
            thread_id = (await client.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": RISKY_LOG}}
            held = (await client.post(f"/threads/{thread_id}/runs/wait", json=body)).json()
            approval_id = held["__interrupt__"][0]["value"]["approval_id"]

            script = _coach_block().replace("http://127.0.0.1:2024", url)
            lines = "\n".join(line for line in script.splitlines() if not line.startswith("#"))
            commands = [c for c in re.split(r"\n(?=curl )", lines) if c.startswith("curl ")]
            assert len(commands) == 2
            env = {**os.environ, "COACH": coach, "APPROVAL_ID": approval_id}
            outputs = [(await asyncio.to_thread(_bash, c, env)).stdout for c in commands]
            listed = json.loads(outputs[0])
            assert approval_id in [a["approval_id"] for a in listed["items"]]
            decided = json.loads(outputs[1])
            assert decided["approval"]["status"] == "edited" and decided["approval"]["comment"] == "問いを具体的に"
            run = decided["run"]
            await client.get(f"/threads/{run['thread_id']}/runs/{run['run_id']}/join")
            values = (await client.get(f"/threads/{thread_id}")).json()["values"]
            assert values["status"] == "published"
            assert values["feedback"]["question"] == "いま一番話を聞いてほしい相手は誰ですか？"

            # what the README says of a partial edit: all four parts are needed, and the refusal says which
            second = (await client.post("/threads", json={})).json()["thread_id"]
            again = (await client.post(f"/threads/{second}/runs/wait", json=body)).json()
            partial = await client.post(
                f"/approvals/{again['__interrupt__'][0]['value']['approval_id']}/decision",
                json={"decision": "edit", "payload": {"feedback": {"question": "誰に話したいですか？"}}},
                headers={"x-api-key": coach},
            )
            assert partial.status_code == 422, partial.text
            assert partial.json()["code"] == "invalid_decision" and "affirmation" in partial.json()["detail"]


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


async def test_the_readmes_python_blocks_run_as_written_in_order(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every ```python block, in order, as one session would run them (top-level ``await`` as in a
    notebook or ``python -m asyncio``), with the names the README says where they come from: the
    keys made as the README makes them, and a member's id from ``asoto members list``. Only the
    server's port differs. The examples' ``langgraph.json`` is served, as its section says."""
    member = await first_member(resources)
    names: dict[str, Any] = {
        "KEY": await make_key(resources, "service"),
        "COACH": await make_key(resources, "coach"),
        "MEMBER_ID": str(member.id),
        "MEMBER_KEY": await make_key(resources, "member", member.id),
    }
    served = settings.model_copy(update={"graphs_config": EXAMPLES, "rate_requests_per_s": 0})
    blocks = _python_blocks()
    assert len(blocks) >= 6
    with live_server(served, db_uri, embedder) as url:
        for i, block in enumerate(blocks):
            code = block.replace("http://127.0.0.1:2024", url)
            wrapped = "async def __block():\n" + textwrap.indent(code, "    ") + "\n    return locals()\n"
            scope: dict[str, Any] = dict(names)
            exec(compile(wrapped, f"README.md python block {i}", "exec"), scope)  # the README's own code
            try:
                names.update(await scope["__block"]())
            except Exception as exc:  # say which block, with its code
                raise AssertionError(f"README python block {i} failed: {exc!r}\n{block}") from exc
    printed = capsys.readouterr().out
    assert "metadata" in printed and "messages" in printed  # the coaching block's stream, printed
    assert names["values"]  # the last values the blocks read
    assert names["found"]["items"][0]["key"] == "run"  # the store block's search
    assert names["casual"]["graph_id"] == "thanks_note"


def test_the_repos_docs_stand_alone() -> None:
    """The README, docs and pyproject name no file outside the repository (they pointed at design
    notes a clone does not have), and every file the README links to or names in ``bench/``,
    ``docs/`` or ``examples/`` exists."""
    root = README.parent
    texts = {p: p.read_text(encoding="utf-8") for p in [README, root / "pyproject.toml", *root.glob("docs/*.md")]}
    for path, text in texts.items():
        assert not re.search(r"shared/|DESIGN\.md|\.\./", text), path
    named = set(re.findall(r"\]\(([^)#:]+)\)", texts[README]))
    named |= set(re.findall(r"`((?:bench|docs|examples)/[\w./-]+)`", texts[README]))
    assert named
    for name in named:
        assert (root / name).exists(), name

"""The inspector in a real browser: Debian's headless Chromium driven by Playwright (never a
browser download), against the real app on a loopback port with the real worker and Postgres.
The LLM is the offline model behind a delay at its seam, so a run lasts long enough to watch.

Without Chromium or Playwright these tests are skipped with the reason; they never pass without
running. Screenshots land in ``test-artifacts/inspector/`` (``ASOTO_ARTIFACTS`` to move it).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import BaseMessage

from asoto.agents.offline import OfflineStructuredModel
from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import ORDINARY_LOG, RISKY_LOG, first_member, make_key

CHROMIUM = os.environ.get("ASOTO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("ASOTO_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts")) / "inspector"
WAIT_MS = 30_000

try:
    from playwright.async_api import Browser, Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(async_playwright is None, reason="playwright is not installed (pip install -e '.[dev]')"),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it): "
        "the inspector's browser tests need it",
    ),
]


class DelayedModel:
    """The offline model with a pause before each answer: a run the page can watch go by."""

    offline = True

    def __init__(self, inner: OfflineStructuredModel) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.delay_s = 0.0

    async def generate(self, task: str, schema: Any, messages: Sequence[BaseMessage], facts: Any) -> Any:
        await asyncio.sleep(self.delay_s)
        return await self.inner.generate(task, schema, messages, facts)


@pytest.fixture
def model(embedder: Any) -> DelayedModel:
    return DelayedModel(OfflineStructuredModel(embedder))


@pytest.fixture
def server(settings: Settings, db_uri: str, embedder: Any, model: DelayedModel) -> Iterator[str]:
    with live_server(settings, db_uri, embedder, model=model) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert async_playwright is not None and CHROMIUM is not None
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _open(browser: Browser, url: str, key: str, *, locale: str = "ja-JP", width: int = 1280) -> Page:
    """A fresh browser session: the page asks for the key once, then keeps it for the session."""
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(f"{url}/ui")
    await page.fill("#key-form input[name=key]", key)
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("#nav")).to_be_visible()
    return page


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _visits(page: Page, node: str) -> int:
    value = await page.locator(f'#graph g.node[data-node="{node}"]').get_attribute("data-visits")
    return int(value or 0)


async def test_a_coach_finds_a_thread_sees_its_path_and_watches_a_turn_live(
    server: str, resources: Resources, model: DelayedModel, browser: Browser
) -> None:
    member = await first_member(resources)
    coach = await make_key(resources, "coach")
    service = await make_key(resources, "service")
    async with httpx.AsyncClient(base_url=server, headers={"x-api-key": service}, timeout=60) as client:
        thread_id = (await client.post("/threads", json={})).json()["thread_id"]
        started = await client.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "coaching", "input": {"member_id": str(member.id), "session_type": "check_in"}},
        )
        assert started.json()["__interrupt__"][0]["value"]["type"] == "member_reply"

        # a wrong key is refused and asked for again, nothing shown; the right one opens the list
        context = await browser.new_context(locale="ja-JP")
        wrong = await context.new_page()
        await wrong.goto(f"{server}/ui")
        await wrong.fill("#key-form input[name=key]", "not-a-key")
        await wrong.click("#key-form button[type=submit]")
        await expect(wrong.locator("#key-error")).to_be_visible()
        await expect(wrong.locator("#key-error")).to_have_text("このキーは使えません")
        assert await wrong.locator("#nav").is_hidden() and await wrong.locator("#view").inner_html() == ""
        await context.close()
        page = await _open(browser, server, coach)
        # the key is kept for the browser session: a reload does not ask again
        await page.reload()
        await expect(page.locator("#nav")).to_be_visible()
        assert await page.locator("#key-form").is_hidden()
        await page.select_option("form.filters select[name=flow]", "coaching")
        await page.click("form.filters button[type=submit]")
        row = page.locator(f'tr.thread-row[data-thread="{thread_id}"]')
        await expect(row).to_be_visible()
        assert await page.locator("tr.thread-row").evaluate_all(
            "rows => rows.every(r => r.dataset.flow === 'coaching')"
        )
        await _shot(page, "threads")
        await row.locator("a").click()

        # the path so far: the session waits on the member, its path drawn in the picture
        waiting = page.locator("#graph g.node.current.waiting")
        await expect(waiting).to_have_count(1)
        waiting_on = await waiting.get_attribute("data-node")
        assert await page.locator("#graph g.edge.taken").count() >= 1
        assert await page.locator("#waiting .interrupt").count() == 1
        before = await _visits(page, str(waiting_on))

        # the member answers (a slow model): the page notices the run, follows it live, then settles
        model.delay_s = 1.5
        reply = await client.post(
            f"/threads/{thread_id}/runs",
            json={
                "assistant_id": "coaching",
                "command": {"resume": {"message": "今週は仲間と朝ランを続けられました。"}},
            },
        )
        assert reply.status_code == 200, reply.text
        await expect(page.locator('#live[data-state="running"]')).to_be_visible()
        # while it runs, the node at work is current but not drawn as waiting on anyone
        await expect(page.locator("#graph g.node.current:not(.waiting)")).to_have_count(1)
        await expect(page.locator(f'tr.run-row[data-run="{reply.json()["run_id"]}"]')).to_be_visible()
        await _shot(page, "thread-live")
        await expect(page.locator('#live[data-state="idle"]')).to_be_visible()
        model.delay_s = 0.0
        await expect(page.locator("tr.run-row")).to_have_count(2)
        newest = page.locator(f'tr.run-row[data-run="{reply.json()["run_id"]}"]')
        assert await newest.get_attribute("data-status") in ("success", "interrupted")
        assert await _visits(page, str(waiting_on)) == before + 1  # the same node ran once more
        await expect(page.locator("#graph g.node.current.waiting")).to_have_count(1)
        assert await page.locator("ol.timeline li.checkpoint").count() >= 4
        await _shot(page, "thread")


async def test_a_coach_approves_and_edits_from_the_page_and_the_runs_finish(
    server: str, resources: Resources, browser: Browser
) -> None:
    member = await first_member(resources)
    coach = await make_key(resources, "coach")
    service = await make_key(resources, "service")
    body = {"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": RISKY_LOG}}
    async with httpx.AsyncClient(base_url=server, headers={"x-api-key": service}, timeout=60) as client:
        held: list[tuple[str, str]] = []
        for _ in range(2):
            thread_id = (await client.post("/threads", json={})).json()["thread_id"]
            out = (await client.post(f"/threads/{thread_id}/runs/wait", json=body)).json()
            held.append((thread_id, out["__interrupt__"][0]["value"]["approval_id"]))

        page = await _open(browser, server, coach)
        await page.click("a[data-nav=approvals]")
        (approved_thread, approved), (edited_thread, edited) = held
        card = page.locator(f'article.approval[data-approval="{approved}"]')
        await expect(card).to_be_visible()
        await _shot(page, "approvals")
        await card.locator("button.approve").click()
        # the page goes to the thread and follows the resumed run to its end: published
        await page.wait_for_url(f"**/ui#/threads/{approved_thread}")
        await expect(page.locator("#thread-status")).to_have_text("idle")
        await expect(page.locator('#graph g.node.visited[data-node="publish"]')).to_have_count(1)
        state = (await client.get(f"/threads/{approved_thread}")).json()
        assert state["values"]["status"] == "published"

        # an edit through the form built from the kind's schema: the coach's words are published
        await page.click("a[data-nav=approvals]")
        card = page.locator(f'article.approval[data-approval="{edited}"]')
        await card.locator("details.edit summary").click()
        question = card.locator('[data-field="feedback.question"]')
        await expect(question).not_to_have_value("")  # prefilled from the proposal
        await question.fill("いま一番話を聞いてほしい相手は誰ですか？")
        await card.locator("input[name=comment]").fill("問いを具体的に")
        await card.locator("button.edit-submit").click()
        await page.wait_for_url(f"**/ui#/threads/{edited_thread}")
        await expect(page.locator("#thread-status")).to_have_text("idle")
        done = (await client.get(f"/threads/{edited_thread}")).json()["values"]
        assert done["status"] == "published"
        assert done["feedback"]["question"] == "いま一番話を聞いてほしい相手は誰ですか？"
        decided = (await client.get(f"/approvals/{edited}", headers={"x-api-key": coach})).json()
        assert (decided["status"], decided["comment"]) == ("edited", "問いを具体的に")

        # nothing of these waits any more: the decided approvals have left the list
        await page.click("a[data-nav=approvals]")
        await expect(page.locator(f'article.approval[data-approval="{approved}"]')).to_have_count(0)


async def test_an_admin_forks_from_a_checkpoint_in_english_and_on_a_phone(
    server: str, resources: Resources, browser: Browser
) -> None:
    member = await first_member(resources)
    admin = await make_key(resources, "admin")
    coach = await make_key(resources, "coach")
    body = {"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": ORDINARY_LOG}}
    async with httpx.AsyncClient(base_url=server, headers={"x-api-key": admin}, timeout=60) as client:
        thread_id = (await client.post("/threads", json={})).json()["thread_id"]
        first = (await client.post(f"/threads/{thread_id}/runs/wait", json=body)).json()
        assert first["status"] == "published"

        # a coach sees the timeline but no fork; an admin gets a fork on each past checkpoint
        coach_page = await _open(browser, server, coach, locale="en-US")
        await coach_page.goto(f"{server}/ui#/threads/{thread_id}")
        await expect(coach_page.locator("ol.timeline li.checkpoint").first).to_be_visible()
        await expect(coach_page.locator("form.fork")).to_have_count(0)

        page = await _open(browser, server, admin, locale="en-US", width=390)
        await page.goto(f"{server}/ui#/threads/{thread_id}")
        await expect(page.locator("h3", has_text="Checkpoints")).to_be_visible()
        before_draft = page.locator("li.checkpoint", has=page.locator("code", has_text="draft")).last
        await expect(before_draft.locator("table.diff")).to_be_visible()
        # readable on a phone: nothing wider than the screen
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        await _shot(page, "thread-phone")
        await before_draft.locator("form.fork button").click()
        await expect(page.locator("#toast")).to_have_text("Started a run on a new branch")
        await expect(page.locator("tr.run-row")).to_have_count(2)
        await expect(page.locator('#live[data-state="idle"]')).to_be_visible()
        await expect(page.locator('li.checkpoint[data-source="fork"]')).to_have_count(1)
        runs = (await client.get(f"/threads/{thread_id}/runs")).json()
        assert [r["status"] for r in runs] == ["success", "success"]
        after = (await client.get(f"/threads/{thread_id}/state")).json()
        assert after["values"]["status"] == "published" and after["values"]["feedback"] == first["feedback"]

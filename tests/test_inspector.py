"""The inspector's fragments over ASGI (the browser drives them in ``test_inspector_browser``):
who sees what, the words by language, the edit form off each kind's schema, the state diff."""

from __future__ import annotations

import re

import pytest

from asoto.graphs.approval.kinds import KINDS
from asoto.ui.forms import edit_fields
from asoto.ui.labels import LABELS, ago, pick_locale
from asoto.ui.timeline import changes, entries

from .conftest import ORDINARY_LOG, RISKY_LOG, Api, first_member, make_key


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "ja"),
        ("", "ja"),
        ("en-US,en;q=0.9", "en"),
        ("ja,en;q=0.8", "ja"),
        ("fr-FR, en;q=0.5, ja;q=0.7", "ja"),
        ("de, en-GB;q=0.3", "en"),
        ("en;q=0, fr", "ja"),
        ("en;q=bad", "ja"),
        ("ZH-tw", "ja"),
    ],
)
def test_the_language_is_the_browsers_first_we_have(header: str | None, locale: str) -> None:
    assert pick_locale(header) == locale


def test_both_languages_have_every_word_and_ages_read_naturally() -> None:
    assert set(LABELS["ja"]) == set(LABELS["en"])
    assert ago(5, "ja") == "5秒前" and ago(125, "en") == "2 min ago" and ago(90000, "ja") == "1日前"


def test_the_edit_form_follows_each_kinds_schema() -> None:
    proposal = {"feedback": {"question": "次はどうしますか？", "affirmation": "<b>よく</b>"}, "message": "こんにちは"}
    for kind in KINDS.values():
        fields = edit_fields(kind.edit_model, proposal)
        assert fields, kind.name
        schema_props = kind.edit_model.model_json_schema()["properties"]
        assert {f.name.split(".")[0] for f in fields} == set(schema_props), kind.name
    feedback = {f.name: f for f in edit_fields(KINDS["log_feedback"].edit_model, proposal)}
    assert set(feedback) == {"feedback.affirmation", "feedback.insight", "feedback.question", "feedback.next_action"}
    assert feedback["feedback.question"].value == "次はどうしますか？" and feedback["feedback.question"].required
    assert feedback["feedback.insight"].value == "" and feedback["feedback.insight"].max_length == 400
    [message] = edit_fields(KINDS["coaching_turn"].edit_model, proposal)
    assert (message.name, message.kind, message.value, message.max_length) == (
        "message",
        "textarea",
        "こんにちは",
        4000,
    )
    [steps] = edit_fields(KINDS["coaching_steps"].edit_model, {"steps": [{"title": "散歩"}]})
    assert steps.kind == "json" and '"散歩"' in steps.value


def test_the_timeline_says_what_changed_by_key() -> None:
    found = changes(
        {"status": "drafting", "risk": {"level": "low", "score": 0.1}, "messages": [1, 2], "gone": 1},
        {"status": "held", "risk": {"level": "high", "score": 0.1}, "messages": [1, 2, 3], "draft": "x" * 500},
    )
    by_path = {c.path: c for c in found}
    assert set(by_path) == {"status", "risk.level", "messages", "gone", "draft"}
    assert by_path["draft"].added and by_path["draft"].after.endswith("…") and len(by_path["draft"].after) == 160
    assert by_path["gone"].removed and by_path["gone"].after == ""
    assert (by_path["risk.level"].before, by_path["risk.level"].after) == ("low", "high")
    newest_first = [
        {"values": {"a": 2}, "metadata": {"step": 1, "source": "loop"}, "checkpoint": {"checkpoint_id": "c1"}},
        {"values": {"a": 1}, "metadata": {"step": 0, "source": "input"}, "checkpoint": {"checkpoint_id": "c0"}},
    ]
    first, oldest = entries(newest_first)
    assert (first.checkpoint_id, first.step, [c.path for c in first.changes]) == ("c1", 1, ["a"])
    assert oldest.changes[0].added


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_page_holds_no_data_and_loads_nothing_from_elsewhere(api: Api) -> None:
    client = api.client
    r = await client.get("/ui", headers={"x-api-key": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "実行インスペクタ" in r.text and 'lang="ja"' in r.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text)  # no CDN, no other origin
    en = await client.get("/ui", headers={"accept-language": "en-US,en;q=0.9"})
    assert "run inspector" in en.text and 'lang="en"' in en.text
    for asset in ("/ui/static/ui.js", "/ui/static/ui.css"):
        got = await client.get(asset)
        assert got.status_code == 200 and "http://" not in got.text and "https://" not in got.text
    # the fragments need a key, like the API
    for path in ("/ui/parts/me", "/ui/parts/threads", "/ui/parts/approvals"):
        refused = await client.get(path, headers={"x-api-key": "wrong"})
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"
    bad = await client.get("/ui/parts/threads/not-a-uuid")
    assert bad.status_code == 422
    long_filter = await client.get("/ui/parts/threads", params={"member": "あ" * 101})
    assert long_filter.status_code == 422


async def test_members_see_their_own_threads_and_never_a_held_draft(api: Api) -> None:
    res = api.res
    member = await first_member(res)
    other = await first_member(res, offset=1)
    member_key = await make_key(res, "member", member.id)
    other_key = await make_key(res, "member", other.id)
    admin_key = await make_key(res, "admin")
    held = await api.thread()
    [pending] = (await api.wait(held, api.log_body(RISKY_LOG, str(member.id)))).json()["__interrupt__"]
    fine = await api.thread()
    assert (await api.wait(fine, api.log_body(ORDINARY_LOG, str(member.id)))).status_code == 200
    approval_id = pending["value"]["approval_id"]

    coach_view = await api.client.get(f"/ui/parts/threads/{held}", headers=api.as_key(api.coach))
    assert coach_view.status_code == 200
    approval = (await api.client.get(f"/approvals/{approval_id}", headers=api.as_key(api.coach))).json()
    draft_text = approval["proposal"]["feedback"]["affirmation"]
    assert draft_text in coach_view.text  # the decider reads the draft
    assert 'data-active-run=""' in coach_view.text and 'class="node current waiting"' in coach_view.text
    assert "fork" not in coach_view.text.split('<ol class="timeline">')[1].split("</ol>")[0].replace(
        'data-source="fork"', ""
    )  # no fork button for a coach on a built-in flow

    mine = await api.client.get(f"/ui/parts/threads/{held}", headers=api.as_key(member_key))
    assert mine.status_code == 200
    assert draft_text not in mine.text and LABELS["ja"]["held_for_review"] in mine.text
    assert (await api.client.get(f"/ui/parts/threads/{held}", headers=api.as_key(other_key))).status_code == 404

    listed = await api.client.get("/ui/parts/threads", headers=api.as_key(other_key))
    assert held not in listed.text and fine not in listed.text
    coach_list = await api.client.get(
        "/ui/parts/threads", params={"status": "interrupted", "member": member.name}, headers=api.as_key(api.coach)
    )
    assert held in coach_list.text and fine not in coach_list.text
    by_id = await api.client.get("/ui/parts/threads", params={"member": str(member.id), "flow": "log_feedback"})
    assert held in by_id.text and fine in by_id.text
    nobody = await api.client.get("/ui/parts/threads", params={"member": "%_"})  # LIKE wildcards are literal
    assert LABELS["ja"]["no_threads"] in nobody.text

    # approvals: the coach gets the form off the kind's schema, the member neither form nor draft
    coach_cards = await api.client.get(
        "/ui/parts/approvals", headers={**api.as_key(api.coach), "accept-language": "en"}
    )
    card = coach_cards.text.split(f'data-approval="{approval_id}"')[1].split("</article>")[0]
    assert 'data-field="feedback.affirmation"' in card and draft_text in card and "Approve" in card
    member_cards = await api.client.get("/ui/parts/approvals", headers=api.as_key(member_key))
    assert approval_id in member_cards.text and draft_text not in member_cards.text
    assert "data-field" not in member_cards.text and 'value="approve"' not in member_cards.text
    assert approval_id not in (await api.client.get("/ui/parts/approvals", headers=api.as_key(other_key))).text

    # an admin may fork from a past checkpoint of a built-in flow; the form posts to the runs API
    admin_view = await api.client.get(f"/ui/parts/threads/{fine}", headers=api.as_key(admin_key))
    forms = re.findall(r'<form class="fork" data-api="([^"]+)"', admin_view.text)
    assert forms and set(forms) == {f"/threads/{fine}/runs"}
    assert "publish" in _text(admin_view.text)


async def test_the_identity_fragment_names_the_role(api: Api) -> None:
    r = await api.client.get("/ui/parts/me", headers=api.as_key(api.coach))
    assert r.status_code == 200 and 'data-role="coach"' in r.text and r.headers["cache-control"] == "no-store"

"""The offline coach: a scripted, deterministic coach that follows the session plan.

Turn 1 greets the member, recalls the most relevant past session, and asks the plan's first
question. Later turns reflect what the member just said by what it was (a plan, an obstacle, a
feeling, something done) in their own words, quoted whole or cut between phrases, then ask the
next question (or, when the member already named a step, when and where they will do it). When
the agenda is done it summarises. Steps come from the conversation: the member's own proposed
actions first, then one derived from an obstacle or feeling they named, each citing its turn.
Everything it writes is labelled offline by the flow (``generated_by``).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from asoto.tools import conversation
from asoto.tools.text import quote_of

TYPE_LABEL = {
    "ja": {
        "goal_setting": "目標設定",
        "reflection": "振り返り",
        "step_planning": "ステップ計画",
        "check_in": "チェックイン",
    },
    "en": {
        "goal_setting": "goal setting",
        "reflection": "reflection",
        "step_planning": "step planning",
        "check_in": "check-in",
    },
}

STEPS = {
    "ja": {
        "relationship": [
            ("仲間に近況を一言送る", "コミュニティの誰か一人に、最近の出来事をメッセージで伝える。", 10),
            ("次のイベントに申し込む", "気になるイベントを一つ選んで参加登録する。", 15),
            ("話を聞いてくれた人にお礼を伝える", "具体的な言葉で感謝を一つ伝える。", 5),
        ],
        "activity": [
            ("{interest}に15分取り組む", "時間を決めて、{interest}に15分だけ手をつける。", 15),
            ("一駅分歩く", "帰り道に一駅分歩いて体を動かす。", 20),
            ("小さな挑戦を一つ予定に入れる", "やったことのないことを一つ選び、カレンダーに入れる。", 10),
        ],
        "sensitivity": [
            ("寝る前に3行の振り返りを書く", "今日の出来事・感じたこと・気づきを1行ずつ書く。", 10),
            ("気持ちが動いた瞬間をメモする", "1日1回、心が動いた瞬間を短くメモする。", 5),
            ("週末に内省ログを一つ投稿する", "1週間で一番の気づきをログにまとめる。", 20),
        ],
    },
    "en": {
        "relationship": [
            ("Send someone a short update", "Message one community member about your week.", 10),
            ("Sign up for the next event", "Pick one event and register for it.", 15),
            ("Thank someone who listened", "Say one specific thank-you.", 5),
        ],
        "activity": [
            ("Spend 15 minutes on {interest}", "Set a time and spend just 15 minutes on {interest}.", 15),
            ("Walk one extra station", "Walk one station's distance on your way home.", 20),
            ("Schedule one small challenge", "Pick something new and put it in your calendar.", 10),
        ],
        "sensitivity": [
            ("Write three lines before bed", "What happened, what you felt, what you noticed.", 10),
            ("Note one moment that moved you", "Once a day, jot down a moment that moved you.", 5),
            ("Post one reflection log this weekend", "Write up your biggest insight of the week.", 20),
        ],
    },
}


CARE_TURN = {
    "ja": "話してくれて、ありがとうございます。担当のコーチもあなたの言葉を読んでいます。"
    "今、少しでも安心できることや、そばにいてほしい人はいますか？",
    "en": "Thank you for telling me. Your coach has read your words too. "
    "Is there anything, or anyone, that would help you feel a little safer right now?",
}


def _lang(facts: dict[str, Any]) -> str:
    return "en" if str(facts.get("locale", "ja")).startswith("en") else "ja"


REFLECT = {
    "ja": {
        "plan": ("「{q}」という一歩、具体的でいいですね。", "「{q}」と決められたのは大きいですね。"),
        "obstacle": ("「{q}」が今の壁なのですね。", "「{q}」というところで止まっているのですね。"),
        "feeling": ("「{q}」という気持ち、大事に受け取りました。", "「{q}」と感じたのですね。"),
        "achievement": ("「{q}」、できたことを一緒に喜びたいです。", "「{q}」のは、積み重ねの成果ですね。"),
        "other": ("「{q}」と話してくれてありがとうございます。", "「{q}」なのですね。"),
    },
    "en": {
        "plan": ('"{q}" is a concrete step.', 'Deciding "{q}" matters.'),
        "obstacle": ('So "{q}" is what gets in the way.', 'It sounds like "{q}" is where things stall.'),
        "feeling": ('Thank you for sharing that you felt "{q}".', 'I hear that: "{q}".'),
        "achievement": ('"{q}" is worth celebrating.', 'You did it: "{q}".'),
        "other": ('Thank you for telling me "{q}".', 'I hear you: "{q}".'),
    },
}
# When the member has already said what they will do, the next agenda question about a step
# would ask them to repeat it: ask when and where instead.
WHEN = {"ja": "それを、いつ、どこでやりますか？", "en": "When and where will you do it?"}
_STEP_QUESTION = ("一歩", "first step", "smallest step")


def _quote_limit(lang: str) -> int:
    return 80 if lang == "en" else 40


def turn(facts: dict[str, Any]) -> dict[str, Any]:
    lang = _lang(facts)
    plan = facts["plan"]
    question = facts.get("next_question")
    name = facts["member_name"]
    reply = (facts.get("last_reply") or "").strip()
    last = quote_of(reply, _quote_limit(lang))
    if facts.get("reply_was_risky"):
        # a coach has read the member's last reply: no quote of it, no agenda, only care
        return {"message": CARE_TURN[lang], "intent": "reflection", "goal_reached": False}
    if facts["turn"] == 1:
        memory = facts.get("memory") or []
        if lang == "ja":
            recall = (
                f"前回のセッションでは「{quote_of(memory[0]['summary'], 40)}」というお話でしたね。" if memory else ""
            )
            text = (
                f"{name}さん、こんにちは。今日は{TYPE_LABEL['ja'][plan['session_type']]}のセッションです。{recall}"
                f"今日は{plan['focus_label']}を意識しながら話しましょう。{question}"
            )
        else:
            recall = f'Last time we talked about "{quote_of(memory[0]["summary"], 80)}". ' if memory else ""
            text = (
                f"Hello {name}. Today is a {TYPE_LABEL['en'][plan['session_type']]} session. {recall}"
                f"Let's keep {plan['focus_label']} in mind. {question}"
            )
        return {"message": text, "intent": "question", "goal_reached": False}
    kind = conversation.kind_of(reply)
    variants = REFLECT[lang][kind]
    pick = int(hashlib.sha256(reply.encode("utf-8")).hexdigest(), 16) % len(variants)
    reflection = variants[pick].format(q=last)
    if question is None:
        closing = "ここで今日の内容をまとめます。" if lang == "ja" else "Let me sum up the session."
        return {
            "message": f"{reflection}{'' if lang == 'ja' else ' '}{closing}",
            "intent": "summary",
            "goal_reached": True,
        }
    if kind == "plan" and any(marker in question for marker in _STEP_QUESTION):
        question = WHEN[lang]
    text = f"{reflection}{question}" if lang == "ja" else f"{reflection} {question}"
    return {"message": text, "intent": "question", "goal_reached": False}


def summary(facts: dict[str, Any]) -> dict[str, Any]:
    lang = _lang(facts)
    plan = facts["plan"]
    replies = [r for r in facts.get("replies", []) if r.strip()]
    quotes = [quote_of(r, _quote_limit(lang)) for r in replies][:3]
    label = TYPE_LABEL[lang][plan["session_type"]]
    if lang == "ja":
        said = "".join(f"「{q}」" for q in quotes) or "（発言なし）"
        text = f"{label}のセッション。{plan['focus_label']}を伸ばすことを意識して話しました。本人の言葉: {said}。"
    else:
        said = ", ".join(f'"{q}"' for q in quotes) or "(nothing said)"
        text = f"A {label} session focused on growing {plan['focus_label']}. In the member's words: {said}."
    today = date.fromisoformat(facts["today"])
    return {"summary": text, "steps": steps_from(replies, lang, plan, today, facts.get("interests") or [])}


def _due(today: date, i: int) -> str:
    return (today + timedelta(days=3 + 4 * i)).isoformat()


def steps_from(
    replies: list[str], lang: str, plan: dict[str, Any], today: date, interests: list[str]
) -> list[dict[str, Any]]:
    """Steps from the session: the member's own proposed actions first (concrete and recent first),
    then one derived from what they said; each cites the reply it came from. Only a session in
    which the member said nothing gets the plan's generic steps."""
    steps: list[dict[str, Any]] = []
    for action in conversation.proposed_actions(replies)[:2]:
        cite = (
            f"{action.turn}回目の返信「{action.sentence}」から。"
            if lang == "ja"
            else f'From your reply in turn {action.turn}: "{action.sentence}"'
        )
        steps.append(
            {
                "title": action.title,
                "description": cite,
                "category": conversation.category_of(action.sentence, plan["focus"]),
                "estimated_minutes": 15,
                "due_date": _due(today, len(steps)),
            }
        )
    own = {a.sentence for a in conversation.proposed_actions(replies)[:2]}
    for number, reply in enumerate(replies, 1):
        if len(steps) >= 3 or reply in own:
            continue
        kind = conversation.kind_of(reply)
        topic = conversation.topic_of(reply)
        if kind not in ("obstacle", "feeling") or topic is None:
            continue
        if lang == "ja":
            title = f"「{topic}」について、15分でできる小さな工夫を一つ試す"
            cite = f"{number}回目の返信「{quote_of(reply, 40)}」から。"
        else:
            title = f"Try one 15-minute change around {topic}"
            cite = f'From your reply in turn {number}: "{quote_of(reply, 80)}"'
        steps.append(
            {
                "title": title,
                "description": cite,
                "category": conversation.category_of(reply, plan["focus"]),
                "estimated_minutes": 15,
                "due_date": _due(today, len(steps)),
            }
        )
        break
    if steps:
        return steps
    interest = (interests or ["" if lang == "en" else "好きなこと"])[0] or "what you enjoy"
    return [
        {
            "title": title.format(interest=interest),
            "description": description.format(interest=interest),
            "category": plan["focus"],
            "estimated_minutes": minutes,
            "due_date": _due(today, i),
        }
        for i, (title, description, minutes) in enumerate(STEPS[lang][plan["focus"]])
    ]

"""The offline coach: a scripted, deterministic coach that follows the session plan.

Turn 1 greets the member, recalls the most relevant past session, and asks the plan's first
question; later turns quote the member's last words back and ask the next question; when the
agenda is done it summarises and says the goal is reached. The summary quotes the member and
proposes steps for the element the plan wants to grow. Everything it writes is labelled offline
by the flow (``generated_by``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from asoto.tools.text import clip, quote_of

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


def turn(facts: dict[str, Any]) -> dict[str, Any]:
    lang = _lang(facts)
    plan = facts["plan"]
    question = facts.get("next_question")
    name = facts["member_name"]
    last = quote_of(facts.get("last_reply") or "", 60 if lang == "en" else 30)
    if facts.get("reply_was_risky"):
        # a coach has read the member's last reply: no quote of it, no agenda, only care
        text = CARE_TURN[lang]
        return {"message": text, "intent": "reflection", "goal_reached": False}
    if facts["turn"] == 1:
        memory = facts.get("memory") or []
        if lang == "ja":
            recall = f"前回のセッションでは「{clip(memory[0]['summary'], 40)}」というお話でしたね。" if memory else ""
            text = (
                f"{name}さん、こんにちは。今日は{TYPE_LABEL['ja'][plan['session_type']]}のセッションです。{recall}"
                f"今日は{plan['focus_label']}を意識しながら話しましょう。{question}"
            )
        else:
            recall = f'Last time we talked about "{clip(memory[0]["summary"], 60)}". ' if memory else ""
            text = (
                f"Hello {name}. Today is a {TYPE_LABEL['en'][plan['session_type']]} session. {recall}"
                f"Let's keep {plan['focus_label']} in mind. {question}"
            )
        return {"message": text, "intent": "question", "goal_reached": False}
    if question is None:
        if lang == "ja":
            text = (
                f"「{last}」という言葉で、今日の{plan['goal']}ところまで来られましたね。ここで今日の内容をまとめます。"
            )
        else:
            text = f'With "{last}", we reached today\'s goal: {plan["goal"]}. Let me sum up the session.'
        return {"message": text, "intent": "summary", "goal_reached": True}
    text = f"「{last}」と話してくれましたね。{question}" if lang == "ja" else f'You said "{last}". {question}'
    return {"message": text, "intent": "question", "goal_reached": False}


def summary(facts: dict[str, Any]) -> dict[str, Any]:
    lang = _lang(facts)
    plan = facts["plan"]
    quotes = [quote_of(r, 60 if lang == "en" else 30) for r in facts.get("replies", []) if r.strip()][:3]
    label = TYPE_LABEL[lang][plan["session_type"]]
    if lang == "ja":
        said = "".join(f"「{q}」" for q in quotes) or "（発言なし）"
        text = f"{label}のセッション。{plan['focus_label']}を伸ばすことを意識して話しました。本人の言葉: {said}。"
    else:
        said = ", ".join(f'"{q}"' for q in quotes) or "(nothing said)"
        text = f"A {label} session focused on growing {plan['focus_label']}. In the member's words: {said}."
    interest = (facts.get("interests") or ["" if lang == "en" else "好きなこと"])[0] or "what you enjoy"
    today = date.fromisoformat(facts["today"])
    steps = [
        {
            "title": title.format(interest=interest),
            "description": description.format(interest=interest),
            "category": plan["focus"],
            "estimated_minutes": minutes,
            "due_date": (today + timedelta(days=3 + 4 * i)).isoformat(),
        }
        for i, (title, description, minutes) in enumerate(STEPS[lang][plan["focus"]])
    ]
    return {"summary": text, "steps": steps}

"""The session plan: what to explore in a coaching session, from its type and the member's context.

Deterministic and explainable: the focus is the element the member is lowest in (or whose
trend fell most), the agenda is the session type's sequence of open questions, and the goal is
what a good ending of that session type looks like.
"""

from __future__ import annotations

from typing import Any

SESSION_TYPES = ("goal_setting", "reflection", "step_planning", "check_in")
ELEMENT_LABEL = {
    "ja": {"relationship": "関係性", "activity": "多動性", "sensitivity": "感受性"},
    "en": {"relationship": "relationship", "activity": "activity", "sensitivity": "sensitivity"},
}

AGENDA = {
    "ja": {
        "goal_setting": [
            "今、いちばん実現したいことは何ですか？",
            "それが実現したら、どんな変化がありそうですか？",
            "そのために、もう始めていることはありますか？",
            "うまくいかないとしたら、何が壁になりそうですか？",
            "1か月後、どうなっていたら「進んだ」と言えそうですか？",
            "最初の一歩として、今週できることは何でしょう？",
        ],
        "reflection": [
            "最近あった出来事で、心に残っていることは何ですか？",
            "そのとき、どんな気持ちでしたか？",
            "その経験から、どんなことに気づきましたか？",
            "似たような場面は、これまでにもありましたか？",
            "その気づきを、これからどう活かしたいですか？",
            "今日の振り返りを一言で表すと何でしょう？",
        ],
        "step_planning": [
            "今取り組んでいる目標を教えてください。",
            "いま進んでいるステップと、止まっているステップはどれですか？",
            "止まっている理由は何だと思いますか？",
            "15分でできる、いちばん小さな一歩は何でしょう？",
            "それをいつやりますか？",
            "誰かに手伝ってもらえることはありますか？",
        ],
        "check_in": [
            "この1週間はどんな週でしたか？",
            "予定していたステップはどうでしたか？",
            "うまくいったことを一つ教えてください。",
            "今、エネルギーはどのくらい残っていますか？",
            "来週に向けて、調整したいことはありますか？",
            "来週、いちばん大事にしたいことは何ですか？",
        ],
    },
    "en": {
        "goal_setting": [
            "What would you most like to make happen now?",
            "If it happened, what would change?",
            "Is there anything you have already started toward it?",
            "What could get in the way?",
            "What would tell you in a month that you moved forward?",
            "What first step could you take this week?",
        ],
        "reflection": [
            "What recent moment stayed with you?",
            "How did you feel then?",
            "What did you notice from it?",
            "Have you been in a similar situation before?",
            "How would you like to use that insight?",
            "How would you sum up today's reflection in a word?",
        ],
        "step_planning": [
            "Tell me about the goal you are working on.",
            "Which steps are moving and which are stuck?",
            "Why do you think they are stuck?",
            "What is the smallest step you could do in 15 minutes?",
            "When will you do it?",
            "Is there anyone who could help?",
        ],
        "check_in": [
            "How was your week?",
            "How did the steps you planned go?",
            "Tell me one thing that went well.",
            "How much energy do you have left?",
            "Is there anything to adjust for next week?",
            "What matters most to you next week?",
        ],
    },
}

GOAL = {
    "ja": {
        "goal_setting": "1か月で目指すことと最初の一歩が言葉になる",
        "reflection": "出来事から気づきを一つ言葉にする",
        "step_planning": "今週やる小さなステップが決まる",
        "check_in": "この1週間を振り返り、来週の重点が決まる",
    },
    "en": {
        "goal_setting": "a one-month aim and a first step are put into words",
        "reflection": "one insight from an experience is put into words",
        "step_planning": "small steps for this week are decided",
        "check_in": "the week is reviewed and next week's focus is set",
    },
}


def make_plan(
    session_type: str, locale: str, scores: dict[str, int], trend: dict[str, int], topic: str | None = None
) -> dict[str, Any]:
    lang = "en" if locale.startswith("en") else "ja"
    # grow the weakest element; a falling trend counts double
    focus = min(scores, key=lambda e: (scores[e] + 2 * min(0, trend.get(e, 0)), e))
    return {
        "session_type": session_type,
        "focus": focus,
        "focus_label": ELEMENT_LABEL[lang][focus],
        "goal": GOAL[lang][session_type],
        "agenda": list(AGENDA[lang][session_type]),
        "topic": topic or "",
    }

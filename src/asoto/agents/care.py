"""What a member at risk reads after a person has looked: care, a person, and where to get help.

The same rules hold for the offline responder (these templates) and for real models (the
``feedback_care`` prompt, which gets the same help lines): no advice about habits, nothing of
the member's own words quoted back (a log may describe a method), the coach named as the person
who will follow up, and the help lines for the risk's categories from ``safety/data``.
"""

from __future__ import annotations

from collections.abc import Sequence

from asoto.safety.helplines import for_risk

_OPENING = {
    "ja": "書いてくれて、ありがとうございます。とても大切なことを言葉にしてくれました。",
    "en": "Thank you for writing this. You put something very important into words.",
}

_INSIGHT = {
    "ja": {
        "abuse": "あなたが悪いのではありません。あなたの安全がいちばん大切です。",
        "threat": "強い怒りを抱えているのが伝わってきます。その気持ちを一人で抱えたまま行動する前に、誰かと話しましょう。",
        "harassment": "つらい扱いを受けているのは、あなたのせいではありません。一人で我慢し続けなくて大丈夫です。",
        "eating_disorder": "食べることや体のことで、とても苦しい思いをしているのが伝わってきます。責めなくて大丈夫です。",
        "default": "今とてもつらい中にいることが伝わってきます。一人で抱え込まなくて大丈夫です。",
    },
    "en": {
        "abuse": "This is not your fault. Your safety matters most.",
        "threat": "I can hear how much anger you are carrying. Before acting on it alone, please talk to someone.",
        "harassment": "Being treated this way is not your fault. You do not have to keep enduring it alone.",
        "eating_disorder": "I can hear how painful food and your body feel right now. You do not need to blame yourself.",
        "default": "I can hear how hard things are right now. You do not have to carry this alone.",
    },
}

_QUESTION = {
    "ja": "今、安心して気持ちを話せる人はそばにいますか？",
    "en": "Is there someone near you that you feel safe talking to right now?",
}

_NEXT = {
    "ja": "担当のコーチがこのログを読み、あなたに連絡します。今すぐ誰かと話したいときは、{lines}に相談できます。",
    "en": "Your coach has read this log and will reach out to you. If you want to talk to someone now, you can call {lines}.",
}


def _lang(locale: str) -> str:
    return "en" if locale.startswith("en") else "ja"


def helpline_text(locale: str, reasons: Sequence[str]) -> str:
    lang = _lang(locale)
    lines = [h.line() for h in for_risk(lang, reasons)]
    return "、".join(lines) if lang == "ja" else ", ".join(lines)


def care_feedback(locale: str, reasons: Sequence[str]) -> dict[str, str]:
    """Four parts like any feedback, with no advice and no quote of the member's words."""
    lang = _lang(locale)
    insights = _INSIGHT[lang]
    key = next((r for r in reasons if r in insights), "default")
    return {
        "affirmation": _OPENING[lang],
        "insight": insights[key],
        "question": _QUESTION[lang],
        "next_action": _NEXT[lang].format(lines=helpline_text(lang, reasons)),
    }

"""Reading a coaching conversation: what kind of thing the member just said, and the actions they
proposed in their own words, turned into steps that cite the turn they came from.

Deterministic and offline (SudachiPy for Japanese word forms); used by the offline coach, and by
the flow to keep proposed steps from repeating what the member already has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from asoto.tools.morph import analyse, cut_at_word, is_latin, noun_phrases

ReplyKind = Literal["plan", "obstacle", "feeling", "achievement", "other"]

_JA_PLAN = re.compile(r"(たい|てみる|てみます|ようと思|うと思|つもり|ことにする|ことにした|と決め|決めたい|します)")
_JA_OBSTACLE = re.compile(
    r"(苦手|できない|できず|わからない|分からない|迷って|続かない|難しい|時間がない|忙し|ためら|遅くて|壁|邪魔|疲れ)"
)
_JA_FEELING = re.compile(r"(悔し|不安|嬉し|うれし|楽し|焦|緊張|寂し|ほっと|感動|つらい|辛い|落ち込|怖|安心|気持ち)")
_JA_DONE = re.compile(r"(できた|続いた|終えた|読めた|行けた|話せた|勝った|完成|達成|よかった|順調)")
_EN_PLAN = re.compile(
    r"\b(i'?ll|i will|i'?m going to|i want to|i'?d like to|i plan to|next time i'?ll|i'?m planning to)\b", re.I
)
_EN_OBSTACLE = re.compile(
    r"\b(hard|can'?t|cannot|struggle|never finish|bored|too (much|busy)|stopped|skipped|forgot|late)\b", re.I
)
_EN_FEELING = re.compile(r"\b(feel|felt|nervous|anxious|happy|proud|frustrat|worried|glad|sad)\w*", re.I)
_EN_DONE = re.compile(r"\b(finished|finally|kept|managed|did it|went well|reconnected|good week)\b", re.I)
# A plan is concrete when it says when, how often or how much.
_CONCRETE = re.compile(
    r"(毎朝|毎晩|毎日|毎週|週に|週末|明日|来週|今週|今日|夜|朝|\d|一|二|三|五|十|まず|分|回|一日|中に|前に|後に|昼休み|"
    r"every|each|daily|weekly|tomorrow|tonight|week|minutes?|once|twice|after|before|during|\d)",
    re.I,
)
_SENTENCES = re.compile(r"[^。．！？!?\n]+[。．！？!?]?")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(text) if s.strip()]


def kind_of(reply: str) -> ReplyKind:
    """What the member's reply mostly is: a plan, an obstacle, a feeling, something done, or other."""
    text = reply.strip()
    if is_latin(text):
        checks = ((_EN_PLAN, "plan"), (_EN_OBSTACLE, "obstacle"), (_EN_DONE, "achievement"), (_EN_FEELING, "feeling"))
    else:
        checks = ((_JA_OBSTACLE, "obstacle"), (_JA_DONE, "achievement"), (_JA_FEELING, "feeling"), (_JA_PLAN, "plan"))
    for pattern, kind in checks:
        if pattern.search(text):
            return kind  # type: ignore[return-value]
    return "other"


def _ends_in_plain_verb(sentence: str) -> bool:
    """「音声を聞く」「模試を一回解く」: a sentence that ends in a verb's plain present form states
    what the member will do."""
    morphemes = [m for m in analyse(sentence) if m.pos not in ("補助記号", "空白")]
    return bool(morphemes) and morphemes[-1].pos == "動詞" and morphemes[-1].surface == morphemes[-1].dictionary_form


def is_intention(sentence: str) -> bool:
    if is_latin(sentence):
        return bool(_EN_PLAN.search(sentence))
    if _JA_OBSTACLE.search(sentence) or _JA_FEELING.search(sentence) or _JA_DONE.search(sentence):
        return False
    return bool(_JA_PLAN.search(sentence.rstrip("。.!！"))) or _ends_in_plain_verb(sentence)


_JA_TAILS = (
    ("てみたいです", "てみる"),
    ("てみたい", "てみる"),
    ("ようと思う", ""),
    ("うと思う", "う"),
    ("と思う", ""),
    ("ことにした", ""),
    ("ことにする", ""),
    ("つもりだ", ""),
    ("つもり", ""),
    ("と決めたい", ""),
)


def _ja_title(sentence: str) -> str:
    body = sentence.rstrip("。.!！ ")
    for tail, replacement in _JA_TAILS:
        if body.endswith(tail):
            body = body[: -len(tail)] + replacement
            break
    if body.endswith("たい"):
        morphemes = analyse(body)
        # 「聞きたい」→「聞く」: the verb before たい back in its dictionary form
        for i in range(len(morphemes) - 1, 0, -1):
            if morphemes[i].surface == "たい" and morphemes[i - 1].pos == "動詞":
                verb = morphemes[i - 1]
                body = body[: verb.begin] + verb.dictionary_form
                break
        else:
            body = body.removesuffix("たい")
    return body


_EN_PREFIX = re.compile(
    r"^.*?\b(i'?ll|i will|i'?m going to|i want to|i'?d like to|i plan to|next time i'?ll|i'?m planning to)\s+", re.I
)


def _en_title(sentence: str) -> str:
    body = _EN_PREFIX.sub("", sentence.strip()).rstrip(".!")
    return body[:1].upper() + body[1:]


# What worked, or what the member wishes they had done, is an action in their own words too:
# 「早めに上司に見せればよかった」→「早めに上司に見せる」, 「朝に行く方が続くかもしれない」→「朝に行く」,
# 「感想をメモに残すと覚えられそう」→「感想をメモに残す」, "Writing notes before the call helped" →
# "Write notes before the call".
_JA_LESSON = (
    re.compile(r"^(?P<act>.+?)(ば|れば)よかった"),
    re.compile(r"^(?P<act>.+?)方が(続|いい|良い|よさそう|楽|合って)"),
    re.compile(r"^(?P<act>.+?)と(もっと)?(楽|よかった|良かった|いい|覚えられ|続き|続けられ)"),
    re.compile(r"^(?P<act>.+?)のが(よかった|良かった|効いた|よさそう)"),
)
_EN_LESSON = re.compile(r"^(?P<act>[A-Za-z]+ing\b.*?)\s+(helped|worked|made it easier|was useful)", re.I)


def _dictionary_form_at_end(clause: str) -> str:
    """The clause with its last verb in the dictionary form (見せれ→見せる, した→する, 残す→残す)."""
    morphemes = [m for m in analyse(clause) if m.pos != "補助記号"]
    for i in range(len(morphemes) - 1, -1, -1):
        if morphemes[i].pos == "動詞":
            verb = morphemes[i]
            return clause[: verb.begin] + verb.dictionary_form
    return clause


def _en_base(gerund: str) -> str:
    word = gerund[:-3]
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # running → run
    elif word.endswith(("at", "it", "ak", "iv", "rit", "ot")) or word in ("writ", "mak", "tak", "giv", "us"):
        word += "e"  # writing → write, making → make
    return word


def lesson_action(sentence: str) -> str | None:
    text = sentence.strip().rstrip("。.!！")
    if is_latin(text):
        found = _EN_LESSON.match(text)
        if not found:
            return None
        first, *rest = found.group("act").split()
        return " ".join([_en_base(first).capitalize(), *rest])
    for pattern in _JA_LESSON:
        found = pattern.match(text)
        if found and len(found.group("act")) >= 3:
            return _dictionary_form_at_end(found.group("act"))
    return None


@dataclass(frozen=True)
class ProposedAction:
    turn: int  # the member's reply it came from (1 = their first reply)
    sentence: str
    title: str
    concrete: bool


def proposed_actions(replies: list[str]) -> list[ProposedAction]:
    """Actions the member proposed in their own words, concrete and recent ones first."""
    found: list[ProposedAction] = []
    for number, reply in enumerate(replies, 1):
        for sentence in sentences(reply):
            lesson = lesson_action(sentence)
            if lesson is None and not is_intention(sentence):
                continue
            title = lesson or (_en_title(sentence) if is_latin(sentence) else _ja_title(sentence))
            if len(title) < 3:
                continue
            found.append(ProposedAction(number, sentence, cut_at_word(title, 60), bool(_CONCRETE.search(sentence))))
    return sorted(found, key=lambda a: (not a.concrete, -a.turn))


_TIME_WORDS = re.compile(r"(\d|毎朝|毎晩|毎日|今週|来週|先週|週末|今日|明日|昨日|今年|来月|今月|最近|今|時間|回|日)")


def topic_of(reply: str) -> str | None:
    """The main thing a reply is about, for a step derived from it: its first noun phrase that is
    not a time expression (for English, its last content word, usually the object)."""
    if is_latin(reply):
        words = [w for w in noun_phrases(reply) if not re.search(r"(ed|ing)$", w) or w.endswith("ing")]
        return words[-1] if words else None
    phrases = [p for p in noun_phrases(reply) if not _TIME_WORDS.search(p)]
    return phrases[0] if phrases else None


_RELATION = re.compile(
    r"(友|家族|同僚|上司|後輩|先輩|母|父|子ども|チーム|話|会う|誘|friend|family|team|manager|mentor|call|talk|meet)",
    re.I,
)
_SENSE = re.compile(
    r"(気持ち|感じ|振り返|メモ|日記|感想|気づ|瞑想|journal|gratitude|notice|reflect|write down|feel)", re.I
)


def category_of(text: str, default: str) -> str:
    """Which element a step grows: people → relationship, noticing → sensitivity, doing → activity.
    (``default``, the plan's focus, is kept for callers that want it; the text decides.)"""
    if _RELATION.search(text):
        return "relationship"
    if _SENSE.search(text):
        return "sensitivity"
    return "activity"

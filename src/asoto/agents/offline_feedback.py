"""The offline responder's four-part feedback, built from what the member wrote.

It reads the log with SudachiPy: the main thing it is about (its first noun phrase that is not a
time expression), a feeling it names, an obstacle, a change the member already made, a person
in it. Each part refers to one of those in the member's own words; nothing is said that the log
does not support (no "tomorrow's meeting" for a log that mentions none, no advice to make a
change the member already made). When nothing specific can be read, the reply stays general
but true. A hash of the text picks among phrasings, so two logs rarely get the same sentence.
Deterministic, and labelled offline by the flow.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from asoto.tools.conversation import sentences, topic_of
from asoto.tools.morph import EN_STOP, analyse, cut_at_word, is_latin
from asoto.tools.text import quote_of

_TITLE = re.compile(r"[『「\'\"]([^』」\'\"]{2,30})[』」\'\"]")
_TIME = re.compile(
    r"(\d|毎朝|毎晩|毎日|今週|来週|先週|週末|今日|明日|昨日|今年|来月|今月|最近|今|時間|目|ぶり|初めて|年|昼休み|休日|自分)"
)


def _ja_topic(sentence: str) -> str | None:
    """The thing the first sentence is about: a quoted title, else the noun phrase (with its
    「の」 modifiers) before を, else before で/が/は/に."""
    if found := _TITLE.search(sentence):
        return found.group(1)
    morphemes = analyse(sentence)
    phrases: list[tuple[str, str]] = []  # (phrase, the particle after it)
    current = ""
    for i, m in enumerate(morphemes):
        if m.pos == "名詞" and m.pos_detail != "代名詞":
            current += m.surface
            continue
        nxt = morphemes[i + 1] if i + 1 < len(morphemes) else None
        if current and m.surface == "の" and nxt is not None and nxt.pos == "名詞":
            current += "の"
            continue
        if current:
            after = m.surface if m.pos == "助詞" else ("する" if m.dictionary_form in ("する", "為る") else "")
            phrases.append((current, after))
        current = ""
    if current:
        phrases.append((current, ""))
    good = [(p, particle) for p, particle in phrases if len(p) >= 2 and not _TIME.fullmatch(p) and not _TIME.match(p)]
    for wanted in ("を", "する", "で", "が", "は", "に"):
        for phrase, particle in good:
            if particle == wanted:
                return phrase.split("の")[-1] if len(phrase) > 12 else phrase
    return good[0][0] if good else None


def _title_topic(title: str) -> str | None:
    """Members title a log with what it is about (「朝ラン」「読書記録」"Book"): a short title that
    is a name rather than a sentence is the best topic there is."""
    title = title.strip()
    if not title or len(title) > (24 if is_latin(title) else 10) or re.search(r"[。．！？!?、,]", title):
        return None
    if title.lower() in {
        "today",
        "morning",
        "reflection",
        "log",
        "diary",
        "今日",
        "日記",
        "振り返り",
        "今日の振り返り",
        "メモ",
    }:
        return None
    return title


_EN_NOUN_PHRASE = re.compile(r"\b(?:the|a|an|my|our|her|his|their)\s+((?:[a-z0-9-]+\s+){0,2}[a-z0-9-]+)", re.I)


_EN_GENERIC = EN_STOP | {"first", "time", "end", "part", "way", "without", "day", "five", "new", "old", "little"}


def _en_topic(sentence: str) -> str | None:
    """A quoted title; for a sentence that starts with its verb ("Planted tulip bulbs…"), the words
    after it; else the first noun phrase after an article or a possessive."""
    if found := _TITLE.search(sentence):
        return found.group(1)
    words = [w.strip(".,!?").lower() for w in sentence.split()]
    if words and words[0] not in EN_STOP and words[0].endswith("ed"):
        after = [w for w in words[1:3] if w not in _EN_GENERIC]
        if after:
            return " ".join(after)
    for found in _EN_NOUN_PHRASE.finditer(sentence):
        kept = [w for w in found.group(1).split() if w.lower() not in _EN_GENERIC]
        if kept:
            return " ".join(kept)
    nouns = [w for w in words if len(w) > 3 and w not in _EN_GENERIC and not w.endswith("ed")]
    return nouns[0] if nouns else None


_JA_FEELING = re.compile(
    r"(嬉し|うれし|楽し|悔し|不安|ほっと|感動|自信|安心|緊張|焦|寂し|刺さ|心強|すっきり|気持ちが軽|癒|幸せ|誇らし|ワクワク|わくわく)[^。、]{0,6}"
)
_JA_OBSTACLE = re.compile(
    r"[^。、]{0,12}(できなかった|できず|苦手|心残り|思うように[^。、]{0,6}ない|慣れない|難し|まだ[^。、]{0,10}ない|集中できな|失敗|ミス)[^。、]{0,4}"
)
_JA_CHANGE = re.compile(r"[^。、]{2,16}(をやめて|を変えたら|を始めて|を見直して|を続けて|にしたら|をしてから)")
_JA_PEOPLE = re.compile(
    r"(夫|妻|息子|娘|母|父|祖母|祖父|先輩|後輩|同僚|上司|同期|友人|友達|子どもたち|子ども|先生|チーム|家族)"
)
_EN_FEELING = re.compile(
    r"\b(felt \w+|feels? \w+|proud|happy|glad|relieved|nervous|excited|worth it|best part|stuck with me)\b", re.I
)
_EN_OBSTACLE = re.compile(r"\b(forgot[^.]*|hurt[^.]*|still \w+|didn'?t \w+|couldn'?t \w+|hard|wanders?)\b", re.I)
_EN_CHANGE = re.compile(r"\b(set up [^.,]+|started [^.,]+|stopped [^.,]+|switched [^.,]+|cut back [^.,]+)", re.I)
_EN_PEOPLE = re.compile(
    r"\b(my (?:son|daughter|wife|husband|mom|dad|grandmother|grandfather|friend|team|manager|kids)|support team|teacher|client)\b",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    quote: str
    topic: str | None
    feeling: str | None
    obstacle: str | None
    change: str | None
    person: str | None


_CLAUSE = re.compile(r"[^。、，,.!?！？\n]+")


def _clause(text: str, pattern: re.Pattern[str], limit: int) -> str | None:
    """The whole clause (between commas and full stops) in which the pattern occurs, so a quoted
    feeling or obstacle is never a fragment; long clauses are cut between phrases."""
    for clause in _CLAUSE.findall(text):
        if pattern.search(clause):
            return cut_at_word(clause.strip(), limit)
    return None


def read(title: str, content: str) -> Reading:
    text = content.strip() or title
    if is_latin(text):
        feeling, obstacle, change = (_clause(text, p, 60) for p in (_EN_FEELING, _EN_OBSTACLE, _EN_CHANGE))
        person = _EN_PEOPLE.search(text)
        quote = quote_of(text, 80)
    else:
        feeling, obstacle, change = (_clause(text, p, 24) for p in (_JA_FEELING, _JA_OBSTACLE, _JA_CHANGE))
        person = _JA_PEOPLE.search(text)
        quote = quote_of(text, 40)
    first = (sentences(text) or [text])[0]
    topic = _title_topic(title) or (_en_topic(first) if is_latin(text) else _ja_topic(first))
    return Reading(
        quote=quote,
        topic=topic or topic_of(text) or (topic_of(title) if title else None),
        feeling=feeling,
        obstacle=obstacle,
        change=change,
        person=person.group(0) if person else None,
    )


def _pick(options: tuple[str, ...], seed: int, part: int) -> str:
    return options[(seed >> (part * 8)) % len(options)]


def feedback(title: str, content: str, locale: str) -> dict[str, str]:
    seed = int(hashlib.sha256(f"{title}\n{content}".encode()).hexdigest(), 16)
    reading = read(title, content)
    return _english(reading, seed) if locale.startswith("en") else _japanese(reading, seed)


def _japanese(r: Reading, seed: int) -> dict[str, str]:
    topic = r.topic or "今日のこと"
    affirmation = _pick(
        (
            "「{q}」と、出来事を自分の言葉で書き留められていますね。",
            "「{q}」という一日を、しっかり振り返れています。",
            "「{q}」と書けたこと自体が、大事な記録です。",
        ),
        seed,
        0,
    ).format(q=r.quote)
    if r.change:
        insight = f"「{r.change}」と、もう自分で変化を起こしているのが伝わってきます。"
        question = f"「{r.change}」を続けるうえで、いちばん効いている工夫は何ですか？"
        action = f"「{r.change}」から気づいた変化を、今夜一行だけメモに残しておきましょう。"
    elif r.obstacle:
        insight = f"「{r.obstacle}」と、うまくいかなかったところまで正直に書けていて、次に活かす手がかりになります。"
        question = _pick(
            (
                f"「{r.obstacle}」を一歩前に進めるとしたら、何があると助けになりそうですか？",
                f"次に「{topic}」の場面が来たら、どこを少し変えてみたいですか？",
            ),
            seed,
            1,
        )
        action = f"「{topic}」について、次に試したいことを一つだけ書き出しておきましょう。"
    elif r.feeling:
        insight = f"「{r.feeling}」という言葉から、「{topic}」が大切な時間だったことが伝わってきます。"
        question = _pick(
            (
                f"「{topic}」のどんなところが、その気持ちにつながったと思いますか？",
                f"その「{r.feeling}」気持ちを、次はどんな場面で味わいたいですか？",
            ),
            seed,
            1,
        )
        action = f"今日の「{topic}」で心が動いた瞬間を、寝る前に一行だけ書き留めておきましょう。"
    else:
        who = f"{r.person}と" if r.person else ""
        insight = f"{who}「{topic}」に向き合った一日を、丁寧に言葉にできています。"
        question = f"「{topic}」の中で、いちばん手応えを感じたのはどんな瞬間でしたか？"
        action = f"「{topic}」について、明日できる小さな一歩を一つ決めて、手帳に書いておきましょう。"
    return {"affirmation": affirmation, "insight": insight, "question": question, "next_action": action}


def _english(r: Reading, seed: int) -> dict[str, str]:
    topic = r.topic or "your day"
    affirmation = _pick(
        (
            'You put your day into your own words: "{q}"',
            'Writing down "{q}" is a record worth keeping.',
            'You looked back carefully: "{q}"',
        ),
        seed,
        0,
    ).format(q=r.quote)
    if r.change:
        insight = f'You have already made a change ("{r.change}"), and it shows.'
        question = f'What helps you most to keep "{r.change}" going?'
        # no verb is cut out of the member's clause: "I set up reminders" gave "since you i it"
        action = f'Tonight, write one line about what has changed since "{r.change}".'
    elif r.obstacle:
        insight = f'You were honest about what was hard ("{r.obstacle}"), which gives you something to work with.'
        question = f"Next time {topic} comes up, what is one thing you would do a little differently?"
        action = f"Write down one small thing to try with {topic} this week."
    elif r.feeling:
        insight = f'"{r.feeling}" shows how much {topic} meant to you.'
        question = f"What about {topic} made you feel that way?"
        action = f"Before bed, note one moment from {topic} that you want to remember."
    else:
        insight = f"You took the time to reflect on {topic} in detail."
        question = f"What part of {topic} felt most worthwhile?"
        action = f"Pick one small next step for {topic} and put it in your calendar for tomorrow."
    return {"affirmation": affirmation, "insight": insight, "question": question, "next_action": action}

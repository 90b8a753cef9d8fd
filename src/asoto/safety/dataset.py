"""Builds the risk dataset (``asoto/evals/datasets/risk``) from its hand-written sources.

The sources (``sources/*.txt``) are texts written by hand from many angles, one per line,
under ``# category:``/``# label:`` and ``# <subtype> <lang>`` headers. The build adds the
spelling sub-types people really use (katakana, half-width, spacing, elongation, emoji,
typos, look-alike substitutions, leet) and buries texts inside ordinary logs, each variant
derived deterministically from one source text.

**The split is by source text:** a source text and every variant made from it land in the same
split, and a buried text's ordinary context comes only from texts of its own split, so nothing
of a test item is ever seen in training. Within each stratum (category × subtype × language),
texts are ordered by a keyed hash and every fourth goes to ``test`` (25 %). ``test.jsonl`` is
frozen: its SHA-256 is pinned in the dataset README and checked by the tests; the trainer reads
only ``train.jsonl``.

Run ``python -m asoto.safety.dataset`` to rebuild both files (byte-for-byte the same output).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from asoto.safety.normalize import sentences

DATASET_DIR = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "risk"
SOURCES = DATASET_DIR / "sources"
SPLIT_KEY = "asoto-risk-split-v1"
TEST_EVERY = 4  # one in four of each stratum is test
# The same share of spelling variants for every kind, so odd spelling is no cue to risk by itself.
SPELLING_SHARE = 0.5


@dataclass(frozen=True)
class Item:
    id: str
    group: str
    text: str
    label: str  # a category, or "none"
    kind: str  # risky | hard_negative | everyday | assistant (what an AI coach says)
    subtype: str
    lang: str  # ja | en | mixed
    variant: str  # "authored" or the augmentation that made it
    split: str = ""

    @property
    def risky(self) -> bool:
        return self.label != "none"


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def read_sources(folder: Path = SOURCES) -> list[Item]:
    """Every hand-written text, in file order."""
    items: list[Item] = []
    for path in sorted(folder.glob("*.txt")):
        label = kind = subtype = lang = ""
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line:
                continue
            if line.startswith("# category:"):
                label, kind = line.split(":", 1)[1].strip(), "risky"
            elif line.startswith("# label:"):
                label, kind = "none", ""
            elif line.startswith("# "):
                head = line[2:].split()
                subtype = head[0]
                lang = head[1] if len(head) > 1 else "mixed"
                if label == "none":
                    kind = (
                        "everyday"
                        if "everyday" in subtype
                        else "assistant"
                        if subtype.startswith("assistant")
                        else "hard_negative"
                    )
            else:
                if not (label and kind and subtype):
                    raise ValueError(f"{path.name}: text before its headers: {line[:30]}")
                group = _hash("source", line)[:12]
                items.append(Item(group, group, line, label, kind, subtype, lang, "authored"))
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"duplicate source text: {item.text}")
        seen.add(item.id)
    return items


def assign_splits(items: list[Item]) -> list[Item]:
    strata: dict[tuple[str, str, str], list[Item]] = defaultdict(list)
    for item in items:
        strata[(item.label, item.subtype, item.lang)].append(item)
    split: dict[str, str] = {}
    for members in strata.values():
        ordered = sorted(members, key=lambda i: _hash(SPLIT_KEY, i.id))
        for index, item in enumerate(ordered):
            split[item.id] = "test" if index % TEST_EVERY == 1 else "train"
    return [replace(i, split=split[i.id]) for i in items]


# --- spelling variants -------------------------------------------------------------------

_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
_EMOJI_SAD = "😢😭🥲😞😔💔🙃😣"
_EMOJI_RISK = "🔪💊🩸💀🪦"
_EMOJI_PLAIN = "✨👍😊🙏🏃‍♀️🍜📚☕"


def katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def half_width(text: str) -> str:
    out = []
    for c in katakana(text):
        base = unicodedata.normalize("NFD", c)
        if base[0] in _HALF:
            out.append(_HALF[base[0]] + ("ﾞ" if "\u3099" in base else "ﾟ" if "\u309a" in base else ""))
        else:
            out.append(c)
    return "".join(out)


def _middle(text: str, rng: random.Random) -> tuple[int, int]:
    n = len(text)
    start = rng.randrange(0, max(1, n // 2))
    return start, min(n, start + max(3, n // 3))


def _spacing(text: str, rng: random.Random, *, latin: bool = False) -> str:
    if latin:  # one word spelled out: "k i l l"
        words = text.split()
        i = max(range(len(words)), key=lambda j: (len(words[j]), rng.random()))
        words[i] = " ".join(words[i])
        return " ".join(words)
    a, b = _middle(text, rng)
    gap = rng.choice([" ", "　", "・"])
    return text[:a] + gap.join(text[a:b]) + text[b:]


def _elongate(text: str, rng: random.Random) -> str:
    body = text.rstrip("。.!！?？")
    return body + rng.choice(["〜〜〜", "ーーー", "……", "ぁぁぁ", "!!!", "。。。"])


def _emoji(text: str, rng: random.Random, *, risky: bool) -> str:
    pool = _EMOJI_SAD + (_EMOJI_RISK if risky else _EMOJI_PLAIN)
    marks = "".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.5:
        return text + marks
    cut = rng.randrange(1, max(2, len(text)))
    return text[:cut] + marks + text[cut:]


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 6:
        return text + text[-1]
    i = rng.randrange(1, len(text) - 2)
    choice = rng.randrange(3)
    if choice == 0:
        return text[:i] + text[i + 1 :]  # a dropped character
    if choice == 1:
        return text[:i] + text[i] + text[i:]  # a doubled one
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # two swapped


_LOOKALIKES = (("死", "タヒ"), ("殺", "〇"), ("消え", "きえ"), ("自殺", "自〇"), ("リスカ", "ﾘｽｶ"), ("ね", "ネ"))


def _lookalike(text: str, rng: random.Random) -> str:
    found = [(a, b) for a, b in _LOOKALIKES if a in text]
    if not found:
        return _spacing(text, rng)
    a, b = rng.choice(found)
    return text.replace(a, b)


_LEET = str.maketrans({"e": "3", "i": "1", "o": "0", "a": "@"})


def _leet(text: str, rng: random.Random) -> str:
    words = text.split()
    for i in rng.sample(range(len(words)), k=max(1, len(words) // 3)):
        words[i] = words[i].translate(_LEET)
    return " ".join(words)


def _casual(text: str, rng: random.Random) -> str:
    plain = re.sub(r"[.,!?']", "", text.lower())
    return plain + rng.choice(["", " lol", " idk", " tbh", " rn"])


JA_SPELLINGS = ("katakana", "half_width", "spacing", "elongation", "emoji", "typo", "lookalike")
EN_SPELLINGS = ("leet", "casual", "spacing", "emoji", "typo", "shout")


def spelling_variant(item: Item, rng: random.Random) -> tuple[str, str]:
    text = item.text
    if item.lang == "en":
        name = rng.choice(EN_SPELLINGS)
        out = {
            "leet": lambda: _leet(text, rng),
            "casual": lambda: _casual(text, rng),
            "spacing": lambda: _spacing(text, rng, latin=True),
            "emoji": lambda: _emoji(text, rng, risky=item.risky),
            "typo": lambda: _typo(text, rng),
            "shout": lambda: text.upper(),
        }[name]()
    else:
        name = rng.choice(JA_SPELLINGS)
        out = {
            "katakana": lambda: katakana(text),
            "half_width": lambda: half_width(text),
            "spacing": lambda: _spacing(text, rng),
            "elongation": lambda: _elongate(text, rng),
            "emoji": lambda: _emoji(text, rng, risky=item.risky),
            "typo": lambda: _typo(text, rng),
            "lookalike": lambda: _lookalike(text, rng),
        }[name]()
    return name, out


# --- buried texts and long ordinary logs ---------------------------------------------------


def _context_pool(items: Iterable[Item]) -> dict[tuple[str, str], list[str]]:
    """Ordinary sentences by (split, language), from the everyday texts only."""
    pool: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        if item.kind == "everyday" and item.variant == "authored":
            pool[(item.split, "en" if item.lang == "en" else "ja")].extend(sentences(item.text))
    return pool


_ENDS = ("。", "！", "？", "!", "?", ".", "…", "）", ")")


def _join(parts: list[str], lang: str) -> str:
    """Sentences as one log; a part without an end mark ends its line, as people write."""
    if lang == "en":
        return " ".join(parts)
    return "".join(p if p.endswith(_ENDS) else p + "\n" for p in parts).rstrip("\n")


def bury(item: Item, pool: list[str], rng: random.Random) -> str:
    context = rng.sample(pool, k=rng.randint(2, 4))
    context.insert(rng.randint(1, len(context)), item.text)
    return _join(context, item.lang)


def _variant(item: Item, text: str, name: str) -> Item:
    vid = _hash("variant", item.id, name, text)[:12]
    return replace(item, id=vid, text=text, variant=name)


def augment(items: list[Item]) -> Iterator[Item]:
    pool = _context_pool(items)
    for item in items:
        yield item
        rng = random.Random(_hash("augment", item.id))
        lang = "en" if item.lang == "en" else "ja"
        context = pool[(item.split, lang)]
        if item.kind == "risky" and item.subtype != "buried":
            yield _variant(item, bury(item, context, rng), "buried")
            if rng.random() < SPELLING_SHARE:
                name, text = spelling_variant(item, rng)
                if text != item.text:
                    yield _variant(item, text, f"spelling:{name}")
        elif item.kind == "hard_negative":
            if rng.random() < 0.4:
                yield _variant(item, bury(item, context, rng), "buried")
            if rng.random() < SPELLING_SHARE:
                name, text = spelling_variant(item, rng)
                if text != item.text:
                    yield _variant(item, text, f"spelling:{name}")
        elif item.kind == "everyday":
            if rng.random() < 0.8:
                others = [s for s in context if s not in item.text]
                parts = [item.text, *rng.sample(others, k=rng.randint(2, 4))]
                yield _variant(item, _join(parts, lang), "long_log")
            if rng.random() < SPELLING_SHARE:
                name, text = spelling_variant(item, rng)
                if text != item.text:
                    yield _variant(item, text, f"spelling:{name}")


def build(folder: Path = DATASET_DIR) -> dict[str, list[Item]]:
    authored = assign_splits(read_sources(folder / "sources"))
    splits: dict[str, list[Item]] = {"train": [], "test": []}
    seen: set[str] = set()
    for item in augment(authored):
        if item.text in seen:
            continue
        seen.add(item.text)
        splits[item.split].append(item)
    return splits


def write(splits: dict[str, list[Item]], folder: Path = DATASET_DIR) -> dict[str, str]:
    digests = {}
    for name, items in splits.items():
        lines = [json.dumps(asdict(i), ensure_ascii=False, sort_keys=True) for i in items]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        (folder / f"{name}.jsonl").write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def build_holdout(folder: Path = DATASET_DIR) -> list[Item]:
    """The holdout: member-style logs written after the model was trained, never augmented and
    never used to train or tune; scored beside the test split as a second look at new text."""
    return [replace(i, split="holdout") for i in read_sources(folder / "holdout")]


def load(split: str, folder: Path = DATASET_DIR) -> list[Item]:
    path = folder / f"{split}.jsonl"
    return [Item(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    splits = {**build(), "holdout": build_holdout()}
    for name, digest in write(splits).items():
        items = splits[name]
        risky = sum(i.risky for i in items)
        print(f"{name}: {len(items)} items, {risky} risky, sha256 {digest}")


if __name__ == "__main__":
    main()

"""The last look at an AI output before it can reach a member: does it repeat the engine's own
instructions or carry a secret?

Prompt injection in a log, a reply or a database row can ask the model to print its system
prompt or the keys it runs with. The prompts tell the model that member text is data, not
instructions, but a model may still obey; so outputs are checked here, by what they contain,
whatever the model was told. A hit never publishes: the flow sends the output to a person.

- **Instructions:** any run of ``WINDOW`` characters (NFKC, case folded, letters and digits only) that
  occurs in the literal text of an instruction prompt, outside the runs the output shares with
  the member's own text (quoting the member is the feedback's job).
- **Secrets:** any configured secret value (provider keys, the webhook secret, the database
  password), however the output spaces it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from asoto import prompts

WINDOW = 24
QUOTE = 8
INSTRUCTION_PROMPTS = (
    "feedback_system",
    "feedback_care",
    "feedback_redraft",
    "coach_system",
    "coach_summary",
    "match_explain",
    "risk_system",
    "judge_system",
    "judge_log_feedback",
)
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_NOT_WORD = re.compile(r"[\W_]+")
MIN_SECRET_CHARS = 8


def fold(text: str) -> str:
    """Letters and digits only: spacing, punctuation and quotes never hide or fake a match."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).casefold()


@cache
def _instruction_windows() -> frozenset[str]:
    windows: set[str] = set()
    for locale in ("ja", "en"):
        for name in INSTRUCTION_PROMPTS:
            for literal in _PLACEHOLDER.split(prompts.load(name, locale)):
                folded = fold(literal)
                windows.update(folded[i : i + WINDOW] for i in range(len(folded) - WINDOW + 1))
    return frozenset(windows)


def leaks(output: str, *, source: str = "", secrets: Iterable[str] = ()) -> list[str]:
    """Reasons the output must not reach a member: ``instructions_leaked``, ``secret_leaked``."""
    folded = fold(output)
    found: list[str] = []
    known = _instruction_windows()
    if any(
        segment[i : i + WINDOW] in known
        for segment in _unquoted(folded, fold(source))
        for i in range(len(segment) - WINDOW + 1)
    ):
        found.append("instructions_leaked")
    if any(len(s) >= MIN_SECRET_CHARS and fold(s) in folded for s in secrets):
        found.append("secret_leaked")
    return found


def _unquoted(folded: str, own: str) -> list[str]:
    """The output with every run it shares with the member's text (``QUOTE`` characters or more)
    cut out: a window of instructions must lie wholly in the model's own words."""
    covered = [False] * len(folded)
    for i in range(len(folded) - QUOTE + 1):
        if folded[i : i + QUOTE] in own:
            covered[i : i + QUOTE] = [True] * QUOTE
    segments: list[str] = []
    current: list[str] = []
    for char, quoted in zip(folded, covered, strict=True):
        if quoted:
            if current:
                segments.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        segments.append("".join(current))
    return segments


ISSUE_TEXT = {
    "instructions_leaked": "the output repeats the assistant's instructions",
    "secret_leaked": "the output contains a secret",
}

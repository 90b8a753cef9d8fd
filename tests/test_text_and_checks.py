"""Unicode-safe text helpers and the feedback quality check."""

from __future__ import annotations

from asoto.tools.feedback_check import check_feedback
from asoto.tools.text import clip, has_forbidden_control, language_of, quote_of

from .conftest import GOOD_DRAFT


def test_quote_takes_the_first_sentence_of_the_members_words() -> None:
    assert quote_of("今朝は走った。そのあと仕事。") == "今朝は走った"
    assert quote_of("I ran today. Then work.") == "I ran today."


def test_clip_keeps_latin_words_whole() -> None:
    assert clip("I went for a long morning run today", 20) == "I went for a long…"


def test_clip_never_splits_a_zwj_emoji_or_combining_mark() -> None:
    family = "👨\u200d👩\u200d👧"
    text = "あ" * 5 + family + "い" * 5
    for limit in range(1, len(text)):
        clipped = clip(text, limit).rstrip("…")
        assert not clipped.endswith("\u200d")
    combining = "か\u3099" * 10  # が as base + combining dakuten
    assert all(not clip(combining, n).rstrip("…").endswith("か") or n % 2 == 0 for n in range(1, 20))


def test_language_detection_and_control_characters() -> None:
    assert language_of("今日は良い日でした") == "ja"
    assert language_of("It was a good day") == "en"
    assert has_forbidden_control("a\x00b")
    assert has_forbidden_control("a\x07b")
    assert not has_forbidden_control("改行\nとタブ\tは可")


def test_a_good_draft_passes() -> None:
    assert check_feedback(GOOD_DRAFT, "ja") == []


def test_each_kind_of_bad_draft_is_named() -> None:
    assert check_feedback({**GOOD_DRAFT, "question": ""}, "ja") == ["question is empty"]
    assert "question does not end with a question mark" in check_feedback(
        {**GOOD_DRAFT, "question": "理由を考えてみましょう。"}, "ja"
    )
    assert "affirmation is longer than 200 characters" in check_feedback(
        {**GOOD_DRAFT, "affirmation": "あ" * 201}, "ja"
    )
    english = {
        "affirmation": "Great job.",
        "insight": "You noticed a lot today, well done.",
        "question": "What helped you most?",
        "next_action": "Walk ten minutes tomorrow morning.",
    }
    assert "feedback is not written in Japanese" in check_feedback(english, "ja")
    assert check_feedback(english, "en") == []

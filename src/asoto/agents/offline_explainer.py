"""The offline match explainer: names the real shared interests, the complementary element and
wanted skills. It states nothing that is not in the facts it was given."""

from __future__ import annotations

from typing import Any

from asoto.tools.interests import display_all

LABEL = {
    "ja": {"relationship": "関係性", "activity": "多動性", "sensitivity": "感受性"},
    "en": {"relationship": "relationship", "activity": "activity", "sensitivity": "sensitivity"},
}
GAP = 20  # a candidate "is strong where you are weak" when at least this many points higher


def complementary_element(member: dict[str, int], candidate: dict[str, int]) -> str | None:
    gaps = {e: candidate[e] - member[e] for e in member}
    best = max(gaps, key=lambda e: (gaps[e], e))
    return best if gaps[best] >= GAP else None


def explain(facts: dict[str, Any]) -> dict[str, str]:
    lang = "en" if str(facts.get("locale", "ja")).startswith("en") else "ja"
    member, candidate = facts["member"], facts["candidate"]
    if "wanted_skills" in candidate:
        skills = [s for s in candidate["wanted_skills"] if s in member.get("skills", [])]
        if lang == "ja":
            return {
                "explanation": f"「{candidate['name']}」は{'、'.join(skills)}のスキルを求めていて、"
                "あなたの経験が活かせます。"
            }
        return {"explanation": f'"{candidate["name"]}" wants {", ".join(display_all(skills, "en"))}, skills you have.'}
    shared = [i for i in member["interests"] if i in candidate["interests"]]
    element = complementary_element(member["scores"], candidate["scores"])
    parts = []
    if lang == "ja":
        if shared:
            parts.append(f"{candidate['name']}さんとは{'、'.join(shared)}に共通の関心があります。")
        if element:
            parts.append(
                f"{LABEL['ja'][element]}のスコアが高い方なので、あなたの{LABEL['ja'][element]}を伸ばすきっかけになりそうです。"
            )
        if not parts:
            parts.append(f"{candidate['name']}さんとは、書いているログや関心の方向が近い方です。")
    else:
        if shared:
            parts.append(f"You and {candidate['name']} share an interest in {', '.join(display_all(shared, 'en'))}.")
        if element:
            parts.append(f"They score high in {LABEL['en'][element]}, which could help you grow yours.")
        if not parts:
            parts.append(f"{candidate['name']} writes and cares about things close to you.")
    return {"explanation": "".join(parts) if lang == "ja" else " ".join(parts)}

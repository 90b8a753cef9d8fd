"""The risk categories the gate names, in the order reasons are reported."""

from __future__ import annotations

from typing import Literal

RiskCategory = Literal[
    "suicidal",
    "self_harm",
    "overdose",
    "abuse",
    "threat",
    "eating_disorder",
    "severe_distress",
    "harassment",
]

CATEGORIES: tuple[RiskCategory, ...] = (
    "suicidal",
    "self_harm",
    "overdose",
    "abuse",
    "threat",
    "eating_disorder",
    "severe_distress",
    "harassment",
)

# The reason a text is held when a required check could not run (fail closed).
RISK_UNAVAILABLE = "risk_check_unavailable"

LABELS = {
    "ja": {
        "suicidal": "希死念慮・自殺",
        "self_harm": "自傷",
        "overdose": "過量服薬",
        "abuse": "家庭内の暴力・虐待",
        "threat": "他者への危害",
        "eating_disorder": "摂食障害",
        "severe_distress": "強い苦痛・燃え尽き・抑うつ",
        "harassment": "ハラスメント",
        RISK_UNAVAILABLE: "リスク判定が利用できない",
    },
    "en": {
        "suicidal": "suicidal thoughts",
        "self_harm": "self-harm",
        "overdose": "overdose",
        "abuse": "abuse or violence at home",
        "threat": "threats to others",
        "eating_disorder": "eating disorder",
        "severe_distress": "severe distress, burnout or depression",
        "harassment": "harassment",
        RISK_UNAVAILABLE: "risk check unavailable",
    },
}

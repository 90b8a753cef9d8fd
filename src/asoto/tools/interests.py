"""Interest and skill names in the member's language. The community stores them in Japanese
(as members chose them); an English-speaking member reads them in English."""

from __future__ import annotations

from collections.abc import Sequence

EN = {
    "AI": "AI",
    "Python": "Python",
    "Webデザイン": "web design",
    "イベント運営": "event planning",
    "イラスト": "illustration",
    "カフェ巡り": "café hopping",
    "キャリア": "careers",
    "デザイン": "design",
    "データ分析": "data analysis",
    "プログラミング": "programming",
    "ボランティア": "volunteering",
    "マーケティング": "marketing",
    "ヨガ": "yoga",
    "ランニング": "running",
    "保育": "childcare",
    "健康指導": "health coaching",
    "写真": "photography",
    "写真撮影": "photo shoots",
    "副業": "side projects",
    "動画編集": "video editing",
    "哲学": "philosophy",
    "営業": "sales",
    "地域活動": "community work",
    "子育て": "parenting",
    "家庭菜園": "home gardening",
    "家族旅行": "family travel",
    "広報": "public relations",
    "教育": "education",
    "料理": "cooking",
    "映画": "films",
    "栄養": "nutrition",
    "環境": "the environment",
    "発酵食品": "fermented food",
    "登山": "hiking",
    "筋トレ": "strength training",
    "経理": "accounting",
    "絵本": "picture books",
    "翻訳": "translation",
    "英語学習": "learning English",
    "読書": "reading",
    "講師": "teaching",
    "資格勉強": "studying for certifications",
    "起業": "starting a business",
    "防災": "disaster preparedness",
    "音楽": "music",
}


def display(name: str, locale: str) -> str:
    """The name as this member reads it (unknown names stay as stored)."""
    return EN.get(name, name) if locale.startswith("en") else name


def display_all(names: Sequence[str], locale: str) -> list[str]:
    return [display(n, locale) for n in names]

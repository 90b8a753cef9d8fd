"""A realistic, deterministic Japanese coaching community for the demo, tests and evals.

``seed_community(session, embedder, seed=7)`` creates members in eight interest clusters
with varied (often complementary) element scores, their goals and steps, reflection logs
written from theme fragments in the members' own voice, events with participations,
projects wanting skills, connections (mostly within a cluster), and comments. The same
``seed`` gives the same people, texts and ties; timestamps are relative to ``now``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.agents.embeddings import Embedder
from asoto.persistence.models import (
    Comment,
    Connection,
    Event,
    EventParticipation,
    Goal,
    Log,
    Member,
    Project,
    ProjectMember,
    Step,
)
from asoto.tools import members as members_tool
from asoto.tools import scoring

FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
]
GIVEN = [
    "陽菜",
    "蓮",
    "結衣",
    "湊",
    "葵",
    "大翔",
    "凛",
    "悠真",
    "さくら",
    "樹",
    "美咲",
    "颯太",
    "ひかり",
    "拓海",
    "真央",
    "健太",
    "彩",
    "翔",
    "優奈",
    "直樹",
    "千尋",
    "亮",
    "麻衣",
    "誠",
]
EN_NAMES = [
    "Emma Clark",
    "Liam Baker",
    "Olivia Reed",
    "Noah Hayes",
    "Ava Brooks",
    "Lucas Grant",
    "Mia Foster",
    "Ethan Cole",
    "Sofia Lane",
    "James Ward",
]

CLUSTERS: dict[str, dict[str, Any]] = {
    "movement": {
        "interests": ["ランニング", "ヨガ", "筋トレ", "登山"],
        "skills": ["イベント運営", "健康指導"],
        "theme": "exercise",
        "label": "運動と体づくり",
    },
    "learning": {
        "interests": ["読書", "英語学習", "資格勉強", "哲学"],
        "skills": ["翻訳", "講師"],
        "theme": "study",
        "label": "学びと読書",
    },
    "tech": {
        "interests": ["プログラミング", "AI", "データ分析", "デザイン"],
        "skills": ["Python", "Webデザイン", "データ分析"],
        "theme": "work",
        "label": "テクノロジー",
    },
    "food": {
        "interests": ["料理", "発酵食品", "カフェ巡り", "家庭菜園"],
        "skills": ["料理", "栄養"],
        "theme": "health",
        "label": "食と暮らし",
    },
    "family": {
        "interests": ["子育て", "教育", "絵本", "家族旅行"],
        "skills": ["保育", "教育"],
        "theme": "family",
        "label": "子育てと家族",
    },
    "career": {
        "interests": ["起業", "マーケティング", "キャリア", "副業"],
        "skills": ["マーケティング", "営業", "経理"],
        "theme": "work",
        "label": "キャリアと起業",
    },
    "art": {
        "interests": ["音楽", "写真", "イラスト", "映画"],
        "skills": ["写真撮影", "イラスト", "動画編集"],
        "theme": "friends",
        "label": "アートと表現",
    },
    "community": {
        "interests": ["地域活動", "ボランティア", "環境", "防災"],
        "skills": ["イベント運営", "広報"],
        "theme": "friends",
        "label": "地域とつながり",
    },
}

SITUATIONS: dict[str, list[str]] = {
    "exercise": [
        "今朝は{n}キロ走った",
        "仕事帰りにヨガのクラスに参加した",
        "久しぶりにジムで筋トレをした",
        "週末に仲間と山に登った",
        "一駅手前で降りて歩いて帰った",
    ],
    "study": [
        "寝る前に{n}ページ本を読んだ",
        "通勤中に英単語アプリで勉強した",
        "資格試験の過去問を{n}問解いた",
        "オンライン講座の課題を提出した",
        "哲学の読書会で感想を話した",
    ],
    "work": [
        "会議で自分の意見を言えた",
        "上司にプロジェクトの相談をした",
        "締め切りに追われて残業した",
        "新しいツールをチームに紹介した",
        "プレゼンの準備に{n}時間かけた",
    ],
    "health": [
        "野菜中心の夕食を作った",
        "発酵食品を取り入れて{n}日目になった",
        "家庭菜園でトマトを収穫した",
        "間食を控えようとしたが夜にお菓子を食べた",
        "新しいカフェで朝ごはんを食べた",
    ],
    "family": [
        "子どもと公園で{n}時間遊んだ",
        "家族で夕食を囲んで話した",
        "子どもに絵本を読み聞かせた",
        "夫と家事の分担を話し合った",
        "実家の母に電話した",
    ],
    "friends": [
        "コミュニティのイベントで初めての人と話した",
        "友人と久しぶりに会った",
        "地域の清掃活動に参加した",
        "写真展を見に行って仲間と感想を話した",
        "ボランティアの打ち合わせに出た",
    ],
    "sleep": ["昨夜は{n}時間しか眠れなかった", "早めに布団に入った", "夜中に目が覚めてしまった"],
    "money": ["家計簿を{n}日続けた", "衝動買いをしてしまった", "固定費を見直した"],
}
FEELINGS = {
    "positive": [
        "気分がすっきりした",
        "少し自信がついた",
        "とても楽しかった",
        "自分を褒めたいと思った",
        "小さな達成感があった",
        "ありがたいと感じた",
    ],
    "negative": [
        "思ったより疲れてしまった",
        "うまくできず悔しかった",
        "少し落ち込んだ",
        "焦りを感じた",
        "自分の弱さに気づいた",
    ],
    "neutral": ["いつも通りの一日だった", "淡々とこなした", "特に大きな変化はなかった"],
}
INSIGHTS = [
    "続けることの大切さに気づいた",
    "人と話すと考えが整理されると感じた",
    "完璧を目指さなくていいと思った",
    "自分のペースを大事にしたい",
    "小さな一歩でも前に進めると学んだ",
    "",
    "",
    "",
]
INTENTIONS = [
    "明日も続けたい",
    "次は友人を誘ってみたい",
    "来週は時間を決めて取り組みたい",
    "もう少し早く寝たい",
    "次のイベントにも参加したい",
    "",
    "",
]
TITLES = {
    "exercise": ["朝ラン", "ヨガの日", "体を動かした", "山登り"],
    "study": ["読書記録", "今日の勉強", "学びのメモ"],
    "work": ["仕事の振り返り", "会議のこと", "プロジェクト"],
    "health": ["今日のごはん", "食生活", "菜園日記"],
    "family": ["家族の時間", "子どもと", "週末"],
    "friends": ["つながり", "イベント参加", "仲間と"],
    "sleep": ["睡眠", "夜のこと"],
    "money": ["お金のこと", "家計"],
}
EN_SITUATIONS = [
    "I went for a {n} km run this morning",
    "I joined a community event and met new people",
    "I read {n} pages before bed",
    "I spoke up in the team meeting",
    "I cooked a healthy dinner",
]
EN_FEELINGS = ["and felt great", "and felt a bit tired", "and I was proud of myself", "but I felt frustrated"]
EVENT_TITLES = [
    "朝ランの会",
    "読書会",
    "もくもく勉強会",
    "発酵食品ワークショップ",
    "親子ピクニック",
    "起業家ミートアップ",
    "写真散歩",
    "地域清掃ボランティア",
    "ヨガ体験会",
    "AI勉強会",
]
PROJECT_TITLES = [
    ("地域の防災マップづくり", ["広報", "データ分析", "イベント運営"]),
    ("子ども向けプログラミング教室", ["Python", "教育", "講師"]),
    ("コミュニティの写真集制作", ["写真撮影", "Webデザイン", "イラスト"]),
    ("発酵食品マルシェ", ["料理", "マーケティング", "イベント運営"]),
    ("英語で話す読書会の立ち上げ", ["翻訳", "講師", "広報"]),
    ("メンバー向けランニングアプリ", ["Python", "データ分析", "Webデザイン"]),
    ("親子の絵本よみきかせ会", ["保育", "教育", "イラスト"]),
    ("副業スタートアップ相談会", ["営業", "経理", "マーケティング"]),
]


@dataclass
class SeedReport:
    members: int = 0
    logs: int = 0
    events: int = 0
    participations: int = 0
    projects: int = 0
    connections: int = 0
    goals: int = 0
    steps: int = 0
    comments: int = 0
    clusters: dict[str, list[str]] = field(default_factory=dict)


def _log_text(rng: random.Random, theme: str, english: bool) -> tuple[str, str]:
    n = rng.randint(2, 10)
    if english:
        body = f"{rng.choice(EN_SITUATIONS).format(n=n)} {rng.choice(EN_FEELINGS)}. I want to keep going tomorrow."
        return rng.choice(["Morning", "Today", "Reflection", "Small win"]), body
    tone = rng.choices(["positive", "negative", "neutral"], weights=[5, 3, 2])[0]
    parts = [f"{rng.choice(SITUATIONS[theme]).format(n=n)}。", f"{rng.choice(FEELINGS[tone])}。"]
    for pool in (INSIGHTS, INTENTIONS):
        extra = rng.choice(pool)
        if extra:
            parts.append(f"{extra}。")
    return rng.choice(TITLES[theme]), "".join(parts)


# Scores count the last 30 days (and the 30 before, for trends). A row drawn exactly on such an
# edge would leave the window seconds after seeding and move a member's score for no reason, so
# draws within a day and a half of 30 or 60 days are pushed off the edge.
_EDGES = (30, 60)
_MARGIN_DAYS = 1.5


def _ago(rng: random.Random, low: int, high: int, *, minutes: bool = False) -> timedelta:
    days = rng.randint(low, high) + (rng.randint(0, 1439) / 1440 if minutes else 0.0)
    for edge in _EDGES:
        if abs(days - edge) < _MARGIN_DAYS:
            days = edge - 2 if days < edge else edge + 2
    return timedelta(days=days)


async def seed_community(
    session: AsyncSession,
    embedder: Embedder,
    *,
    seed: int = 7,
    members: int = 200,
    logs_per_member: int = 6,
    now: datetime | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> SeedReport:
    """``on_stage`` hears each step as it starts (the command prints them: a large community takes
    a minute, mostly embedding, and used to say nothing meanwhile)."""
    stage = on_stage or (lambda _: None)
    rng = random.Random(seed)
    now = now or datetime.now().astimezone()
    report = SeedReport()
    ns = uuid.UUID(int=seed)
    cluster_names = list(CLUSTERS)

    people: list[dict[str, Any]] = []
    for i in range(members):
        cluster = cluster_names[i % len(cluster_names)]
        info = CLUSTERS[cluster]
        english = i % 20 == 19
        name = (
            EN_NAMES[(i // 20) % len(EN_NAMES)]
            if english
            else f"{FAMILY[rng.randrange(len(FAMILY))]} {GIVEN[rng.randrange(len(GIVEN))]}"
        )
        interests = rng.sample(info["interests"], k=rng.randint(2, 3))
        if rng.random() < 0.3:
            other = CLUSTERS[rng.choice(cluster_names)]["interests"]
            interests.append(rng.choice(other))
        interests = list(dict.fromkeys(interests))
        skills = rng.sample(info["skills"], k=min(len(info["skills"]), rng.randint(1, 2)))
        profile = (
            f"I am {name}. I love {', '.join(interests)} and want to grow with the community."
            if english
            else f"{name}です。{'、'.join(interests)}に関心があります。{info['label']}の仲間と一緒に成長したいです。"
        )
        people.append(
            {
                "id": uuid.uuid5(ns, f"member:{i}"),
                "name": name,
                "profile": profile,
                "interests": interests,
                "skills": skills,
                "locale": "en" if english else "ja",
                "cluster": cluster,
                "match_opt_in": rng.random() < 0.4,
                "weekly_checkin": i % 4 == 1,  # a quarter opt in (not drawn: the rest of the seed stays as it was)
                "active": rng.random() > 0.05,
                "last_active_at": now - timedelta(days=rng.randint(0, 40)),
                "created_at": now - timedelta(days=rng.randint(60, 400)),
            }
        )
        report.clusters.setdefault(cluster, []).append(str(people[-1]["id"]))

    texts = [p["profile"] for p in people]
    stage(f"embedding {len(texts)} member profiles")
    vecs = await embedder.embed(texts)
    member_rows = [
        {k: v for k, v in p.items() if k != "cluster"} | {"embedding": vec, "embedding_model": embedder.model_id}
        for p, vec in zip(people, vecs, strict=True)
    ]
    await session.execute(insert(Member), member_rows)
    report.members = len(member_rows)

    ids = [p["id"] for p in people]
    by_cluster: dict[str, list[uuid.UUID]] = {}
    for p in people:
        by_cluster.setdefault(p["cluster"], []).append(p["id"])

    # logs
    log_rows: list[dict[str, Any]] = []
    for p in people:
        theme = CLUSTERS[p["cluster"]]["theme"]
        for j in range(rng.randint(logs_per_member - 2, logs_per_member + 2)):
            t = theme if rng.random() < 0.65 else rng.choice(list(SITUATIONS))
            title, content = _log_text(rng, t, p["locale"] == "en")
            log_rows.append(
                {
                    "id": uuid.uuid5(ns, f"log:{p['id']}:{j}"),
                    "member_id": p["id"],
                    "title": title,
                    "content": content,
                    "signals": scoring.log_signals(f"{title}\n{content}"),
                    "feedback_status": "none",
                    "created_at": now - _ago(rng, 0, 59, minutes=True),
                }
            )
    stage(f"embedding {len(log_rows)} reflection logs")
    vecs = await embedder.embed([f"{r['title']}\n{r['content']}" for r in log_rows])
    for row, vec in zip(log_rows, vecs, strict=True):
        row["embedding"], row["embedding_model"] = vec, embedder.model_id
    await session.execute(insert(Log), log_rows)
    report.logs = len(log_rows)

    # goals and steps
    stage("goals and steps")
    goal_rows, step_rows = [], []
    for p in people:
        for g in range(rng.randint(1, 2)):
            gid = uuid.uuid5(ns, f"goal:{p['id']}:{g}")
            goal_rows.append(
                {
                    "id": gid,
                    "member_id": p["id"],
                    "title": f"{rng.choice(p['interests'])}を習慣にする",
                    "description": "",
                    "status": "active",
                    "created_at": now - timedelta(days=rng.randint(20, 90)),
                }
            )
            for s in range(rng.randint(2, 4)):
                status = rng.choices(["completed", "pending", "in_progress", "skipped"], weights=[4, 3, 2, 1])[0]
                step_rows.append(
                    {
                        "id": uuid.uuid5(ns, f"step:{gid}:{s}"),
                        "goal_id": gid,
                        "member_id": p["id"],
                        "title": f"{rng.choice(p['interests'])}に{rng.randint(15, 60)}分取り組む",
                        "category": rng.choice(["relationship", "activity", "sensitivity"]),
                        "status": status,
                        "estimated_minutes": rng.choice([15, 30, 45, 60]),
                        "due_date": now + timedelta(days=rng.randint(-10, 20)),
                        "completed_at": now - _ago(rng, 0, 40) if status == "completed" else None,
                        "created_at": now - timedelta(days=rng.randint(10, 60)),
                    }
                )
    await session.execute(insert(Goal), goal_rows)
    await session.execute(insert(Step), step_rows)
    report.goals, report.steps = len(goal_rows), len(step_rows)

    # events and participations
    stage("events and participations")
    event_rows, part_rows = [], []
    for e in range(30):
        cluster = cluster_names[e % len(cluster_names)]
        eid = uuid.uuid5(ns, f"event:{e}")
        host = rng.choice(by_cluster[cluster])
        event_rows.append(
            {
                "id": eid,
                "title": f"{rng.choice(EVENT_TITLES)} #{e + 1}",
                "description": CLUSTERS[cluster]["label"],
                "host_id": host,
                "starts_at": now - _ago(rng, -14, 50),
                "capacity": 20,
            }
        )
        pool = by_cluster[cluster] + rng.sample(ids, k=5)
        for mid in set(rng.sample(pool, k=min(len(pool), rng.randint(4, 14)))):
            part_rows.append({"event_id": eid, "member_id": mid, "joined_at": now - _ago(rng, 0, 50)})
    await session.execute(insert(Event), event_rows)
    await session.execute(insert(EventParticipation), part_rows)
    report.events, report.participations = len(event_rows), len(part_rows)

    # projects
    stage("projects")
    proj_rows, pm_rows = [], []
    for k in range(20):
        title, wanted = PROJECT_TITLES[k % len(PROJECT_TITLES)]
        pid = uuid.uuid5(ns, f"project:{k}")
        description = f"{title}。{'、'.join(wanted)}のスキルを持つ仲間を募集しています。"
        proj_rows.append(
            {
                "id": pid,
                "title": f"{title}（{k // len(PROJECT_TITLES) + 1}期）",
                "description": description,
                "wanted_skills": wanted,
                "owner_id": rng.choice(ids),
                "status": "open" if rng.random() < 0.75 else "closed",
                "created_at": now - timedelta(days=rng.randint(5, 120)),
            }
        )
        for mid in set(rng.sample(ids, k=rng.randint(2, 6))):
            pm_rows.append({"project_id": pid, "member_id": mid, "joined_at": now - _ago(rng, 0, 60)})
    vecs = await embedder.embed([r["description"] for r in proj_rows])
    for row, vec in zip(proj_rows, vecs, strict=True):
        row["embedding"], row["embedding_model"] = vec, embedder.model_id
    await session.execute(insert(Project), proj_rows)
    await session.execute(insert(ProjectMember), pm_rows)
    report.projects = len(proj_rows)

    # connections (mostly within a cluster) and comments
    stage("connections and comments")
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for p in people:
        for _ in range(rng.randint(1, 4)):
            other = rng.choice(by_cluster[p["cluster"]] if rng.random() < 0.8 else ids)
            if other != p["id"]:
                pairs.add((min(p["id"], other), max(p["id"], other)))
    conn_rows = [{"member_a": a, "member_b": b, "created_at": now - _ago(rng, 0, 120)} for a, b in sorted(pairs)]
    await session.execute(insert(Connection), conn_rows)
    report.connections = len(conn_rows)
    comment_rows = []
    for row in rng.sample(log_rows, k=min(len(log_rows), 600)):
        for _ in range(rng.randint(1, 3)):
            author = rng.choice(ids)
            if author != row["member_id"]:
                comment_rows.append(
                    {
                        "id": uuid.uuid5(ns, f"comment:{row['id']}:{author}"),
                        "log_id": row["id"],
                        "author_id": author,
                        "content": rng.choice(
                            ["素敵ですね！", "私も見習いたいです。", "応援しています。", "いい気づきですね。"]
                        ),
                        "created_at": row["created_at"] + timedelta(hours=rng.randint(1, 48)),
                    }
                )
    unique_comments = list({c["id"]: c for c in comment_rows}.values())
    await session.execute(insert(Comment), unique_comments)
    report.comments = len(unique_comments)

    # scores from the same counts and pure functions the flows use
    stage("scores")
    await session.flush()
    activity = await members_tool.activity_30d_many(session, ids, now)
    for member_id, counts in activity.items():
        element = scoring.all_scores(counts)
        await session.execute(
            update(Member)
            .where(Member.id == member_id)
            .values(
                relationship_score=element["relationship"],
                activity_score=element["activity"],
                sensitivity_score=element["sensitivity"],
            )
        )
    return report


async def community_size(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Member)) or 0)

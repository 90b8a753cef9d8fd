"""Matching at 100,000 members: HNSW build time, candidate latency and recall@10 vs exact search.

Builds a synthetic community of ``--members`` members with clustered unit vectors of the real
dimension (512, the offline embedder's), loads it with binary COPY, builds the HNSW index, then
for random members measures, per ``hnsw.ef_search``:
- the candidate stage (the flow's filtered SQL) → recall@10 against exact search on the same data;
- p50/p95 of candidates + scoring + MMR (what the flow's ``rank`` node does);
and the same for exact search in numpy (brute force), so the ratios come from one run.

    python bench/matching.py [--members 100000] [--queries 200] [--m 16] [--ef-construction 64]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from sqlalchemy import select, text

from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.persistence import embedded
from asoto.persistence.models import Member
from asoto.runtime.resources import open_resources
from asoto.tools import matching

DIM = 512
INTERESTS = [
    "ランニング",
    "読書",
    "AI",
    "料理",
    "子育て",
    "起業",
    "写真",
    "地域活動",
    "英語学習",
    "ヨガ",
    "音楽",
    "防災",
]


def community(n: int, clusters: int, rng: np.random.Generator) -> np.ndarray:
    centers = rng.standard_normal((clusters, DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, n)
    vectors = centers[labels] + rng.standard_normal((n, DIM)).astype(np.float32) * 0.045
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def load(uri: str, vectors: np.ndarray, model_id: str, rng: np.random.Generator) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(len(vectors))]
    now = datetime.now(UTC)
    with psycopg.connect(uri) as conn:
        register_vector(conn)
        with (
            conn.cursor() as cur,
            cur.copy(
                "copy members (id, name, profile, interests, skills, locale, relationship_score, activity_score, "
                "sensitivity_score, points, active, match_opt_in, embedding, embedding_model, last_active_at) "
                "from stdin with (format binary)"
            ) as copy,
        ):
            copy.set_types(
                [
                    "uuid",
                    "varchar",
                    "text",
                    "varchar[]",
                    "varchar[]",
                    "varchar",
                    "int4",
                    "int4",
                    "int4",
                    "int4",
                    "bool",
                    "bool",
                    "vector",
                    "varchar",
                    "timestamptz",
                ]
            )
            scores = rng.integers(0, 101, (len(vectors), 3))
            for i, vec in enumerate(vectors):
                picks = rng.choice(len(INTERESTS), 3, replace=False)
                copy.write_row(
                    (
                        ids[i],
                        f"member {i}",
                        "",
                        [INTERESTS[j] for j in picks],
                        [],
                        "ja",
                        int(scores[i, 0]),
                        int(scores[i, 1]),
                        int(scores[i, 2]),
                        0,
                        True,
                        False,
                        vec,
                        model_id,
                        now - timedelta(days=int(rng.integers(0, 60))),
                    )
                )
        conn.commit()
    return ids


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * p) - 1)] * 1000


async def main(n: int, queries: int, m: int, ef_construction: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-bench-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uri = embedded.ensure_database(server.get_uri(), "bench")
    settings = Settings(home=tmp, database_url=uri, log_level="WARNING")
    rng = np.random.default_rng(7)
    try:
        async with open_resources(settings, uri=uri, embedder=OfflineEmbedder()) as res:
            model_id = res.embedder.model_id
            vectors = community(n, clusters=max(8, n // 500), rng=rng)
            t0 = time.perf_counter()
            ids = load(uri, vectors, model_id, rng)
            print(f"{n:,} members × {DIM}-d loaded in {time.perf_counter() - t0:.1f} s")
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute("drop index ix_members_embedding_hnsw")
                conn.execute("set maintenance_work_mem = '1GB'")
                conn.execute("set max_parallel_maintenance_workers = 1")
                t0 = time.perf_counter()
                conn.execute(
                    f"create index ix_members_embedding_hnsw on members using hnsw "
                    f"(embedding vector_cosine_ops) with (m = {m}, ef_construction = {ef_construction})"
                )
                build = time.perf_counter() - t0
                conn.execute("analyze members")
            print(f"HNSW build (m={m}, ef_construction={ef_construction}): {build:.1f} s")

            picks = rng.choice(n, queries, replace=False)
            exact_ids, exact_times = [], []
            for q in picks:  # exact top-10 in numpy (not self)
                t0 = time.perf_counter()
                sims = vectors @ vectors[q]
                sims[q] = -2
                top = np.argpartition(-sims, 10)[:10]
                top = top[np.argsort(-sims[top])]
                exact_times.append(time.perf_counter() - t0)
                exact_ids.append({ids[i] for i in top})
            print(
                f"exact search (numpy brute force): p50 {statistics.median(exact_times) * 1000:.1f} ms, "
                f"p95 {percentile(exact_times, 0.95):.1f} ms"
            )
            print("ef_search | recall@10 | candidates p50 / p95 ms | rank (candidates+scoring+MMR) p50 / p95 ms")
            for ef in (40, 100, 200, 400):
                recalls, cand_times, rank_times = [], [], []
                for q, truth in zip(picks, exact_ids, strict=True):
                    async with res.db.sessions() as session:
                        member = await session.get(Member, ids[q])
                        assert member is not None
                        query = np.asarray(member.embedding, dtype=np.float32)
                        await session.execute(text(f"set local hnsw.ef_search = {ef}"))
                        t0 = time.perf_counter()
                        rows = (
                            (
                                await session.execute(
                                    matching.MEMBER_CANDIDATES,
                                    {"q": str(query.tolist()), "me": member.id, "model": model_id, "n": 10},
                                )
                            )
                            .mappings()
                            .all()
                        )
                        cand_times.append(time.perf_counter() - t0)
                        recalls.append(len({r["id"] for r in rows} & truth) / 10)
                        t0 = time.perf_counter()
                        rows = (
                            (
                                await session.execute(
                                    matching.MEMBER_CANDIDATES,
                                    {"q": str(query.tolist()), "me": member.id, "model": model_id, "n": 30},
                                )
                            )
                            .mappings()
                            .all()
                        )
                        scored = sorted(
                            matching.score_members(member, [dict(r) for r in rows], datetime.now(UTC)),
                            key=lambda s: -s["score"],
                        )
                        matching.rerank(scored, 10)
                        rank_times.append(time.perf_counter() - t0)
                print(
                    f"{ef:>9} | {statistics.mean(recalls):>9.3f} | "
                    f"{statistics.median(cand_times) * 1000:>10.1f} / {percentile(cand_times, 0.95):>9.1f} | "
                    f"{statistics.median(rank_times) * 1000:>15.1f} / {percentile(rank_times, 0.95):>15.1f}"
                )
            print(f"(exact numpy p50 {statistics.median(exact_times) * 1000:.1f} ms is the baseline for the ratios)")
            async with res.db.sessions() as session:
                total = await session.scalar(select(text("count(*)")).select_from(Member))
            print(f"members in the table: {total:,}")
    finally:
        server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.queries, args.m, args.ef_construction))

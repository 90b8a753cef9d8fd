"""JSON to Postgres and HTTP (``asoto.jsoncodec``, orjson with the standard library behind it),
and the drivers' prepared statements (on by default, off by a setting)."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import text

from asoto import jsoncodec
from asoto.config import Settings
from asoto.runtime.resources import Resources, open_resources


def test_japanese_is_written_as_utf8_and_reads_back() -> None:
    value = {"title": "発表の練習、緊張した😅", "points": [1, 2.5, None, True]}
    raw = jsoncodec.dumps(value)
    assert "発表の練習".encode() in raw  # not \\u escapes
    assert jsoncodec.loads(raw) == value == json.loads(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({1: "a", None: "b"}, {"1": "a", "null": "b"}),  # keys that are not strings: as json writes them
        ({"n": 2**70}, {"n": 2**70}),  # past 64 bits: orjson refuses, the fallback writes it
        ({"x": math.nan}, {"x": None}),  # json wrote NaN, which Postgres and browsers refuse
    ],
)
def test_what_orjson_would_refuse_or_json_would_write_badly(value: object, expected: object) -> None:
    assert json.loads(jsoncodec.dumps(value)) == expected


def test_a_lone_surrogate_falls_back_to_an_ascii_escape() -> None:
    raw = jsoncodec.dumps({"t": "a\udc80b"})
    raw.decode("ascii")  # valid UTF-8 whatever happens; Postgres decides what it accepts
    assert json.loads(raw) == {"t": "a\udc80b"}


async def test_jsonb_round_trips_through_both_drivers(resources: Resources) -> None:
    value = {"名前": "佐藤さん", "big": 2**70, "nested": [{"a": 1.5}]}
    async with resources.db.autocommit() as session:
        got = await session.scalar(
            text("select cast(:v as jsonb)").bindparams(), {"v": jsoncodec.dumps(value).decode()}
        )
    assert got == value
    from psycopg.types.json import Jsonb

    async with resources.pool.connection() as conn:
        row = await (await conn.execute("select %s::jsonb as v", [Jsonb(value)])).fetchone()
    assert row is not None and row["v"] == value


async def _prepared_on_one_connection(res: Resources) -> int:
    async with res.pool.connection() as conn:
        for _ in range(2):
            await conn.execute(
                "select thread_id from threads where thread_id = %s", ["00000000-0000-0000-0000-000000000000"]
            )
        row = await (await conn.execute("select count(*) as n from pg_prepared_statements")).fetchone()
    assert row is not None
    return int(row["n"])


async def _prepared_by_sqlalchemy(res: Resources) -> int:
    async with res.db.engine.connect() as conn:
        await conn.execute(text("select 1 from threads limit 1"))
        await conn.execute(text("select 1 from threads limit 1"))
        return int(await conn.scalar(text("select count(*) from pg_prepared_statements")) or 0)


async def test_prepared_statements_are_on_by_default(resources: Resources) -> None:
    """Without them Postgres plans every hot-path CTE again: half its CPU per run (bench/peer.py)."""
    assert await _prepared_on_one_connection(resources) >= 1
    assert await _prepared_by_sqlalchemy(resources) >= 1


async def test_prepared_statements_off_for_a_transaction_pooler(
    settings: Settings, db_uri: str, embedder: object
) -> None:
    off = settings.model_copy(update={"db_prepared_statements": False})
    async with open_resources(off, uri=db_uri, embedder=embedder, migrate_first=False) as res:  # type: ignore[arg-type]
        assert await _prepared_on_one_connection(res) == 0
        assert await _prepared_by_sqlalchemy(res) == 0

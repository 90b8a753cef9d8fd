"""The LangGraph Postgres checkpointer with a strict serializer.

State in our flows is JSON-like (ids, strings, numbers, lists, dicts, LangChain messages), so
msgpack deserialization is restricted to what LangGraph itself needs: a row written by anyone
else cannot make the engine construct arbitrary classes (LangGraph threat model T1).
"""

from __future__ import annotations

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg_pool import AsyncConnectionPool


def make_serializer() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=None)


def make_saver(pool: AsyncConnectionPool) -> AsyncPostgresSaver:
    return AsyncPostgresSaver(pool, serde=make_serializer())  # type: ignore[arg-type]

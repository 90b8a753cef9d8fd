"""JSON in and out of Postgres and HTTP bodies, with orjson.

Every run writes its input, output and state as JSONB and every wait answers with JSON; the
standard library's encoder was ~3 % of a server's CPU per run (py-spy, ``bench/peer.py``).
orjson (already installed with langgraph-checkpoint-postgres) is several times faster. It is
stricter in places (integers beyond 64 bits, lone surrogates), where we fall back to the
standard library so nothing that encoded before fails now. It writes UTF-8 as is
(as ``ensure_ascii=False`` did), keys that are not strings as strings (as ``json`` does), and
``NaN``/``Infinity`` as ``null`` (``json`` wrote tokens that Postgres and browsers refuse).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """``value`` as UTF-8 JSON, compact."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError: a big int, a lone surrogate…
        # escaped ASCII, as psycopg's default wrote: always valid UTF-8
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # e.g. a lone surrogate escaped in stored text: json takes it
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)

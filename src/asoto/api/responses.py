"""``Json``: a JSON response rendered by orjson (``jsoncodec``), for the routes on every run's path.

A route that returns a dict has FastAPI validate it against its return annotation with pydantic,
walk it with ``jsonable_encoder`` and then encode it with the standard library: ~0.3 ms of a
``POST /threads`` that costs ~1 ms of server CPU in all (``bench/peer.py``). The hot routes build
their JSON-ready dicts themselves, so they return this instead (FastAPI's own ``ORJSONResponse``
still runs the encoder walk first).
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from asoto import jsoncodec


class Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsoncodec.dumps(content)

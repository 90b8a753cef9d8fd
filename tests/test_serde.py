"""Strict checkpoint deserialization: a crafted blob that names an arbitrary callable (written by
anyone with access to the checkpoint tables) never runs it when the engine reads state."""

from __future__ import annotations

from pathlib import Path

import ormsgpack
import pytest
from langgraph.checkpoint.serde import jsonplus

from asoto.persistence.checkpointer import make_serializer


@pytest.mark.parametrize(
    ("ext", "payload"),
    [
        (jsonplus.EXT_CONSTRUCTOR_SINGLE_ARG, lambda marker: ("os", "system", f"touch {marker}")),
        (jsonplus.EXT_CONSTRUCTOR_POS_ARGS, lambda marker: ("subprocess", "call", (["touch", str(marker)],))),
        (jsonplus.EXT_CONSTRUCTOR_KW_ARGS, lambda marker: ("subprocess", "run", {"args": ["touch", str(marker)]})),
        (jsonplus.EXT_METHOD_SINGLE_ARG, lambda marker: ("pathlib", "Path", str(marker), "touch")),
    ],
)
def test_a_crafted_blob_does_not_run_code(tmp_path: Path, ext: int, payload: object) -> None:
    marker = tmp_path / "pwned"
    blob = ormsgpack.packb(ormsgpack.Ext(ext, ormsgpack.packb(payload(marker))))  # type: ignore[operator]
    make_serializer().loads_typed(("msgpack", blob))  # at most the raw data comes back
    assert not marker.exists()


def test_the_engines_own_state_still_round_trips() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    serde = make_serializer()
    value = {"messages": [HumanMessage("やあ", id="m1"), AIMessage("こんにちは", id="c1")], "turns": 2, "ok": True}
    assert serde.loads_typed(serde.dumps_typed(value)) == value

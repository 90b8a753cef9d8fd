"""Recall@5 of the Store's semantic search on a small labelled set of members' memories.

Each member's items go to their own namespace; each query searches that namespace only (as a
member's key does) and counts the labelled items among the first five. The split is fixed in
the dataset: ``dev`` for looking, ``test`` for the figure in the note. The same numbers for a
random ranking are printed beside it, so a figure means something.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any, Literal

from langgraph.store.base import BaseStore

from asoto.persistence.store import member_namespace

K = 5
Split = Literal["dev", "test", "all"]


@dataclass(frozen=True)
class RecallReport:
    split: str
    queries: int
    recall_at_k: float
    mrr: float
    random_recall_at_k: float  # what a random order of the member's items would score


def dataset() -> dict[str, Any]:
    text = package_files.files("asoto.evals").joinpath("datasets/memory/recall.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def namespace(run: str, member: str) -> tuple[str, ...]:
    return member_namespace(f"recall-{run}-{member}", "facts")


async def load(store: BaseStore, run: str, data: dict[str, Any], *, fields: list[str] | None) -> None:
    for member, items in data["members"].items():
        for item in items:
            await store.aput(namespace(run, member), item["key"], {"text": item["text"]}, index=fields)


async def measure(
    store: BaseStore, *, split: Split = "test", fields: list[str] | None = None, run: str = "eval"
) -> RecallReport:
    """Load the items (``fields``: what is embedded; None = the store's default, the whole
    value), ask every query of the split, and score the top ``K``."""
    data = dataset()
    chosen = [q for q in data["queries"] if split == "all" or q["split"] == split]
    recall = rr = random = 0.0
    try:
        await load(store, run, data, fields=fields)
        for q in chosen:
            found = await store.asearch(namespace(run, q["member"]), query=q["query"], limit=K)
            keys = [item.key for item in found]
            relevant = set(q["relevant"])
            recall += len(relevant & set(keys)) / len(relevant)
            rr += next((1 / (i + 1) for i, key in enumerate(keys) if key in relevant), 0.0)
            random += min(K, len(data["members"][q["member"]])) / len(data["members"][q["member"]])
    finally:  # the items are the eval's, never left in a real database
        for member, items in data["members"].items():
            for item in items:
                await store.adelete(namespace(run, member), item["key"])
    n = max(1, len(chosen))
    return RecallReport(split, len(chosen), round(recall / n, 3), round(rr / n, 3), round(random / n, 3))

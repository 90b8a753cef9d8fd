"""An example of your own graph served by asoto: a thank-you note drafted, checked by a person,
then sent. Four nodes and one interrupt: the shape ``bench/peer.py`` measures.

Served with ``asoto serve --config examples/langgraph.json``; the SDK drives it like any flow::

    thread = await client.threads.create()
    note = {"to": "佐藤さん", "reason": "発表の練習"}
    waiting = await client.runs.wait(thread["thread_id"], "thanks_note", input=note)
    done = await client.runs.wait(thread["thread_id"], "thanks_note", command={"resume": {"approve": True}})

An assistant configures it for its runs (its ``context_schema``: a signature and a fixed tone)::

    casual = await client.assistants.create("thanks_note", context={"tone": "気軽", "signature": "チームより"})
    await client.runs.wait(thread["thread_id"], casual["assistant_id"], input=note)
"""

from __future__ import annotations

import os
from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from typing_extensions import TypedDict  # pydantic (JSON schemas) needs it on Python < 3.12


class State(TypedDict, total=False):
    to: str
    reason: str
    tone: str
    draft: str
    approved: bool
    sent: str


class Input(TypedDict, total=False):
    to: str
    reason: str


class Context(TypedDict, total=False):
    """What an assistant may fix for its runs."""

    tone: Literal["丁寧", "気軽"]
    signature: str


def plan(state: State, runtime: Runtime[Context]) -> State:
    """Pick a tone from what the note is for (a stand-in for a model call), unless the assistant fixed one."""
    fixed = (runtime.context or {}).get("tone")
    if fixed:
        return {"tone": fixed}
    topic = state.get("reason", "")
    return {"tone": "丁寧" if any(w in topic for w in ("発表", "仕事", "会議")) else "気軽"}


def draft(state: State) -> State:
    opening = "いつもありがとうございます。" if state["tone"] == "丁寧" else "ありがとう！"
    return {"draft": f"{state.get('to', 'みなさん')}へ　{opening}{state.get('reason', '')}のおかげで前に進めました。"}


def review(state: State) -> State:
    """A person reads the draft first; they may approve it or send their own words."""
    decision = interrupt({"type": "review", "draft": state["draft"]})
    if isinstance(decision, dict) and decision.get("text"):
        return {"draft": str(decision["text"]), "approved": True}
    return {"approved": bool(decision.get("approve")) if isinstance(decision, dict) else bool(decision)}


def send(state: State, runtime: Runtime[Context]) -> State:
    signature = (runtime.context or {}).get("signature") or os.environ.get("THANKS_SIGNATURE", "")
    return {"sent": f"{state['draft']}{'　' + signature if signature else ''}" if state.get("approved") else ""}


builder = StateGraph(State, input_schema=Input, context_schema=Context)
builder.add_node("plan", plan)
builder.add_node("draft", draft)
builder.add_node("review", review)
builder.add_node("send", send)
builder.add_edge(START, "plan")
builder.add_edge("plan", "draft")
builder.add_edge("draft", "review")
builder.add_edge("review", "send")
builder.add_edge("send", END)

graph = builder.compile()

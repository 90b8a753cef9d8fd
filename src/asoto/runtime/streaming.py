"""Server-sent events of runs, in the wire format the langgraph-sdk reads.

The worker records a streamed run's events (``run_events``); the API replays and tails them:
``metadata`` first, then ``values`` / ``updates`` / ``messages`` (for ``messages-tuple``) /
``messages/metadata|partial|complete`` (for ``messages``) / ``custom`` / ``debug`` / ``tasks`` /
``checkpoints`` / ``events`` (LangGraph's ``astream_events`` v2), an interrupt as a ``values`` event
``{"__interrupt__": [...]}`` when ``updates`` was
not asked for, ``error`` on failure; the stream closes when the run ends. Event ids are sequence
numbers, so a client reconnects with ``Last-Event-ID`` and misses nothing. Only runs created as
streams record events, so other runs pay nothing for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import select

from asoto import jsoncodec
from asoto.errors import InvalidInput
from asoto.persistence import run_queue
from asoto.persistence.models import Run
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.serialize import jsonable
from asoto.services import views
from asoto.services.keys import Principal

# whole-state modes: on built-in flows only for those who may see drafts (``services.views``)
STATE_MODES = views.WHOLE_STATE_MODES
SUPPORTED = ("values", "updates", "messages-tuple", "messages", "custom", *STATE_MODES)
HEARTBEAT_S = 5.0
_METADATA_KEYS = (
    "langgraph_node",
    "langgraph_step",
    "langgraph_triggers",
    "langgraph_checkpoint_ns",
    "ls_provider",
    "ls_model_name",
)


def requested_modes(stream_mode: Any) -> list[str]:
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode or ["values"])
    unsupported = [m for m in modes if m not in SUPPORTED]
    if unsupported:
        raise InvalidInput(
            f"stream modes not supported: {', '.join(map(str, unsupported))}; use {', '.join(SUPPORTED)}",
            code="unsupported_option",
        )
    return list(dict.fromkeys(modes))


def graph_modes(requested: Sequence[str]) -> list[str]:
    modes = ["values", "updates"]  # always: outputs and interrupts
    if "messages-tuple" in requested or "messages" in requested:
        modes.append("messages")
    if "custom" in requested:
        modes.append("custom")
    modes += [m for m in STATE_MODES if m in requested and m != "events"]  # events: astream_events
    return modes


def _message_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """What clients see of a message's metadata: where it came from, never the run's config."""
    return {k: jsonable(v) for k, v in (metadata or {}).items() if k in _METADATA_KEYS}


class MessageStream:
    """The ``messages`` mode as the Platform sends it: ``messages/metadata`` the first time a
    message id is seen, then ``messages/partial`` with the message so far while tokens arrive,
    or ``messages/complete`` for a whole message (what a node writes to the state)."""

    def __init__(self) -> None:
        self.so_far: dict[str, Any] = {}

    def events(self, message: Any, metadata: dict[str, Any]) -> list[tuple[str, Any]]:
        from langchain_core.messages import BaseMessageChunk

        msg_id = str(getattr(message, "id", None) or f"run-{len(self.so_far)}")
        out: list[tuple[str, Any]] = []
        if msg_id not in self.so_far:
            out.append(("messages/metadata", {msg_id: {"metadata": _message_metadata(metadata)}}))
        if isinstance(message, BaseMessageChunk):
            previous = self.so_far.get(msg_id)
            self.so_far[msg_id] = message if previous is None else previous + message
            out.append(("messages/partial", [jsonable(self.so_far[msg_id])]))
        else:
            self.so_far[msg_id] = message
            out.append(("messages/complete", [jsonable(message)]))
        return out


def events_for(
    requested: Sequence[str], mode: str, chunk: Any, messages: MessageStream | None = None
) -> list[tuple[str, Any]]:
    """What clients see of one chunk of the graph's stream."""
    if mode == "values" and "values" in requested:
        return [("values", jsonable(chunk))]
    if mode == "updates":
        if "updates" in requested:
            return [("updates", jsonable(chunk))]
        if isinstance(chunk, dict) and "__interrupt__" in chunk:
            return [("values", {"__interrupt__": jsonable(list(chunk["__interrupt__"]))})]
    if mode == "messages":
        message, metadata = chunk
        out: list[tuple[str, Any]] = []
        if "messages-tuple" in requested:
            out.append(("messages", [jsonable(message), _message_metadata(metadata)]))
        if "messages" in requested and messages is not None:
            out += messages.events(message, metadata)
        return out
    if mode in ("custom", *STATE_MODES) and mode in requested:
        return [(mode, jsonable(chunk))]
    return []


def graph_event(event: Any) -> tuple[str, Any] | None:
    """The root graph's ``(mode, chunk)`` inside an ``astream_events`` event, if it is one."""
    if event.get("event") == "on_chain_stream" and not event.get("parent_ids"):
        chunk = (event.get("data") or {}).get("chunk")
        if isinstance(chunk, tuple) and len(chunk) == 2 and isinstance(chunk[0], str):
            return chunk[0], chunk[1]
    return None


def event_json(event: Any) -> dict[str, Any]:
    """An ``astream_events`` (v2) event as the Platform's ``events`` mode sends it."""
    return {k: jsonable(v) for k, v in event.items()}


class Recorder:
    """Stores a streamed run's events as the worker produces them."""

    def __init__(self, res: Resources, run_id: uuid.UUID, requested: Sequence[str], next_seq: int) -> None:
        self.res, self.run_id, self.requested, self.seq = res, run_id, list(requested), next_seq
        self.messages = MessageStream()

    def shape(self, mode: str, chunk: Any) -> list[tuple[str, Any]]:
        return events_for(self.requested, mode, chunk, self.messages)

    async def record(self, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        async with self.res.db.sessions.begin() as session:
            await run_queue.append_events(session, self.run_id, self.seq, events)
        self.seq += len(events)


def sse(event: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"event: {event}\r\ndata: ".encode()
    tail = f"\r\nid: {event_id}\r\n\r\n" if event_id is not None else "\r\n\r\n"
    return head + jsoncodec.dumps(data) + tail.encode()


async def tail_run(
    res: Resources, hub: NotificationHub, run: Run, principal: Principal, *, after: int = 0
) -> AsyncIterator[bytes]:
    """``metadata``, then the run's events from ``after`` on, until the run has ended; each
    event as the principal may see it (``services.views``)."""
    yield sse("metadata", {"run_id": str(run.run_id), "attempt": max(run.attempt, 1)})
    if not (run.kwargs or {}).get("stream"):
        async for part in _outcome_of(res, hub, run, principal):
            yield part
        return
    seen = after
    while True:
        with hub.waiting_for(str(run.run_id)) as woken:
            async with res.db.autocommit() as session:
                events = await run_queue.events_after(session, run.run_id, seen)
                status = await session.scalar(select(Run.status).where(Run.run_id == run.run_id))
            for seq, name, data in events:
                seen = seq
                shown = views.event(run.graph_id, name, data, principal)
                if shown is not None:
                    yield sse(name, shown, seq)
            if status is None or status in run_queue.TERMINAL:
                if not events:
                    return
                continue  # drain what was written just before the end
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=HEARTBEAT_S)
                continue
            yield b": heartbeat\r\n\r\n"


async def keep_alive(task: asyncio.Task[Any], beat: bytes, every_s: float) -> AsyncIterator[bytes]:
    """``beat`` every ``every_s`` until ``task`` is done (proxies close a silent connection); the
    caller cancels the task if the client goes away first, and reads ``task.result()`` after."""
    while not (await asyncio.wait({task}, timeout=every_s))[0]:
        yield beat


async def _outcome_of(res: Resources, hub: NotificationHub, run: Run, principal: Principal) -> AsyncIterator[bytes]:
    """A run created without a stream (``runs.create``, ``runs.wait``) recorded no events: joining
    its stream gives its outcome when it ends, as one ``values`` event (or ``error``), with
    heartbeats meanwhile, instead of a silent ``metadata`` alone."""
    from asoto.services.runs import result, wait

    ending = asyncio.create_task(wait(res, hub, run.run_id))
    try:
        async for beat in keep_alive(ending, b": heartbeat\r\n\r\n", HEARTBEAT_S):
            yield beat
    finally:
        ending.cancel()  # a no-op once it is done
    ended = ending.result()
    outcome = result(ended)
    if "__error__" in outcome:
        yield sse("error", outcome["__error__"])
    else:
        yield sse("values", views.outputs(ended.graph_id, outcome, principal))

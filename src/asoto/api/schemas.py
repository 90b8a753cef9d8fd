"""Request bodies of the API. Unknown fields the SDK may send are ignored; text is checked."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from asoto.tools.text import has_forbidden_control

MultitaskStrategy = Literal["reject", "enqueue", "interrupt", "rollback"]


def find_bad_text(value: Any, path: str = "$") -> str | None:
    """The path of the first string (or key) with NUL / control characters, if any."""
    if isinstance(value, str):
        return path if has_forbidden_control(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            if has_forbidden_control(str(k)):
                return f"{path}.{k!r}"
            found = find_bad_text(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = find_bad_text(v, f"{path}[{i}]")
            if found:
                return found
    return None


# Postgres counts rows in bigint; a larger offset cannot mean anything and would be a 500
MAX_OFFSET = 2**63 - 1


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        bad = find_bad_text(data)
        if bad:
            raise PydanticCustomError(
                "control_characters", "text at {path} contains NUL or other control characters", {"path": bad}
            )
        return data


class ThreadCreate(Body):
    thread_id: uuid.UUID | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    if_exists: Literal["raise", "do_nothing"] = "raise"
    graph_id: str | None = None
    supersteps: Any = None  # refused (unsupported_option), never dropped silently
    ttl: Any = None


class ThreadPatch(Body):
    metadata: dict[str, Any] = Field(default_factory=dict)


class ThreadStateUpdate(Body):
    """``threads.update_state``: write ``values`` as if ``as_node`` had returned them."""

    values: dict[str, Any] | list[Any] | None = None
    as_node: str | None = None
    checkpoint: dict[str, Any] | None = None
    checkpoint_id: str | None = None


class ThreadCount(Body):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None


class ThreadPrune(Body):
    model_config = ConfigDict(extra="forbid")
    thread_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    strategy: Literal["delete", "keep_latest"] = "delete"


class ThreadSearch(ThreadCount):
    ids: list[uuid.UUID] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    sort_by: Literal["thread_id", "status", "created_at", "updated_at"] = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"


class RunsCancel(Body):
    """``runs.cancel_many``: runs by id on one thread, or every pending/running run the caller may cancel."""

    model_config = ConfigDict(extra="forbid")
    thread_id: uuid.UUID | None = None
    run_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    status: Literal["pending", "running", "all"] | None = None


class AssistantCount(Body):
    graph_id: str | None = None
    name: str | None = Field(default=None, max_length=200)  # a case-insensitive substring, as the Platform
    metadata: dict[str, Any] | None = None


class AssistantSearch(AssistantCount):
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    sort_by: Literal["assistant_id", "graph_id", "name", "created_at", "updated_at"] = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"


class AssistantCreate(Body):
    """An assistant as the SDK sends it: a graph plus the config and context its runs get."""

    model_config = ConfigDict(extra="forbid")
    graph_id: str = Field(min_length=1, max_length=50)
    assistant_id: uuid.UUID | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class AssistantUpdate(Body):
    """A new version: fields left out keep their value; ``metadata`` is merged."""

    model_config = ConfigDict(extra="forbid")
    graph_id: str | None = Field(default=None, min_length=1, max_length=50)
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class AssistantVersions(Body):
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class AssistantLatest(Body):
    version: int = Field(ge=1, le=2_147_483_647)


class HistoryQuery(Body):
    limit: int = Field(default=10, ge=1, le=1000)
    before: str | dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


class CommandIn(Body):
    resume: Any = None
    update: Any = None
    goto: Any = None


class RunCreate(Body):
    """A run as the SDK sends it. Unknown fields are refused (``invalid_input``); known options the
    engine does not support are refused by ``services.runs`` (``unsupported_option``)."""

    model_config = ConfigDict(extra="forbid")
    assistant_id: str = Field(min_length=1, max_length=100)
    input: dict[str, Any] | None = None
    command: CommandIn | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] | None = None
    multitask_strategy: MultitaskStrategy = "reject"
    if_not_exists: Literal["create", "reject"] = "reject"
    after_seconds: float | None = Field(default=None, ge=0, le=86_400)
    stream_mode: Any = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    checkpoint: Any = None
    checkpoint_id: str | None = None
    webhook: str | None = None
    durability: str | None = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    context: dict[str, Any] | None = None
    checkpoint_during: bool | None = None
    on_completion: str | None = None
    on_disconnect: str | None = None
    strict_resume: bool | None = None
    langsmith_tracer: Any = None
    feedback_keys: Any = None


class DecisionBody(Body):
    """A decision as sent; validated by the same rules as a ``command.resume`` (invalid_decision)."""

    model_config = ConfigDict(extra="allow")
    decision: Any = None


# --- the Store (long-term memory) --------------------------------------------------------------
FILTER_OPERATORS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"}


def _beyond_json(value: Any, path: str = "$") -> str | None:
    """Where a value has a number the store's JSON encoder (orjson) refuses: an integer past 64
    bits or a float that is not finite (found by Schemathesis: each was a 500)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return path
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := _beyond_json(v, f"{path}.{k}"))), None)
    if isinstance(value, list):
        return next((p for i, v in enumerate(value) if (p := _beyond_json(v, f"{path}[{i}]"))), None)
    return None


def _json_safe(value: Any) -> Any:
    bad = _beyond_json(value)
    if bad:
        raise PydanticCustomError("json_number", "the number at {path} is out of range", {"path": bad})
    return value


def _store_filter(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{field: value}`` or ``{field: {"$gt": value, …}}`` with the store's six operators."""
    for field, condition in (value or {}).items():
        if isinstance(condition, dict):
            unknown = set(condition) - FILTER_OPERATORS
            if unknown or not condition:
                raise PydanticCustomError(
                    "store_filter",
                    "filter {field}: use a value or operators among $eq, $ne, $gt, $gte, $lt, $lte",
                    {"field": field},
                )
    return _json_safe(value)


# a label: what the SDK can send back in a GET (it joins labels with ".")
Label = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^.]+$")]
Namespace = Annotated[list[Label], Field(max_length=10)]


class StorePut(Body):
    namespace: Annotated[list[Label], Field(min_length=1, max_length=10)]
    key: str = Field(min_length=1, max_length=512)
    value: Annotated[dict[str, Any], AfterValidator(_json_safe)]
    index: Literal[False] | list[str] | None = None  # False: not embedded; a list: these fields only
    ttl: float | None = Field(default=None, gt=0, description="minutes")


class StoreDelete(Body):
    namespace: Annotated[list[Label], Field(min_length=1, max_length=10)]
    key: str = Field(min_length=1, max_length=512)


class StoreSearch(Body):
    namespace_prefix: Namespace = Field(default_factory=list)
    filter: Annotated[dict[str, Any] | None, AfterValidator(_store_filter)] = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=100_000)
    query: str | None = Field(default=None, max_length=8_000)
    refresh_ttl: bool | None = None


class StoreNamespaces(Body):
    prefix: Namespace | None = None
    suffix: Namespace | None = None
    max_depth: int | None = Field(default=None, ge=1, le=10)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=100_000)


# --- crons (scheduled runs) ---------------------------------------------------------------------
class CronRun(Body):
    """What each tick's run is made of: the fields of a run the SDK's cron client sends."""

    assistant_id: str = Field(min_length=1, max_length=100)
    input: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    webhook: str | None = None
    multitask_strategy: MultitaskStrategy = "enqueue"  # a tick never fails for a busy thread
    stream_mode: Any = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: str | None = None
    checkpoint_during: bool | None = None


class CronCreate(CronRun):
    model_config = ConfigDict(extra="forbid")
    schedule: str = Field(min_length=9, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    end_time: datetime | None = None
    enabled: bool = True
    on_run_completed: Literal["delete", "keep"] | None = None


class CronPatch(Body):
    model_config = ConfigDict(extra="forbid")
    schedule: str | None = Field(default=None, min_length=9, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    end_time: datetime | None = None
    enabled: bool | None = None
    on_run_completed: Literal["delete", "keep"] | None = None
    input: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    webhook: str | None = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    stream_mode: Any = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: str | None = None


CronSortBy = Literal["cron_id", "assistant_id", "thread_id", "created_at", "updated_at", "next_run_date", "end_time"]


class CronCount(Body):
    model_config = ConfigDict(extra="forbid")
    assistant_id: str | None = Field(default=None, max_length=100)
    thread_id: uuid.UUID | None = None
    metadata: dict[str, Any] | None = None


class CronSearch(CronCount):
    enabled: bool | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    sort_by: CronSortBy = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"
    select: list[str] | None = None

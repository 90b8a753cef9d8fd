"""Graph state → JSON for the API and JSONB columns."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict
from pydantic import BaseModel


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, BaseMessage):
        data = message_to_dict(value)
        return {"type": data["type"], **jsonable(data["data"])}
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump())
    if hasattr(value, "id") and hasattr(value, "value") and type(value).__name__ == "Interrupt":
        return {"id": value.id, "value": jsonable(value.value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    return str(value)


def state_interrupts(state: Any) -> dict[str, list[dict[str, Any]]]:
    """Pending interrupts of a StateSnapshot as the SDK's Thread.interrupts: task id → list."""
    out: dict[str, list[dict[str, Any]]] = {}
    for task in state.tasks or ():
        if task.interrupts:
            out[task.id] = [{"id": i.id, "value": jsonable(i.value)} for i in task.interrupts]
    return out

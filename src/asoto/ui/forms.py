"""An approval's edit form, read off its kind's edit schema (``graphs.approval.kinds``).

Each leaf the schema names becomes a field prefilled from the proposal: strings an input (a
text area past 200 characters), integers a number, enums a select; lists and free objects a JSON
text area, since a form of nested repeated groups would need a client framework. The page's
script puts the fields back together by their dotted names, and the API validates the result
with the same schema, so the form can only make what a JSON client could.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

FieldKind = Literal["text", "textarea", "number", "select", "json"]
LONG_TEXT = 200  # a longer maximum gets a text area


@dataclass(frozen=True)
class FormField:
    name: str  # dotted path in the edit payload: ``feedback.question``
    label: str
    kind: FieldKind
    value: str
    required: bool
    max_length: int | None = None
    options: tuple[str, ...] = field(default_factory=tuple)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(defs[ref.removeprefix("#/$defs/")], defs)
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:  # Optional[X]: the X
        return {**schema, **_resolve(options[0], defs), "anyOf": None}
    return schema


def _at(value: Any, path: list[str]) -> Any:
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _field(name: str, schema: dict[str, Any], required: bool, current: Any) -> FormField:
    label = str(schema.get("title") or name)
    kind = schema.get("type")
    if "enum" in schema:
        options = tuple(str(o) for o in schema["enum"])
        return FormField(name, label, "select", "" if current is None else str(current), required, options=options)
    if kind == "string":
        limit = schema.get("maxLength")
        shown: FieldKind = "textarea" if limit is None or limit > LONG_TEXT else "text"
        return FormField(name, label, shown, "" if current is None else str(current), required, max_length=limit)
    if kind == "integer":
        return FormField(name, label, "number", "" if current is None else str(current), required)
    text = "" if current is None else json.dumps(current, ensure_ascii=False, indent=2)
    return FormField(name, label, "json", text, required)


def edit_fields(model: type[BaseModel], proposal: dict[str, Any] | None) -> list[FormField]:
    """The fields of ``model``'s edit form, each prefilled from the same path of ``proposal``."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    out: list[FormField] = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        node = _resolve(node, defs)
        required = set(node.get("required", []))
        for key, sub in (node.get("properties") or {}).items():
            resolved = _resolve(sub, defs)
            if resolved.get("type") == "object" and resolved.get("properties"):
                walk(resolved, [*path, key])
            else:
                out.append(_field(".".join([*path, key]), resolved, key in required, _at(proposal, [*path, key])))

    walk(schema, [])
    return out

"""Users' own graphs from a ``langgraph.json``, served beside the built-in flows.

The file is the one ``langgraph dev`` and the LangGraph Platform read::

    {
      "graphs": {"agent": "./agent.py:graph", "other": "my_pkg.graphs:make_graph"},
      "env": ".env",                      # or {"KEY": "value"}
      "dependencies": ["."],              # local folders put on the import path
      "asoto": {"builtin_flows": true}    # ours: serve the community flows too (default)
    }

A graph reference is ``path/to/file.py:attr`` (relative to the config file) or
``package.module:attr``. The attribute may be a compiled graph, a ``StateGraph`` builder, or a
function returning either (called with no arguments, or with a ``RunnableConfig``). Every error
is one line naming the graph and what is wrong (``GraphConfigError``); nothing starts half-loaded.

Not done here: ``dependencies`` naming PyPI packages are not installed (install them into the
environment first, as with ``pip install -e``); only local folders are added to ``sys.path``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from asoto.errors import AsotoError

GRAPH_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$")


class GraphConfigError(AsotoError):
    code = "graph_config_invalid"


@dataclass(frozen=True)
class UserGraph:
    name: str
    reference: str
    builder: StateGraph[Any, Any, Any, Any]
    compiled: CompiledStateGraph[Any, Any, Any, Any] | None  # as the user compiled it, if they did
    description: str


@dataclass(frozen=True)
class GraphConfig:
    path: Path
    graphs: tuple[UserGraph, ...]
    builtin_flows: bool


def _fail(path: Path, message: str) -> GraphConfigError:
    return GraphConfigError(f"{path}: {message}")


def _apply_env(path: Path, env: Any) -> None:
    """``env`` sets variables that are not set already (the process environment wins)."""
    if env is None:
        return
    if isinstance(env, str):
        from dotenv import dotenv_values

        file = (path.parent / env).resolve()
        if not file.is_file():
            raise _fail(path, f"env file {env!r} does not exist")
        values = {k: v for k, v in dotenv_values(file).items() if v is not None}
    elif isinstance(env, dict) and all(isinstance(v, str) for v in env.values()):
        values = dict(env)
    else:
        raise _fail(path, "env must be a file name or an object of strings")
    for key, value in values.items():
        os.environ.setdefault(key, value)


def _import(path: Path, name: str, reference: str) -> Any:
    module_ref, sep, attr = reference.rpartition(":")
    if not sep or not module_ref or not attr:
        raise _fail(path, f"graph {name!r}: {reference!r} is not 'file.py:attribute' or 'module:attribute'")
    try:
        if module_ref.endswith(".py") or "/" in module_ref:
            file = (path.parent / module_ref).resolve()
            if not file.is_file():
                raise _fail(path, f"graph {name!r}: file {module_ref!r} does not exist")
            spec = importlib.util.spec_from_file_location(f"asoto_user_graph_{name.replace('-', '_')}", file)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_ref)
    except GraphConfigError:
        raise
    except Exception as exc:
        raise _fail(path, f"graph {name!r}: importing {module_ref!r} failed: {type(exc).__name__}: {exc}") from exc
    if not hasattr(module, attr):
        raise _fail(path, f"graph {name!r}: {module_ref!r} has no attribute {attr!r}")
    return getattr(module, attr)


def _as_graph(path: Path, name: str, value: Any) -> tuple[StateGraph[Any, Any, Any, Any], Any]:
    if callable(value) and not isinstance(value, StateGraph | CompiledStateGraph):
        if inspect.iscoroutinefunction(value):
            raise _fail(path, f"graph {name!r}: async graph factories are not supported; return the graph directly")
        try:
            value = value() if not inspect.signature(value).parameters else value({"configurable": {}})
        except Exception as exc:
            raise _fail(path, f"graph {name!r}: its factory failed: {type(exc).__name__}: {exc}") from exc
    if isinstance(value, CompiledStateGraph):
        return value.builder, value
    if isinstance(value, StateGraph):
        return value, None
    raise _fail(path, f"graph {name!r} is a {type(value).__name__}, not a LangGraph StateGraph or compiled graph")


def load_config(path: Path | str, *, reserved: frozenset[str] = frozenset()) -> GraphConfig:
    """Read, import and check a ``langgraph.json``; ``reserved`` names are taken by built-ins."""
    path = Path(path).resolve()
    if not path.is_file():
        raise GraphConfigError(f"{path}: no such config file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _fail(path, "the config must be a JSON object")
    graphs = data.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise _fail(path, "'graphs' must be a non-empty object of name → 'file.py:attribute'")
    options = data.get("asoto") or {}
    if not isinstance(options, dict):
        raise _fail(path, "'asoto' must be an object")
    builtin = options.get("builtin_flows", True)
    if not isinstance(builtin, bool):
        raise _fail(path, "asoto.builtin_flows must be true or false")
    deps = data.get("dependencies") or []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise _fail(path, "'dependencies' must be a list of strings")
    for dep in deps:
        folder = (path.parent / dep).resolve()
        if folder.is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    _apply_env(path, data.get("env"))
    loaded = []
    for name, spec in graphs.items():
        if not GRAPH_NAME.match(name):
            raise _fail(path, f"graph name {name!r}: a letter, then letters, digits, '_', '-' or '.' (≤ 50)")
        if builtin and name in reserved:
            raise _fail(path, f"graph name {name!r} is a built-in flow; rename it or set asoto.builtin_flows to false")
        if isinstance(spec, dict):
            reference, description = spec.get("path"), spec.get("description", "")
        else:
            reference, description = spec, ""
        if not isinstance(reference, str):
            raise _fail(path, f"graph {name!r}: give 'file.py:attribute' or {{'path': …, 'description': …}}")
        builder, compiled = _as_graph(path, name, _import(path, name, reference))
        loaded.append(UserGraph(name, reference, builder, compiled, str(description or "")))
    return GraphConfig(path, tuple(loaded), builtin)

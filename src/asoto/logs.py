"""structlog set-up: JSON lines in production, readable lines in a terminal.

Run lines carry ``run_id``, ``thread_id`` and ``flow`` (bound by the worker). Settings are
never logged whole, and ``SecretStr`` values print as ``**********``.
"""

from __future__ import annotations

import logging
import sys

import structlog

from asoto.config import Settings


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    """Whatever ``sys.stderr`` is now (test runners and daemons swap it), not at import time."""
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(settings: Settings) -> None:
    json_lines = settings.log_format == "json" or (settings.log_format == "auto" and not sys.stderr.isatty())
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json_lines else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )

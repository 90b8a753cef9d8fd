"""Retry policies of graph nodes. LLM retries live in the model layer only (one layer)."""

from __future__ import annotations

import psycopg
import sqlalchemy.exc
from langgraph.types import RetryPolicy

# Database hiccups (a dropped connection, a failover) are retried by LangGraph.
DB_RETRY = RetryPolicy(max_attempts=3, retry_on=(psycopg.OperationalError, sqlalchemy.exc.OperationalError))

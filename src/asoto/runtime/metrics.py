"""Prometheus metrics, read from Postgres so every replica and worker process is counted.

What the engine does is already in its tables (runs, approvals, crons), so ``/metrics`` reads
them at scrape time: any API replica answers for the whole deployment, and nothing is lost when
a worker process restarts. Chat-model calls happen in the workers' graphs; each process counts
its own (``ProviderTally``, in memory) and adds them to ``provider_calls`` every
``FLUSH_S``, so the totals are the deployment's, not one process's. The exposition format is
``prometheus_client``'s.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

FLUSH_S = 15.0
# run latency, creation to end (seconds): flows take from well under a second (offline) to minutes
BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


class ProviderTally:
    """This process's chat-model calls since the last flush: (provider, task, outcome) → calls,
    seconds. Outcome is ``ok`` or the error's class name."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str, str]] = Counter()
        self.seconds: dict[tuple[str, str, str], float] = {}

    def add(self, key: tuple[str, str, str], seconds: float) -> None:
        self.calls[key] += 1
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def take(self) -> list[tuple[tuple[str, str, str], int, float]]:
        taken = [(k, n, self.seconds.get(k, 0.0)) for k, n in self.calls.items()]
        self.calls.clear()
        self.seconds.clear()
        return taken


class MeteredModel:
    """Any ``StructuredModel``, counted: the engine wraps the configured one (tests' scripted
    models too), so every flow's calls are counted the same way."""

    def __init__(self, inner: Any, tally: ProviderTally) -> None:
        self.inner, self.tally = inner, tally
        self.offline: bool = inner.offline
        self.model_id: str = inner.model_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def generate(self, task: str, schema: Any, messages: Sequence[BaseMessage], facts: Any) -> Any:
        provider = self.model_id.split(":")[0]
        started = time.perf_counter()
        try:
            result = await self.inner.generate(task, schema, messages, facts)
        except Exception as exc:
            self.tally.add((provider, task, type(exc).__name__), time.perf_counter() - started)
            raise
        self.tally.add((provider, task, "ok"), time.perf_counter() - started)
        return result


_ADD_CALLS = text("""
insert into provider_calls (provider, task, outcome, calls, seconds)
values (:provider, :task, :outcome, :calls, :seconds)
on conflict (provider, task, outcome)
do update set calls = provider_calls.calls + excluded.calls, seconds = provider_calls.seconds + excluded.seconds
""")


async def flush(session: AsyncSession, tally: ProviderTally) -> int:
    """Add this process's counts to the shared totals; on failure they are put back."""
    taken = tally.take()
    try:
        for (provider, task, outcome), calls, seconds in taken:
            await session.execute(
                _ADD_CALLS, {"provider": provider, "task": task, "outcome": outcome, "calls": calls, "seconds": seconds}
            )
    except BaseException:
        for key, calls, seconds in taken:
            tally.calls[key] += calls
            tally.seconds[key] = tally.seconds.get(key, 0.0) + seconds
        raise
    return len(taken)


async def _rows(session: AsyncSession, sql: str) -> list[Any]:
    return list((await session.execute(text(sql))).all())


async def families(session: AsyncSession) -> list[Metric]:
    """Every metric, read in one transaction."""
    runs = GaugeMetricFamily("asoto_runs", "Runs stored, by flow and status", labels=["graph_id", "status"])
    for graph_id, status, n in await _rows(session, "select graph_id, status, count(*) from runs group by 1, 2"):
        runs.add_metric([graph_id, status], n)

    queue = GaugeMetricFamily("asoto_queue_depth", "Pending runs due now (waiting for a worker)")
    oldest = GaugeMetricFamily("asoto_queue_oldest_seconds", "Age of the oldest pending run due now")
    [(depth, age)] = await _rows(
        session,
        "select count(*), coalesce(extract(epoch from now() - min(not_before)), 0) "
        "from runs where status = 'pending' and not_before <= now()",
    )
    queue.add_metric([], depth)
    oldest.add_metric([], float(age))

    latency = HistogramMetricFamily(
        "asoto_run_duration_seconds",
        "Finished runs stored, creation to end (seconds), by flow",
        labels=["graph_id"],
    )
    columns = ", ".join(f"count(*) filter (where d <= {b})" for b in BUCKETS)
    for graph_id, total, seconds, *counts in await _rows(
        session,
        f"select graph_id, count(*), coalesce(sum(d), 0), {columns} from ("
        "select graph_id, extract(epoch from updated_at - created_at) as d from runs "
        "where status in ('success', 'error', 'timeout', 'interrupted')) finished group by graph_id",
    ):
        buckets = [(str(b), c) for b, c in zip(BUCKETS, counts, strict=True)] + [("+Inf", total)]
        latency.add_metric([graph_id], buckets, sum_value=float(seconds))

    approvals = GaugeMetricFamily(
        "asoto_approvals_pending",
        "Approvals waiting for a person, by kind and whether overdue",
        labels=["kind", "overdue"],
    )
    for kind, overdue, n in await _rows(
        session,
        "select kind, (deadline is not null and deadline < now())::text, count(*) "
        "from approvals where status = 'pending' group by 1, 2",
    ):
        approvals.add_metric([kind, overdue], n)

    calls = CounterMetricFamily(
        "asoto_provider_calls",
        "Chat-model calls by provider, task and outcome (ok or the error)",
        labels=["provider", "task", "outcome"],
    )
    spent = CounterMetricFamily(
        "asoto_provider_call_seconds", "Time spent in chat-model calls", labels=["provider", "task", "outcome"]
    )
    for provider, task, outcome, n, seconds in await _rows(
        session, "select provider, task, outcome, calls, seconds from provider_calls"
    ):
        calls.add_metric([provider, task, outcome], n)
        spent.add_metric([provider, task, outcome], seconds)

    crons = GaugeMetricFamily("asoto_crons", "Crons, by whether enabled", labels=["enabled"])
    for enabled, n in await _rows(session, "select enabled::text, count(*) from crons group by 1"):
        crons.add_metric([enabled], n)
    return [runs, queue, oldest, latency, approvals, calls, spent, crons]


class _Fixed:
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def exposition(metrics: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(metrics))  # type: ignore[arg-type]
    return generate_latest(registry)

"""Webhook delivery from the outbox: signed, retried with backoff, never in a decision's way.

Rows are written in the transaction of the change they report, so a webhook is sent if and only
if the change committed. A worker sends due rows (``FOR UPDATE SKIP LOCKED``, so several workers
share the work) with ``X-Asoto-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
A failing endpoint only delays its own deliveries: up to ``webhook_max_attempts`` tries, with
exponential backoff capped at one hour.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import httpx
import structlog
from sqlalchemy import func, select, update

from asoto.config import Settings
from asoto.persistence.models import WebhookDelivery
from asoto.runtime.resources import Resources

log = structlog.get_logger(__name__)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300) -> bool:
    """What a receiver does: recompute and compare in constant time, refuse stale timestamps."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2**attempts))


async def deliver_due(res: Resources, client: httpx.AsyncClient, *, batch: int = 20) -> int:
    """Send what is due; returns how many were delivered."""
    settings: Settings = res.settings
    async with res.db.sessions.begin() as session:
        if not settings.approval_webhook_url:
            # nothing to send to: close the rows so the outbox does not grow
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.delivered_at.is_(None))
                .values(delivered_at=func.now(), last_error="no webhook configured")
            )
            return 0
        due = (
            await session.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.delivered_at.is_(None),
                    WebhookDelivery.next_attempt_at <= func.now(),
                    WebhookDelivery.attempts < settings.webhook_max_attempts,
                )
                .order_by(WebhookDelivery.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        delivered = 0
        secret = settings.approval_webhook_secret.get_secret_value() if settings.approval_webhook_secret else ""
        for row in due:
            body = json.dumps({"id": row.id, **row.payload}, ensure_ascii=False).encode("utf-8")
            headers = {"content-type": "application/json", "x-asoto-event": row.event, "x-asoto-delivery": str(row.id)}
            if secret:
                headers["x-asoto-signature"] = sign(secret, body, int(time.time()))
            try:
                response = await client.post(settings.approval_webhook_url, content=body, headers=headers, timeout=10)
                ok, error = response.is_success, None if response.is_success else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
            row.attempts += 1
            if ok:
                row.delivered_at = func.now()  # type: ignore[assignment]
                delivered += 1
            else:
                row.last_error = error
                row.next_attempt_at = func.now() + backoff(row.attempts)  # type: ignore[assignment]
                log.warning(
                    "webhook.failed", delivery=row.id, webhook_event=row.event, attempts=row.attempts, error=error
                )
    return delivered

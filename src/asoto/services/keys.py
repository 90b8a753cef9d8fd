"""API keys: random 256-bit tokens, shown once, stored as SHA-256 digests, looked up by digest."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asoto.errors import InvalidInput, Unauthenticated
from asoto.persistence.models import ApiKey, Member

ROLES = ("member", "coach", "admin", "service")
KEY_PREFIX = "ask_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``id`` is what lands in audit trails (never the key itself)."""

    id: str
    role: str
    member_id: uuid.UUID | None = None

    @property
    def acts_for_anyone(self) -> bool:
        return self.role in ("admin", "service")

    @property
    def reads_everything(self) -> bool:
        return self.role in ("admin", "service", "coach")

    @property
    def decides_approvals(self) -> bool:
        return self.role in ("admin", "coach")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def create_key(session: AsyncSession, *, role: str, member_id: uuid.UUID | None = None, label: str = "") -> str:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
    if role == "member":
        if member_id is None:
            raise InvalidInput("a member key needs --member-id", code="member_id_required")
        if await session.get(Member, member_id) is None:
            raise InvalidInput(f"member {member_id} does not exist", code="unknown_member")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(key_hash=digest(key), prefix=key[:10], role=role, member_id=member_id, label=label))
    return key


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all())


async def revoke(session: AsyncSession, key_or_prefix: str) -> int:
    """Revoke a key by its full value or its shown prefix (its first 10 characters, as
    ``asoto keys list`` prints them); returns how many.
    Every replica stops accepting it within ``ASOTO_KEY_CACHE_S`` (≤ 1 s)."""
    from sqlalchemy import func, or_, update

    if len(key_or_prefix) < 10:
        raise InvalidInput("give the whole key or its 10-character prefix", code="invalid_key_prefix")
    matched = await session.scalars(
        update(ApiKey)
        .where(or_(ApiKey.key_hash == digest(key_or_prefix), ApiKey.prefix == key_or_prefix[:10]))
        .where(ApiKey.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiKey.id)
    )
    return len(list(matched.all()))


class KeyCache:
    """Short-lived cache of key lookups so each request does not pay a query. The TTL
    (``ASOTO_KEY_CACHE_S``, at most 1 s) bounds how long a revoked key keeps working."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl_s: float = 1.0) -> None:
        self._sessions = sessions
        self._ttl = ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, key: str | None) -> Principal:
        if not key:
            raise Unauthenticated("send an API key in x-api-key or Authorization: Bearer")
        hashed = digest(key)
        now = time.monotonic()
        hit = self._cache.get(hashed)
        if hit is None or hit[0] < now:
            async with self._sessions() as session:
                row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hashed, ApiKey.revoked_at.is_(None)))
            principal = (
                Principal(id=f"{row.role}:{row.prefix}", role=row.role, member_id=row.member_id) if row else None
            )
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[hashed] = hit = (now + self._ttl, principal)
        if hit[1] is None:
            raise Unauthenticated("unknown or revoked API key", code="invalid_api_key")
        return hit[1]

"""Dependencies as ``Annotated`` aliases: the lifespan's resources, a DB session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.services.keys import KeyCache, Principal
from asoto.services.runs import Taker


# ``async def`` although they await nothing: FastAPI runs a plain ``def`` dependency in a thread
# pool, a thread hop per request for an attribute read
async def get_resources(request: Request) -> Resources:
    return request.state.resources  # type: ignore[no-any-return]


async def get_hub(request: Request) -> NotificationHub:
    return request.state.hub  # type: ignore[no-any-return]


async def get_taker(request: Request) -> Taker | None:
    """This process's worker, which runs a waited-for run itself when it has a free slot
    (``services.runs.create_here``), or ``None`` (an API-only replica)."""
    return request.state.worker  # type: ignore[no-any-return]


async def get_session(res: Annotated[Resources, Depends(get_resources)]) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed on success, rolled back on any error."""
    async with res.db.sessions.begin() as session:
        yield session


async def get_principal(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    return await authenticate(request, x_api_key, authorization)


async def authenticate(request: Request, x_api_key: str | None, authorization: str | None) -> Principal:
    """The caller, with the rate limits that hold across replicas (``services.limits``): failed
    key checks per client address, and requests per key."""
    from asoto.errors import Unauthenticated
    from asoto.services import limits

    key = x_api_key
    if not key and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    keys: KeyCache = request.state.keys
    res: Resources = request.state.resources
    settings = res.settings
    try:
        principal = await keys.principal(key)
    except Unauthenticated:
        client = request.client.host if request.client else "unknown"
        async with res.db.autocommit() as session:  # one upsert: its own transaction
            await limits.hit(
                session,
                f"authfail:{client}",
                limit=settings.rate_auth_failures_per_min,
                window_s=60,
                what="failed key checks",
            )
        raise
    per_s = settings.rate_requests_per_s if principal.role == "member" else settings.rate_trusted_requests_per_s
    if per_s > 0:
        async with res.db.autocommit() as session:
            await limits.hit(session, f"key:{principal.id}", limit=per_s, window_s=1, what="requests for this key")
    return principal


ResourcesDep = Annotated[Resources, Depends(get_resources)]
HubDep = Annotated[NotificationHub, Depends(get_hub)]
TakerDep = Annotated[Taker | None, Depends(get_taker)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
CallerDep = Annotated[Principal, Depends(get_principal)]

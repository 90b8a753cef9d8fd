"""Dependencies as ``Annotated`` aliases: the lifespan's resources, a DB session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.notify import NotificationHub
from asoto.resources import Resources
from asoto.services.keys import KeyCache, Principal


def get_resources(request: Request) -> Resources:
    return request.state.resources  # type: ignore[no-any-return]


def get_hub(request: Request) -> NotificationHub:
    return request.state.hub  # type: ignore[no-any-return]


async def get_session(res: Annotated[Resources, Depends(get_resources)]) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed on success, rolled back on any error."""
    async with res.db.sessions.begin() as session:
        yield session


async def get_principal(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    key = x_api_key
    if not key and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    keys: KeyCache = request.state.keys
    return await keys.principal(key)


ResourcesDep = Annotated[Resources, Depends(get_resources)]
HubDep = Annotated[NotificationHub, Depends(get_hub)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
CallerDep = Annotated[Principal, Depends(get_principal)]

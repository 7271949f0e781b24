"""API tokens: made once, shown once, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.auth.tables import ApiTokenRow

Role = Literal["reader", "admin"]
ROLES: tuple[Role, ...] = ("reader", "admin")
TOKEN_PREFIX = "mdk_"  # noqa: S105 (a prefix, not a secret)
ENVIRONMENT_TOKEN_NAME = "MODELDECK_ADMIN_TOKEN"  # noqa: S105 (a name)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is as good as a slow hash here.
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(session: AsyncSession, *, name: str, role: Role) -> str:
    """Store a new token's hash and return the token itself: the only time it is seen."""
    token = new_token()
    session.add(
        ApiTokenRow(name=name, role=role, token_hash=hash_token(token), created_at=clock.now())
    )
    await session.flush()
    return token


async def find_token(session: AsyncSession, token: str) -> ApiTokenRow | None:
    statement = select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token))
    return (await session.execute(statement)).scalar_one_or_none()


async def has_admin(session: AsyncSession) -> bool:
    statement = select(ApiTokenRow.id).where(ApiTokenRow.role == "admin").limit(1)
    return (await session.execute(statement)).first() is not None


async def ensure_environment_token(session: AsyncSession, token: str) -> None:
    """Register `MODELDECK_ADMIN_TOKEN` as an admin token (hashed), replacing an older value."""
    rows = (
        await session.execute(select(ApiTokenRow).where(ApiTokenRow.name == ENVIRONMENT_TOKEN_NAME))
    ).scalars()
    wanted = hash_token(token)
    for row in rows:
        if row.token_hash == wanted:
            return
        await session.delete(row)
    await session.flush()
    session.add(
        ApiTokenRow(
            name=ENVIRONMENT_TOKEN_NAME, role="admin", token_hash=wanted, created_at=clock.now()
        )
    )
    await session.flush()

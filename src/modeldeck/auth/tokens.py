"""API tokens: made once, shown once, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.errors import conflict, not_found

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
    """The row of `token` when it is valid: known and not revoked."""
    statement = select(ApiTokenRow).where(
        ApiTokenRow.token_hash == hash_token(token), ApiTokenRow.revoked_at.is_(None)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def has_admin(session: AsyncSession) -> bool:
    """Whether an admin can still sign in: an admin token that is not revoked exists."""
    statement = (
        select(ApiTokenRow.id)
        .where(ApiTokenRow.role == "admin", ApiTokenRow.revoked_at.is_(None))
        .limit(1)
    )
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


def token_public(row: ApiTokenRow) -> dict[str, Any]:
    """What the API shows of a token: never the token, never its hash."""
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


async def list_tokens(session: AsyncSession) -> list[ApiTokenRow]:
    return list((await session.execute(select(ApiTokenRow).order_by(ApiTokenRow.id))).scalars())


async def revoke_token(session: AsyncSession, token_id: int, *, force: bool = False) -> ApiTokenRow:
    """Revoke a token for good; refused for the last active admin token unless `force`.

    Revoking a revoked token changes nothing (its `revoked_at` stays).
    """
    row = await session.get(ApiTokenRow, token_id)
    if row is None:
        raise not_found(f"Token {token_id}")
    if row.revoked_at is not None:
        return row
    if row.role == "admin" and not force:
        # Every active admin row locked in one order (PostgreSQL; SQLite writers queue anyway),
        # so two revocations at once cannot both count the other one as the remaining admin.
        active = (
            select(ApiTokenRow.id)
            .where(ApiTokenRow.role == "admin", ApiTokenRow.revoked_at.is_(None))
            .order_by(ApiTokenRow.id)
            .with_for_update()
        )
        if set((await session.execute(active)).scalars()) <= {token_id}:
            raise conflict(
                f"Token {token_id} ({row.name}) is the last active admin token: revoking it "
                "would lock every admin out. Create another admin token first, or force it "
                "(`force=true`, `modeldeck token revoke --force`)."
            )
    row.revoked_at = clock.now()
    await session.flush()
    return row


async def record_use(session: AsyncSession, used: dict[int, datetime], every: timedelta) -> None:
    """Store when tokens were last used, skipping any stored less than `every` earlier.

    The condition keeps many instances from writing the same token more than once per `every`.
    """
    for token_id, at in used.items():
        await session.execute(
            update(ApiTokenRow)
            .where(
                ApiTokenRow.id == token_id,
                or_(ApiTokenRow.last_used_at.is_(None), ApiTokenRow.last_used_at <= at - every),
            )
            .values(last_used_at=at)
        )

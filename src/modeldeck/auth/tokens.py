"""API tokens: made once, shown once, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.auth import repository
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.problems import conflict, not_found

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
    return await repository.token_by_hash(session, hash_token(token))


async def has_admin(session: AsyncSession) -> bool:
    """Whether an admin can still sign in: an admin token that is not revoked exists."""
    return await repository.has_active_admin(session)


async def ensure_environment_token(session: AsyncSession, token: str) -> None:
    """Register `MODELDECK_ADMIN_TOKEN` as an admin token (hashed), replacing an older value."""
    rows = await repository.tokens_named(session, ENVIRONMENT_TOKEN_NAME)
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
    return await repository.all_tokens(session)


async def revoke_token(session: AsyncSession, token_id: int, *, force: bool = False) -> ApiTokenRow:
    """Revoke a token for good; refused for the last active admin token unless `force`.

    Revoking a revoked token changes nothing (its `revoked_at` stays).
    """
    row = await session.get(ApiTokenRow, token_id)
    if row is None:
        raise not_found(f"Token {token_id}")
    if row.revoked_at is not None:
        return row
    # Every active admin row locked (PostgreSQL), so two revocations at once cannot both count
    # the other one as the remaining admin.
    if (
        not force
        and row.role == "admin"
        and await repository.lock_active_admins(session) <= {token_id}
    ):
        raise conflict(
            f"Token {token_id} ({row.name}) is the last active admin token: revoking it "
            "would lock every admin out. Create another admin token first, or force it "
            "(`force=true`, `modeldeck token revoke --force`)."
        )
    row.revoked_at = clock.now()
    await session.flush()
    return row

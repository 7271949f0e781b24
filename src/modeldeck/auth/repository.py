"""All SQL about API tokens, console sessions and login codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.auth.session_tables import ConsoleSessionRow, LoginCodeRow
from modeldeck.auth.tables import ApiTokenRow


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiTokenRow | None:
    """The token with this hash, unless it was revoked."""
    statement = select(ApiTokenRow).where(
        ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def has_active_admin(session: AsyncSession) -> bool:
    statement = (
        select(ApiTokenRow.id)
        .where(ApiTokenRow.role == "admin", ApiTokenRow.revoked_at.is_(None))
        .limit(1)
    )
    return (await session.execute(statement)).first() is not None


async def tokens_named(session: AsyncSession, name: str) -> Sequence[ApiTokenRow]:
    statement = select(ApiTokenRow).where(ApiTokenRow.name == name)
    return (await session.execute(statement)).scalars().all()


async def all_tokens(session: AsyncSession) -> list[ApiTokenRow]:
    return list((await session.execute(select(ApiTokenRow).order_by(ApiTokenRow.id))).scalars())


async def lock_active_admins(session: AsyncSession) -> set[int]:
    """The ids of the active admin tokens, each row locked in one order (PostgreSQL).

    Two revocations at once then cannot both count the other one as the remaining admin
    (SQLite's writers queue anyway).
    """
    statement = (
        select(ApiTokenRow.id)
        .where(ApiTokenRow.role == "admin", ApiTokenRow.revoked_at.is_(None))
        .order_by(ApiTokenRow.id)
        .with_for_update()
    )
    return set((await session.execute(statement)).scalars())


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


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at <= now))


async def session_and_token(
    session: AsyncSession, session_hash: str
) -> tuple[ConsoleSessionRow, ApiTokenRow] | None:
    statement = (
        select(ConsoleSessionRow, ApiTokenRow)
        .join(ApiTokenRow, ApiTokenRow.id == ConsoleSessionRow.token_id)
        .where(ConsoleSessionRow.session_hash == session_hash)
    )
    found = (await session.execute(statement)).first()
    return None if found is None else (found[0], found[1])


async def delete_session(session: AsyncSession, session_hash: str) -> None:
    await session.execute(
        delete(ConsoleSessionRow).where(ConsoleSessionRow.session_hash == session_hash)
    )


async def delete_expired_codes(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(LoginCodeRow).where(LoginCodeRow.expires_at <= now))


async def live_code_token(
    session: AsyncSession, code_hash: str, now: datetime
) -> ApiTokenRow | None:
    statement = (
        select(ApiTokenRow)
        .join(LoginCodeRow, LoginCodeRow.token_id == ApiTokenRow.id)
        .where(LoginCodeRow.code_hash == code_hash, LoginCodeRow.expires_at > now)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def delete_code(session: AsyncSession, code_hash: str) -> bool:
    """Delete a login code; whether this call did (of two concurrent callers, one does)."""
    claimed = await session.execute(delete(LoginCodeRow).where(LoginCodeRow.code_hash == code_hash))
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

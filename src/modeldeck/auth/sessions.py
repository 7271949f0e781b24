"""Console sessions (DESIGN §5): random ids in the cookie, their hashes in the database.

A session belongs to the API token it was signed in with and ends when it expires, when its
owner signs out, or when that token is deleted or revoked. Being rows, sessions work on every
instance. A login link carries a one-time code instead of a token, redeemed by a POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.auth import repository
from modeldeck.auth.session_tables import ConsoleSessionRow, LoginCodeRow
from modeldeck.auth.tables import ApiTokenRow

LOGIN_CODE_LIFETIME = timedelta(minutes=10)
# How stale `last_seen` may get before a request writes it again (no write per page).
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionOwner:
    """The token a live session was signed in with."""

    session_hash: str
    token_name: str
    role: str
    seen_recently: bool


def secret_hash(secret: str) -> str:
    # Session ids and codes are 256 random bits: a plain SHA-256 is enough.
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(session_id: str) -> str:
    """The CSRF token of a session: derived from its secret id, so nothing needs storing."""
    return hmac.new(session_id.encode(), b"modeldeck-csrf", hashlib.sha256).hexdigest()


def token_usable(token: ApiTokenRow) -> bool:
    """A token still signs in unless it was revoked."""
    return token.revoked_at is None


async def start_session(session: AsyncSession, token: ApiTokenRow, lifetime: timedelta) -> str:
    """Store a new session of `token` and return its id: the only time the id is seen."""
    now = clock.now()
    await repository.delete_expired_sessions(session, now)
    session_id = secrets.token_urlsafe(32)
    session.add(
        ConsoleSessionRow(
            session_hash=secret_hash(session_id),
            token_id=token.id,
            created_at=now,
            expires_at=now + lifetime,
            last_seen=now,
        )
    )
    await session.flush()
    return session_id


async def session_owner(session: AsyncSession, session_id: str) -> SessionOwner | None:
    """Who a live session belongs to; None when it is unknown, expired or its token revoked."""
    found = await repository.session_and_token(session, secret_hash(session_id))
    if found is None:
        return None
    row, token = found
    now = clock.now()
    if row.expires_at <= now or not token_usable(token):
        return None
    return SessionOwner(
        session_hash=row.session_hash,
        token_name=token.name,
        role=token.role,
        seen_recently=now - row.last_seen < LAST_SEEN_RESOLUTION,
    )


async def mark_seen(session: AsyncSession, session_hash: str) -> None:
    row = await session.get(ConsoleSessionRow, session_hash)
    if row is not None:
        row.last_seen = clock.now()
        await session.flush()


async def end_session(session: AsyncSession, session_id: str) -> None:
    await repository.delete_session(session, secret_hash(session_id))


async def create_login_code(session: AsyncSession, token: ApiTokenRow) -> str:
    """A code that signs in as `token` once, within LOGIN_CODE_LIFETIME; returns the code."""
    now = clock.now()
    await repository.delete_expired_codes(session, now)
    code = secrets.token_urlsafe(32)
    session.add(
        LoginCodeRow(
            code_hash=secret_hash(code),
            token_id=token.id,
            created_at=now,
            expires_at=now + LOGIN_CODE_LIFETIME,
        )
    )
    await session.flush()
    return code


async def code_owner(session: AsyncSession, code: str) -> ApiTokenRow | None:
    """The token a live login code signs in as, without using the code up."""
    token = await repository.live_code_token(session, secret_hash(code), clock.now())
    return token if token is not None and token_usable(token) else None


async def redeem_login_code(session: AsyncSession, code: str) -> ApiTokenRow | None:
    """Use a login code up and return its token; None when it is unknown, used or expired."""
    token = await code_owner(session, code)
    # Deleting the row is the claim: of two concurrent redeemers only one deletes it.
    claimed = await repository.delete_code(session, secret_hash(code))
    return token if token is not None and claimed else None

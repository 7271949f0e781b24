"""Who is calling: bearer tokens checked against their hashes, with a short in-memory cache."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request

from modeldeck.auth.tokens import find_token, hash_token
from modeldeck.errors import Problem

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Caller:
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"token:{self.name}"


class TokenCache:
    """Verified token hashes for a few seconds, so reads with tokens stay off the database."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Caller | None]] = {}

    def get(self, token_hash: str) -> tuple[bool, Caller | None]:
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, token_hash: str, caller: Caller | None) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic() + CACHE_SECONDS, caller)

    def clear(self) -> None:
        self._entries.clear()


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401, "Unauthorized", detail, slug="unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


async def identify(request: Request) -> Caller | None:
    """The caller named by `Authorization: Bearer …`; None when no token was sent."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Send the token as `Authorization: Bearer <token>`.")
    token_hash = hash_token(token.strip())
    cache: TokenCache = request.app.state.token_cache
    known, caller = cache.get(token_hash)
    if not known:
        async with request.app.state.database.read() as session:
            row = await find_token(session, token.strip())
        caller = Caller(name=row.name, role=row.role) if row else None
        cache.put(token_hash, caller)
    if caller is None:
        raise _unauthorized("The token is not valid.")
    return caller


async def require_admin(request: Request) -> Caller:
    caller = await identify(request)
    if caller is None:
        raise _unauthorized("Changing the registry needs an admin token.")
    if caller.role != "admin":
        raise Problem(403, "Forbidden", "This token may read but not change the registry.")
    return caller


async def require_reader(request: Request) -> Caller | None:
    caller = await identify(request)
    if caller is None and request.app.state.settings.read_token_required:
        raise _unauthorized("Reading the registry needs a reader or admin token.")
    return caller

"""Who is calling: a bearer token or the console's session cookie, checked against hashes.

The console's cookie holds a random session id whose hash is stored (`auth.sessions`), and its
CSRF token is derived from that id (DESIGN §5), so any instance can check both.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass

from fastapi import Request

from modeldeck.auth import sessions
from modeldeck.auth.failures import FailedAuthentications
from modeldeck.auth.sessions import csrf_token_for
from modeldeck.auth.tokens import find_token, hash_token
from modeldeck.auth.usage import TokenUsage
from modeldeck.problems import Problem

log = logging.getLogger("modeldeck.auth")

# How long an instance trusts what it learnt of a token: a token revoked on another instance
# stops working here within this time (on the revoking instance, at once).
CACHE_SECONDS = 5.0
SESSION_COOKIE = "modeldeck_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    token_id: int | None = None  # None for the CLI's local admin, who has no token

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


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return hmac.compare_digest((sent or "").encode(), csrf_token_for(session_token).encode())


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refuse_if_limited(request: Request) -> None:
    """429 for an address that failed to authenticate too often, before any token is checked."""
    failures: FailedAuthentications = request.app.state.auth_failures
    wait = failures.retry_after(client_address(request))
    if wait is not None:
        raise Problem(
            429,
            "Too many failed authentications",
            f"Too many failed authentications from this address; retry in {wait} s.",
            slug="too-many-failed-authentications",
            headers={"Retry-After": str(wait)},
        )


def authentication_failed(request: Request, reason: str) -> None:
    """Count a failure against the client's address and log it, never the token itself."""
    address = client_address(request)
    failures: FailedAuthentications = request.app.state.auth_failures
    failures.failed(address)
    # The path only: a query string may hold a token (the console's login link).
    log.warning(
        "authentication failed from %s on %s %s: %s",
        address,
        request.method,
        request.url.path,
        reason,
    )
    wait = failures.retry_after(address)
    if wait is not None:
        log.warning(
            "%s reached %d failed authentications in %g s: refused for %d s",
            address,
            failures.limit,
            failures.window_s,
            wait,
        )


async def caller_for_token(request: Request, token: str) -> Caller | None:
    """Who `token` belongs to (None when it is not valid), from the cache or the database.

    Every token check goes through here: it refuses a client over the failure limit (429),
    counts and logs a failure, and notes the use of a valid token.
    """
    refuse_if_limited(request)
    token_hash = hash_token(token)
    cache: TokenCache = request.app.state.token_cache
    known, caller = cache.get(token_hash)
    if not known:
        async with request.app.state.database.read() as session:
            row = await find_token(session, token)
        caller = Caller(name=row.name, role=row.role, token_id=row.id) if row else None
        cache.put(token_hash, caller)
    if caller is None:
        authentication_failed(request, "unknown or revoked token")
    elif caller.token_id is not None:
        usage: TokenUsage = request.app.state.token_usage
        usage.seen(caller.token_id)
    return caller


async def identify(request: Request) -> Caller | None:
    """The caller named by `Authorization: Bearer …`, else by the console session cookie.

    None when neither was sent (or the cookie's token is no longer valid). A change made with
    the cookie must carry the session's CSRF token in `X-CSRF-Token`.
    """
    header = request.headers.get("authorization")
    if not header:
        # The CLI on a database runs the API in its own process: its user is a local admin.
        local: Caller | None = request.app.state.local_caller
        return local or await _session_caller(request)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        refuse_if_limited(request)
        authentication_failed(request, "not a bearer token")
        raise _unauthorized("Send the token as `Authorization: Bearer <token>`.")
    caller = await caller_for_token(request, token.strip())
    if caller is None:
        raise _unauthorized("The token is not valid.")
    return caller


async def _session_caller(request: Request) -> Caller | None:
    session_token = request.cookies.get(SESSION_COOKIE)
    if not session_token:
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(
        session_token, request.headers.get(CSRF_HEADER)
    ):
        raise Problem(403, "Forbidden", "missing or wrong CSRF token", slug="csrf")
    return await caller_for_session(request, session_token)


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


async def caller_for_session(request: Request, session_id: str) -> Caller | None:
    """Who a console session belongs to (None when it ended), noting that it was seen."""
    async with request.app.state.database.read() as session:
        owner = await sessions.session_owner(session, session_id)
    if owner is None:
        return None
    if not owner.seen_recently:
        async with request.app.state.database.write() as session:
            await sessions.mark_seen(session, owner.session_hash)
    return Caller(name=owner.token_name, role=owner.role)

"""Signing in to the console: a random, server-side session behind the cookie (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from modeldeck.api.auth import (
    SESSION_COOKIE,
    Caller,
    caller_for_session,
    csrf_matches,
)
from modeldeck.api.web import SECURITY_HEADERS
from modeldeck.auth import sessions
from modeldeck.auth.sessions import csrf_token_for
from modeldeck.settings import Settings

# What a browser says of a request it sends (Fetch Metadata); "none" is a typed address.
SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})


@dataclass(frozen=True)
class Session:
    """Who is looking at a page, and the CSRF token their forms and fetches carry."""

    caller: Caller | None = None
    csrf_token: str = ""

    @property
    def signed_in(self) -> bool:
        return self.caller is not None

    @property
    def can_write(self) -> bool:
        return self.caller is not None and self.caller.role == "admin"


async def current_session(request: Request) -> Session:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return Session()
    caller = await caller_for_session(request, session_id)
    if caller is None:
        return Session()
    return Session(caller, csrf_token_for(session_id))


def form_csrf_ok(request: Request, visitor: Session, sent: str | None) -> bool:
    """A form posted within a session must carry that session's CSRF token."""
    session_id = request.cookies.get(SESSION_COOKIE)
    return not visitor.signed_in or (session_id is not None and csrf_matches(session_id, sent))


def same_origin(request: Request) -> bool:
    """Refuse forms posted from another site: browsers send `Origin` with every POST, and
    `Sec-Fetch-Site` with every request; a client that sends neither is not a browser."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME_ORIGIN_FETCHES:
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def local_path(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def redirect(target: str) -> Response:
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


def sign_in_redirect(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/login" if here == "/" else "/login?" + urlencode({"next": here}))


def lifetime(request: Request) -> timedelta:
    settings: Settings = request.app.state.settings
    return timedelta(hours=settings.session_ttl_hours)


def signed_in(request: Request, session_id: str, target: str) -> Response:
    """Redirect to `target` with the new session's id in the cookie."""
    response = redirect(local_path(target))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(lifetime(request).total_seconds()),
        path="/",
        secure=request.app.state.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


async def signed_out(request: Request) -> Response:
    """End the session on the server, then clear the cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        async with request.app.state.database.write() as db:
            await sessions.end_session(db, session_id)
    response = redirect("/")
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=request.app.state.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response

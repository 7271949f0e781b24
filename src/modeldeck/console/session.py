"""Signing in to the console: the session cookie holds the token itself (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from modeldeck.auth.dependencies import (
    SESSION_COOKIE,
    Caller,
    caller_for_token,
    csrf_matches,
    csrf_token_for,
)
from modeldeck.console.render import SECURITY_HEADERS

SESSION_SECONDS = 7 * 24 * 3600


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
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Session()
    caller = await caller_for_token(request, token)
    if caller is None:
        return Session()
    return Session(caller, csrf_token_for(token))


def form_csrf_ok(request: Request, visitor: Session, sent: str | None) -> bool:
    """A form posted within a session must carry that session's CSRF token."""
    token = request.cookies.get(SESSION_COOKIE)
    return not visitor.signed_in or (token is not None and csrf_matches(token, sent))


def same_origin(request: Request) -> bool:
    """Refuse forms posted from another site (browsers send `Origin` with every POST)."""
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


def signed_in(request: Request, token: str, target: str) -> Response:
    """Redirect to `target` with the session cookie set; the token leaves the URL."""
    response = redirect(local_path(target))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def signed_out(request: Request) -> Response:
    response = redirect("/")
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response

"""One error type for the whole service (`modeldeck.problems`), rendered as problem+json here."""

from __future__ import annotations

import errno
import logging
import re
import socket
import sqlite3
from collections.abc import Iterator, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path

from modeldeck.problems import PROBLEM_TYPE_BASE as PROBLEM_TYPE_BASE
from modeldeck.problems import FieldError as FieldError
from modeldeck.problems import Problem as Problem
from modeldeck.problems import conflict as conflict
from modeldeck.problems import field_errors as field_errors
from modeldeck.problems import field_path as field_path
from modeldeck.problems import invalid as invalid
from modeldeck.problems import not_found as not_found

log = logging.getLogger("modeldeck")


def validation_problem(error: ValidationError | RequestValidationError) -> Problem:
    raw = error.errors()
    for item in raw:
        if item.get("type") == "json_invalid":
            position = (item.get("ctx") or {}).get("error", "")
            return Problem(
                400,
                "Invalid JSON",
                f"The request body is not valid JSON: {position}".rstrip(": "),
                slug="invalid-json",
            )
    return invalid(field_errors(raw))


# PostgreSQL SQLSTATEs (Appendix A) of a server that cannot serve now: every connection
# exception (class 08), admin_shutdown (57P01: shutting down, or the backend was terminated),
# crash_shutdown (57P02), cannot_connect_now (57P03: starting up or shutting down) and
# too_many_connections (53300).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08"})
# SQLite primary result codes of a database another connection holds: BUSY ("database is
# locked") and LOCKED ("database table is locked"); extended codes keep them in the low byte.
UNAVAILABLE_SQLITE_CODES = frozenset({5, 6})
# Socket errors of a server that cannot be reached (beside ConnectionError and TimeoutError).
UNREACHABLE_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.EADDRNOTAVAIL}
)
RETRY_AFTER_S = 1


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, the driver error SQLAlchemy wraps, and what each was raised from, without loops.

    Only `orig` and `__cause__` (SQLAlchemy and its drivers raise `from` the driver's error):
    an error merely raised while another was handled is not caused by it.
    """
    seen: set[int] = set()
    pending = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen or len(seen) > 32:
            continue
        seen.add(id(error))
        yield error
        for cause in (getattr(error, "orig", None), error.__cause__):
            if isinstance(cause, BaseException):
                pending.append(cause)


def _unavailable_sqlstate(error: BaseException) -> bool:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if not isinstance(state, str) or len(state) != 5:
        return False
    return state in UNAVAILABLE_SQLSTATES or state[:2] in UNAVAILABLE_SQLSTATE_CLASSES


def _unreachable_socket(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if not isinstance(error, OSError):
        return False
    if error.errno in UNREACHABLE_ERRNOS:
        return True
    # asyncio's create_connection when every address of a host refused: a plain OSError.
    text = str(error)
    return text.startswith("Multiple exceptions: ") and "Connect call failed" in text


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot serve right now (retry), not a bug of ours.

    The one classification of every database-unavailable condition: PostgreSQL shutting
    down, starting up, a connection lost mid-query, too many connections; the pool giving
    no connection in time; SQLite's "database is locked"; a server that cannot be reached.
    """
    for error in _causes(exc):
        if isinstance(error, PoolTimeout):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if _unavailable_sqlstate(error) or _unreachable_socket(error):
            return True
        if isinstance(error, sqlite3.Error):
            code = getattr(error, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in UNAVAILABLE_SQLITE_CODES:
                return True
    return False


def database_unavailable_problem() -> Problem:
    return Problem(
        503,
        "Database unavailable",
        "The database cannot serve requests right now; retry in a moment.",
        slug="database-unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _described(exc: BaseException) -> str:
    """The error's kind for a log line: its class and SQLSTATE, never its text (SQL, values)."""
    kinds = []
    for error in _causes(exc):
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        kinds.append(type(error).__name__ + (f"[{state}]" if isinstance(state, str) else ""))
    return " <- ".join(kinds)


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """The methods of the resource at `path`: every route of its most specific template.

    Starlette's 405 lists only the first route whose path matched; `/api/models/{ref:path}`
    and `/api/models/{ref:path}/prices` both match `/api/models/x/prices`, and the longer
    literal template is the resource.
    """
    matching: dict[str, set[str]] = {}
    for route in iter_route_contexts(routes):
        if route.path is None or not route.methods:
            continue
        regex, template, _ = compile_path(route.path)
        if regex.match(path):
            matching.setdefault(template, set()).update(route.methods)
    if not matching:
        return []
    resource = max(matching, key=lambda template: len(re.sub(r"{[^}]*}", "", template)))
    return sorted(matching[resource])


def install(app: FastAPI) -> None:
    """Route every error through `Problem` so clients always get problem+json."""

    async def on_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return exc.response()

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError | ValidationError)
        return validation_problem(exc).response()

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app.router.routes, request.url.path))
        return Problem(exc.status_code, title, detail, headers=headers).response()

    async def on_database(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc):
            log.warning(
                "database unavailable on %s %s: %s",
                request.method,
                request.url.path,
                _described(exc),
            )
            return database_unavailable_problem().response()
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc):  # a driver error nothing above recognised by its type
            return await on_database(request, exc)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return Problem(
            500, "Internal error", "The server failed; the error was logged.", slug="internal"
        ).response()

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    database_errors: list[type[Exception]] = [SQLAlchemyError, OSError, sqlite3.Error]
    if app.state.database.dialect == "postgresql":
        import asyncpg  # only its own driver raises these; an app on SQLite never loads it

        database_errors.append(asyncpg.PostgresError)
    for database_error in database_errors:
        app.add_exception_handler(database_error, on_database)
    app.add_exception_handler(Exception, on_unexpected)

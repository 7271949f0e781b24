"""One error type for the whole service, rendered as RFC 9457 problem+json in one place."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from modeldeck import serialization

log = logging.getLogger("modeldeck")

PROBLEM_TYPE_BASE = "https://modeldeck.dev/problems/"


class FieldError(dict[str, str]):
    """One `{"field": ..., "message": ...}` entry of a validation problem."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field=field, message=message)


class Problem(Exception):
    """An error a client can act on; becomes `application/problem+json`."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        slug: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail or title
        self.slug = slug or title.lower().replace(" ", "-")
        self.errors = list(errors)
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            document["errors"] = self.errors
        return document

    def response(self) -> Response:
        return Response(
            serialization.dumps_bytes(self.body()),
            status_code=self.status,
            media_type="application/problem+json",
            headers=self.headers,
        )


def invalid(errors: Iterable[FieldError], detail: str | None = None) -> Problem:
    errors = list(errors)
    if detail is None:
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    return Problem(422, "Invalid input", detail, slug="validation", errors=errors)


def not_found(what: str) -> Problem:
    return Problem(404, "Not found", f"{what} was not found", slug="not-found")


def conflict(detail: str, *, errors: Sequence[FieldError] = ()) -> Problem:
    return Problem(409, "Conflict", detail, slug="conflict", errors=errors)


def field_path(location: Sequence[str | int]) -> str:
    """("body", "pricing", "tiers", 0, "input") → "pricing.tiers[0].input"."""
    parts: list[str] = []
    for item in location:
        if item in ("body", "query", "path", "header") and not parts:
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(str(item))
    return "".join(parts) or "body"


_FRIENDLY = {
    "extra_forbidden": "is not a field of this object",
    "missing": "is required",
    "finite_number": "must be a finite number",
    "json_invalid": "is not valid JSON",
}


def field_errors(errors: Iterable[Any]) -> list[FieldError]:
    """Pydantic's error list as our field errors, with short plain messages."""
    result = []
    for error in errors:
        location = error.get("loc", ())
        # Union members add their type name to the location; the user never wrote it.
        location = tuple(
            part
            for part in location
            if not (isinstance(part, str) and ("[" in part or part in ("function-after",)))
        )
        message = _FRIENDLY.get(error.get("type", ""), error.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        result.append(FieldError(field_path(location), message))
    return result


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


def database_unreachable(exc: BaseException) -> bool:
    """A lost or refused database connection (a restart, a failover), not a bug of ours."""
    if isinstance(exc, ConnectionError | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def install(app: FastAPI) -> None:
    """Route every error through `Problem` so clients always get problem+json."""

    async def on_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return exc.response()

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError | ValidationError)
        return validation_problem(exc).response()

    async def on_http(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return Problem(exc.status_code, title, detail, headers=dict(exc.headers or {})).response()

    async def on_database(request: Request, exc: Exception) -> Response:
        if database_unreachable(exc):
            log.warning("database unreachable on %s %s", request.method, request.url.path)
            return Problem(
                503,
                "Database unavailable",
                "The database cannot be reached right now; retry in a moment.",
                slug="database-unavailable",
                headers={"Retry-After": "1"},
            ).response()
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return Problem(
            500, "Internal error", "The server failed; the error was logged.", slug="internal"
        ).response()

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(ConnectionError, on_database)
    app.add_exception_handler(Exception, on_unexpected)

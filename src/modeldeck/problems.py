"""The one error type a client can act on, and its RFC 9457 body: pure, no web framework.

`modeldeck.api.errors` renders it as `application/problem+json` and maps every other failure
onto it; the client and the query code raise it without loading the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from modeldeck import serialization

if TYPE_CHECKING:
    from starlette.responses import Response

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
        from starlette.responses import Response

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

"""Request plumbing shared by every endpoint: the session, the JSON body, preconditions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from modeldeck import serialization
from modeldeck.problems import Problem

# Every HTML page (the console, /docs): no inline script or style anywhere; data reaches
# scripts through data-* attributes.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Put the router's routes into the app as they are: each is built once, on import.

    `app.include_router` keeps the router and builds every route of it a second time (its copy
    for that inclusion: prefix, tags, dependencies and overrides of the includer), on the first
    request that walks past the router; the first request after a start paid ~30 ms for that.
    The routers here carry their prefix and tags themselves and the app adds nothing (nor
    uses `dependency_overrides`), so their routes serve unchanged, in the same order.
    """
    app.router.routes.extend(router.routes)


class ExactJSONResponse(Response):
    """JSON that writes Decimal money exactly."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return serialization.dumps_bytes(content)


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The one session of a write request, in the database's one write transaction.

    Used with `Depends(..., scope="function")` so the commit happens before the response.
    This instance learns of its own revision at once, before any announcement comes back.
    """
    async with request.app.state.database.write(
        on_commit=request.app.state.revisions.observe
    ) as session:
        yield session


async def json_body(request: Request) -> Any:
    """The request body as JSON, with exact decimals; 415 and 400 in plain words otherwise."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in ("application/json", "application/merge-patch+json") and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise Problem(
            415,
            "Unsupported media type",
            "Send the body as JSON with `Content-Type: application/json`.",
            slug="unsupported-media-type",
        )
    raw = await request.body()
    if not raw.strip():
        raise Problem(400, "Invalid JSON", "The request body is empty.", slug="invalid-json")
    try:
        body = serialization.loads(raw)
    except RecursionError:
        raise _invalid_json("it is nested too deeply") from None
    except ValueError as error:
        raise _invalid_json(str(error)) from None
    if not _encodable(body):
        raise _invalid_json("a string holds an unpaired surrogate (\\ud800-\\udfff)")
    return body


def _invalid_json(reason: str) -> Problem:
    return Problem(
        400, "Invalid JSON", f"The request body is not valid JSON: {reason}", slug="invalid-json"
    )


def _encodable(value: Any) -> bool:
    """Whether every string (keys too) can be stored and sent back as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


# The model's ETag, `"<version>-<hash>"`, or just its version: `"3"`.
_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})(?:-[0-9a-f]{1,64})?"\s*$')


def if_match_version(request: Request) -> int | None:
    """The model version an `If-Match` header names, if any."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    if match is None:
        raise Problem(
            400,
            "Bad If-Match",
            'If-Match must be the model\'s ETag, its version in quotes: If-Match: "3".',
            slug="bad-if-match",
        )
    return int(match.group(1))


def etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {item.strip().removeprefix("W/") for item in header.split(",")}
    return etag in candidates or "*" in candidates


def body_schema(component: str | None, example: Any) -> dict[str, Any]:
    """OpenAPI for a JSON body that the handler validates itself (see `openapi.py`)."""
    schema = {"$ref": f"#/components/schemas/{component}"} if component else {"type": "object"}
    media = {"schema": schema, "example": example}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": media, "application/merge-patch+json": media},
        }
    }

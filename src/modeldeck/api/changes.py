"""The change feed: `/api/changes` (long-poll) and `/api/events` (Server-Sent Events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_reader
from modeldeck.api.web import ExactJSONResponse
from modeldeck.changes import sse
from modeldeck.changes.feed import DEFAULT_LIMIT, MAX_LIMIT, ChangeFeed
from modeldeck.changes.revision import RevisionWatcher

router = APIRouter(prefix="/api", tags=["changes"])

Reader = Annotated[Caller | None, Depends(require_reader)]

EVENT_EXAMPLE = {
    "revision": 42,
    "at": "2026-01-05T09:30:00.123456Z",
    "actor": "token:ci",
    "changes": [
        {
            "action": "update",
            "model_id": "0f5c…",
            "model_name": "gpt-4o",
            "alias_id": None,
            "alias_name": None,
        }
    ],
}


def _feed(request: Request) -> ChangeFeed:
    feed: ChangeFeed = request.app.state.change_feed
    return feed


def _revisions(request: Request) -> RevisionWatcher:
    revisions: RevisionWatcher = request.app.state.revisions
    return revisions


@router.get(
    "/changes",
    summary="Changes after a revision; waits up to `wait` seconds for one",
    operation_id="listChanges",
    response_class=Response,
    responses={
        200: {
            "model": answers.ChangesPage,
            "description": '`{"revision": R, "events": [...], "more": false}`, oldest first',
            "content": {
                "application/json": {
                    "example": {"revision": 42, "events": [EVENT_EXAMPLE], "more": False}
                }
            },
        }
    },
)
async def changes(
    request: Request,
    _: Reader,
    since: Annotated[
        int, Query(ge=0, description="The last revision you have; events after it come back")
    ] = 0,
    wait: Annotated[
        float,
        Query(ge=0, le=60, description="Seconds to hold the request while nothing is newer"),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    feed = _feed(request)
    page = await feed.after(since, limit)
    if not page.events and wait > 0:
        revisions = _revisions(request)
        with revisions.subscribed("long_poll"):
            await revisions.wait_beyond(max(since, page.revision), wait)
        page = await feed.after(since, limit)
    return ExactJSONResponse(page.body())


@router.get(
    "/events",
    summary="Server-Sent Events: one `change` event per revision; resumes from Last-Event-ID",
    operation_id="streamEvents",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`id: R`, `event: change`, `data: <ChangeEvent as JSON>` per revision",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(
    request: Request,
    _: Reader,
    since: Annotated[
        int | None, Query(ge=0, description="Replay events after this revision")
    ] = None,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, description="Sent by EventSource on reconnect"),
    ] = None,
) -> StreamingResponse:
    feed = _feed(request)
    cursor = last_event_id if last_event_id is not None else since
    if cursor is None:
        cursor = await feed.latest()
    return StreamingResponse(
        sse.stream(feed, _revisions(request), cursor),
        media_type="text/event-stream",
        # Proxies must pass each event on at once, not buffer or transform the stream.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

"""Server-Sent Events: one subscriber's stream, and a reader for the receiving side."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from dataclasses import dataclass

from modeldeck.changes.feed import ChangeFeed
from modeldeck.changes.revision import RevisionWatcher

log = logging.getLogger("modeldeck.changes")

RETRY = b"retry: 1000\n\n"
HEARTBEAT = b": heartbeat\n\n"
BATCH = 500
BACKOFF_S = (0.1, 2.0)


async def stream(feed: ChangeFeed, revisions: RevisionWatcher, cursor: int) -> AsyncIterator[bytes]:
    """Every event after revision `cursor`, then each new one as this instance learns of it.

    Ends when the instance stops (`revisions.close()`); the server ends it when the client
    goes away. A database outage only pauses it: heartbeats go on, events resume after.
    """
    with revisions.subscribed("sse"):
        async with contextlib.aclosing(_messages(feed, revisions, cursor)) as messages:
            async for message in messages:
                yield message


async def _messages(
    feed: ChangeFeed, revisions: RevisionWatcher, cursor: int
) -> AsyncGenerator[bytes]:
    yield RETRY
    quiet_since = time.monotonic()
    delay = BACKOFF_S[0]
    stalled = False
    while not revisions.closed:
        try:
            page = await feed.after(cursor, BATCH)
        except Exception as error:  # a database blip must not end the stream
            log.warning("change stream read failed: %s", type(error).__name__)
            page = None
        if page is not None:
            for event in page.events:
                yield event.frame
            if page.events:
                quiet_since = time.monotonic()
                cursor = page.events[-1].revision
            if page.more:
                continue
            cursor = max(cursor, page.revision)
        idle = time.monotonic() - quiet_since
        if idle >= feed.heartbeat_s:
            yield HEARTBEAT
            quiet_since = time.monotonic()
        elif page is not None and (page.events or revisions.known <= cursor):
            stalled, delay = False, BACKOFF_S[0]
            await revisions.wait_beyond(cursor, feed.heartbeat_s - idle)
        elif page is None or stalled:
            # The database fails, or lags what this instance knows: back off, don't spin.
            await revisions.wait_beyond(revisions.known, min(delay, feed.heartbeat_s - idle))
            delay = min(delay * 2, BACKOFF_S[1])
        else:
            stalled = True  # a revision arrived during the read: read again at once


@dataclass(frozen=True)
class Message:
    """One message of an event stream; a comment line (a heartbeat) has only `comment`."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    comment: str | None = None


async def read_messages(lines: AsyncIterable[str]) -> AsyncIterator[Message]:
    """Messages from the lines of a `text/event-stream` body (as `httpx.Response.aiter_lines`)."""
    event, data, last_id = "message", list[str](), None
    async for line in lines:
        if not line:
            if data:
                yield Message(event=event, data="\n".join(data), id=last_id)
            event, data = "message", []
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if not name:
            yield Message(comment=value)
        elif name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            last_id = value

"""How an instance hears of revisions committed elsewhere: PostgreSQL LISTEN, or a check."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from modeldeck.changes import repository
from modeldeck.changes.revision import RevisionWatcher, current_revision
from modeldeck.db import CHANGES_CHANNEL, Database

log = logging.getLogger("modeldeck.changes")

BACKOFF_S = (0.1, 2.0)
# A silent network can leave a dead socket open; a ping this often notices it.
PING_S = 10.0
# On PostgreSQL, NOTIFY does the work; the periodic check is only a slow safety net.
POSTGRES_CHECK_INTERVAL_S = 5.0
LISTENER_NAME = "modeldeck-listener"


async def follow_revisions(database: Database, revisions: RevisionWatcher, interval: float) -> None:
    """Notice changes committed by other instances (cheap: one integer per interval)."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with database.read() as session:
                revisions.observe(await current_revision(session))
        except Exception as error:  # a database blip must not end the loop
            log.warning("revision check failed: %s", type(error).__name__)


def connect_args(database: Database) -> dict[str, Any]:
    """asyncpg's arguments for the engine's URL (host, database, user, ssl, …)."""
    import asyncpg  # only instances on PostgreSQL need it

    _, arguments = database.engine.dialect.create_connect_args(database.engine.url)
    accepted = inspect.signature(asyncpg.connect).parameters
    return {name: value for name, value in arguments.items() if name in accepted}


async def listen(database: Database, revisions: RevisionWatcher) -> None:
    """`LISTEN` on a dedicated connection and observe each announced revision, forever.

    When the connection drops it reconnects with backoff and then reads the current revision,
    so a change committed while it was away is noticed too. Cancel the task to stop it.
    """
    import asyncpg  # only instances on PostgreSQL listen

    arguments = {"timeout": 5.0} | connect_args(database)
    # Named, so an operator (or a test) finds the listening connection in pg_stat_activity.
    server_settings = {"application_name": LISTENER_NAME} | dict(
        arguments.get("server_settings") or {}
    )
    arguments["server_settings"] = server_settings

    def announced(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            revisions.observe(int(payload))
        except ValueError:
            log.warning("ignored a notification that is not a revision: %r", payload[:40])

    delay = BACKOFF_S[0]
    while True:
        connection: Any = None
        try:
            connection = await asyncpg.connect(**arguments)
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
            await connection.add_listener(CHANGES_CHANNEL, announced)
            # Listening first, then reading: nothing committed in between is missed.
            revisions.observe(await repository.revision_on(connection))
            delay = BACKOFF_S[0]
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), PING_S)
                if not lost.is_set():
                    await repository.ping(connection)
            log.warning("change listener lost its connection; reconnecting")
        except Exception as error:  # whatever failed, listening must resume
            log.warning("change listener cannot reach the database: %s", type(error).__name__)
        finally:
            if connection is not None:
                await _close(connection)
        revisions.listener_reconnects += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_S[1])


async def _close(connection: Any) -> None:
    try:
        await asyncio.wait_for(connection.close(), 2)
    except Exception:  # a dead socket: drop it without the goodbye
        connection.terminate()


def _close_on_exit_signal(revisions: RevisionWatcher) -> Callable[[], None]:
    """Close the watcher as soon as the server is told to stop; returns the undo.

    Uvicorn waits for open responses before the lifespan ends, and an event stream never
    ends by itself: closing the watcher first lets every stream finish.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def on_signal(number: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(revisions.close)
        handler = previous[number]
        if callable(handler):
            handler(number, frame)

    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        if callable(handler):  # only where a server installed its own graceful handler
            previous[number] = handler
            signal.signal(number, on_signal)

    def undo() -> None:
        for number, handler in previous.items():
            if signal.getsignal(number) is on_signal:
                signal.signal(number, handler)

    return undo


@asynccontextmanager
async def following_changes(
    database: Database, revisions: RevisionWatcher, check_interval_s: float
) -> AsyncIterator[None]:
    """For the app's lifespan: learn of other instances' changes until the app stops."""
    tasks = []
    if database.dialect == "postgresql":
        tasks.append(asyncio.create_task(listen(database, revisions)))
        check_interval_s = max(check_interval_s, POSTGRES_CHECK_INTERVAL_S)
    tasks.append(asyncio.create_task(follow_revisions(database, revisions, check_interval_s)))
    undo_signal_hook = _close_on_exit_signal(revisions)
    try:
        yield
    finally:
        undo_signal_hook()
        revisions.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

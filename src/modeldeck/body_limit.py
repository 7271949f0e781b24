"""Refuse request bodies over `MODELDECK_MAX_BODY_BYTES` before they are read (413).

A body announced too large by `Content-Length` is refused without reading a byte of it. Any
other body (chunked, or one longer than its `Content-Length` claims) is counted as the app
pulls it: the chunk that crosses the limit is never handed over, and the app's answer is
replaced by the 413, so at most the limit is ever held in memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modeldeck.problems import Problem


class BodyTooLarge(Problem):
    """A request body over the limit; raised from `receive` and answered with 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            "Content too large",
            f"The request body is larger than the limit of {limit} bytes.",
            slug="content-too-large",
        )


def declared_length(scope: Scope) -> int | None:
    """The largest `Content-Length` the request declares, if it declares one we can read."""
    lengths = [
        int(value)
        for name, value in scope.get("headers", ())
        if name.lower() == b"content-length" and value.strip().isdigit()
    ]
    return max(lengths, default=None)


class BodyLimitMiddleware:
    """Counts what the app receives and stops at `max_body_bytes`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        length = declared_length(scope)
        if length is not None and length > limit:
            await BodyTooLarge(limit).response()(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the app answers to the cut body, the client gets the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await BodyTooLarge(limit).response()(scope, receive, send)

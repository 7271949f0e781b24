"""The anchor: a bare Starlette app returning fixed bytes, served like `modeldeck serve`."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(body: bytes) -> Starlette:
    async def handler(_: Request) -> Response:
        return Response(body, media_type="application/json", headers={"ETag": '"anchor"'})

    return Starlette(routes=[Route("/{path:path}", handler)])


if __name__ == "__main__":
    body_file, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        build(Path(body_file).read_bytes()),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )

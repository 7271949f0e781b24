"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from starlette.responses import JSONResponse, PlainTextResponse

from modeldeck.auth.dependencies import Caller, require_reader
from modeldeck.health.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers")
async def readyz(request: Request) -> JSONResponse:
    try:
        async with request.app.state.database.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:  # any database failure means "not ready", never a 500
        return JSONResponse(
            {"status": "unavailable", "detail": f"database unreachable: {type(error).__name__}"},
            status_code=503,
        )
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics", summary="Prometheus metrics of this instance", response_class=PlainTextResponse
)
async def metrics(
    request: Request, _: Annotated[Caller | None, Depends(require_reader)]
) -> PlainTextResponse:
    state = request.app.state
    try:
        models = (await state.registry_cache.current()).models
    except Exception:  # the database being down must not hide the request counters
        models = None
    text = exposition(state.metrics, revision=state.revisions.known, models=models)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

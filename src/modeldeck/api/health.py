"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_reader
from modeldeck.api.errors import database_unavailable_problem
from modeldeck.api.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    operation_id="health",
    response_class=JSONResponse,
    responses={200: {"model": answers.Health}},
)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: the database answers",
    operation_id="readiness",
    response_class=JSONResponse,
    responses={200: {"model": answers.Health}, 503: {"description": "The database is unreachable"}},
)
async def readyz(request: Request) -> Response:
    try:
        await request.app.state.database.ping()
    except Exception as error:  # any database failure means "not ready", never a 500
        problem = database_unavailable_problem()
        problem.detail = f"The database is unreachable: {type(error).__name__}."
        return problem.response()
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics of this instance",
    operation_id="metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The Prometheus text exposition format (0.0.4)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
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

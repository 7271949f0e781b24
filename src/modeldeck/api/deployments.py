"""HTTP for testing a deployment (DESIGN §4): `POST /api/models/{ref}/test`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_admin
from modeldeck.api.web import ExactJSONResponse
from modeldeck.deployments import service
from modeldeck.deployments.policy import OutboundPolicy
from modeldeck.models.snapshot import RegistryCache
from modeldeck.problems import not_found

router = APIRouter(tags=["models"])

Admin = Annotated[Caller, Depends(require_admin)]

OK_EXAMPLE = {"ok": True, "latency_ms": 412.5, "model": "gpt-4o", "deployment": "gpt-4o"}
FAILED_EXAMPLE = {
    "ok": False,
    "error": "https://contoso.openai.azure.com refused the key in AZURE_OPENAI_API_KEY "
    "(HTTP 401): check that it is the right key for this endpoint and still valid.",
    "kind": "auth",
    "status": 401,
    "latency_ms": 88.1,
    "model": "gpt-4o",
    "deployment": "gpt-4o",
}


# `{ref:path}`: model names may contain "/" (for example azure/gpt-4o).
@router.post(
    "/api/models/{ref:path}/test",
    summary="Call the deployment once (1 token): latency, or the provider's error in plain words",
    operation_id="testModel",
    response_class=Response,
    responses={
        200: {
            "model": answers.DeploymentCheck,
            "description": "`ok: true` with `latency_ms`, or `ok: false` with `error` and `kind` "
            "(auth, not_found, timeout, connection, tls, redirect, not_allowed, rate_limit, "
            "bad_request, server_error, unsupported, missing_key, bad_key, missing_endpoint, "
            "disabled)",
            "content": {
                "application/json": {
                    "examples": {
                        "ok": {"value": OK_EXAMPLE},
                        "failed": {"value": FAILED_EXAMPLE},
                    }
                }
            },
        },
        404: {"description": "No such model"},
        422: {
            "description": "`deployment.api_key_env` names a variable the server may not read "
            "(MODELDECK_TEST_KEY_ENV_ALLOW)"
        },
    },
)
async def check_deployment(request: Request, ref: str, _: Admin) -> Response:
    cache: RegistryCache = request.app.state.registry_cache
    record = (await cache.current()).find(ref)
    if record is None:
        raise not_found(f"Model {ref!r}")
    result = await service.check_deployment(
        record,
        request.app.state.database,
        request.app.state.vault,
        OutboundPolicy.from_settings(request.app.state.settings),
    )
    return ExactJSONResponse(result)

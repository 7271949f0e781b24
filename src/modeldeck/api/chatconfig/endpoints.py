"""`/api/config/models`: seed 004's chat-service contract over the registry (DESIGN §7).

Same records, same service functions, same rules as `/api/models` (see `mapping.py` for
how the fields map). What stays as seed 004 answered: the shapes, the status strings,
200 for every successful write, 400 `Model already exists` and `Cannot delete default
model`, 404 `Model not found`. What is the registry's: problem+json (with `detail`), 422
naming the seed fields, an admin token for writes (401/403), 409 when a write would change
the catalog-owned fields of a system model or delete one, and one audit entry per change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from modeldeck import serialization
from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_admin, require_reader
from modeldeck.api.chatconfig import mapping
from modeldeck.api.chatconfig.mapping import ModelConfigModel
from modeldeck.api.web import (
    ExactJSONResponse,
    etag_matches,
    if_match_version,
    json_body,
    write_session,
)
from modeldeck.changes.revision import claim_revision
from modeldeck.models import repository, service
from modeldeck.models.public import model_public
from modeldeck.models.snapshot import RegistryCache, Snapshot, etag_of
from modeldeck.models.tables import ModelRow
from modeldeck.problems import FieldError, Problem, conflict, invalid
from modeldeck.records.fields import PROVIDERS

router = APIRouter(prefix="/api/config/models", tags=["config (seed 004)"])

WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
Admin = Annotated[Caller, Depends(require_admin)]
Reader = Annotated[Caller | None, Depends(require_reader)]
Body = Annotated[Any, Depends(json_body)]

# The schema is a component of the document (`openapi.DOCUMENTED_BODIES`).
REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{ModelConfigModel.__name__}"},
                "example": mapping.EXAMPLE,
            }
        },
    }
}


def _problem_doc(detail: str) -> dict[str, Any]:
    return {"description": detail, "content": {"application/problem+json": {}}}


def _not_found() -> Problem:
    return Problem(404, "Not found", "Model not found", slug="not-found")


def _cache(request: Request) -> RegistryCache:
    cache: RegistryCache = request.app.state.registry_cache
    return cache


def _context(request: Request, caller: Caller) -> service.WriteContext:
    return service.WriteContext(actor=caller.actor, vault=request.app.state.vault)


def _listing(request: Request, snapshot: Snapshot, provider: str | None) -> tuple[bytes, str]:
    """The listing of this snapshot (for this provider), rendered once per snapshot."""
    cached: tuple[Snapshot, dict[str | None, tuple[bytes, str]]] | None = getattr(
        request.app.state, "config_models_listing", None
    )
    if cached is None or cached[0] is not snapshot:
        cached = (snapshot, {})
        request.app.state.config_models_listing = cached
    rendered = cached[1].get(provider)
    if rendered is None:
        body = serialization.dumps_bytes(mapping.config_listing(snapshot.models, provider))
        rendered = cached[1][provider] = (body, etag_of(body))
    return rendered


def _parse(model_id: str, body: Any) -> ModelConfigModel:
    config = service.parse_request(ModelConfigModel, body)
    if config.name.lower() != model_id.lower():
        raise invalid([FieldError("name", f"must be the model_id of the URL ({model_id!r})")])
    return config


async def _load(session: AsyncSession, model_id: str) -> ModelRow:
    """The model named `model_id` (ignoring case), after queueing for the write lock."""
    await claim_revision(session)
    row = await repository.get_by_ref(session, model_id)
    if row is None or row.name_key != model_id.lower():
        raise _not_found()
    return row


def _seed_problem(problem: Problem, row: ModelRow | None, changed: list[str]) -> Problem:
    """A problem from the service, told in the seed's field names."""
    if problem.status == 422:
        return invalid(mapping.seed_errors(problem.errors))
    locked = [error["field"] for error in problem.errors]
    if (
        problem.status == 409
        and row is not None
        and row.is_system
        and locked
        and all(field in mapping.SEED_FIELDS for field in locked)
    ):
        fields = [
            field for field in changed if any(field in mapping.SEED_FIELDS[name] for name in locked)
        ] or list(dict.fromkeys(field for name in locked for field in mapping.SEED_FIELDS[name]))
        return conflict(
            f"{', '.join(fields)} of system model {row.name!r} "
            f"{'is' if len(fields) == 1 else 'are'} owned by the built-in catalog; here only "
            "api_version and azure_endpoint of a system model can change. Clone the model "
            f"(POST /api/models/{row.name}/clone) to customise it.",
            errors=[FieldError(field, "is read-only on a system model") for field in fields],
        )
    return problem


@router.get(
    "",
    summary="All models the chat UI may offer, by name (seed 004)",
    description="Enabled models that are not retired, as `{name: ModelConfigModel}`. "
    "`provider=azure_openai`: only what seed 004's chat service can call, the Azure OpenAI "
    "models of the organisation and the system ones it gave an endpoint.",
    operation_id="listModelConfigs",
    response_class=Response,
    responses={
        200: {
            "model": dict[str, answers.ModelConfig],
            "content": {"application/json": {"example": {"gpt-4o": mapping.EXAMPLE}}},
        },
        304: {"description": "Not modified (If-None-Match)"},
        422: _problem_doc("Unknown provider"),
    },
)
async def list_configs(
    request: Request,
    _: Reader,
    provider: Annotated[
        str | None,
        Query(
            description="Only this provider's models (azure_openai: those the chat service "
            "can call)",
            json_schema_extra={"enum": list(PROVIDERS)},
        ),
    ] = None,
) -> Response:
    if provider is not None and provider not in PROVIDERS:
        raise invalid([FieldError("provider", f"must be one of {', '.join(PROVIDERS)}")])
    body, etag = _listing(request, await _cache(request).current(), provider)
    if etag_matches(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


@router.get(
    "/{model_id:path}",
    summary="One model's configuration by name, ignoring case (seed 004)",
    operation_id="getModelConfig",
    response_class=Response,
    responses={
        200: {
            "model": answers.ModelConfig,
            "content": {"application/json": {"example": mapping.EXAMPLE}},
        },
        404: _problem_doc("Model not found"),
    },
)
async def get_config(request: Request, model_id: str, _: Reader) -> Response:
    snapshot = await _cache(request).current()
    model = snapshot.by_name.get(model_id.lower())
    if model is None:
        raise _not_found()
    return ExactJSONResponse(mapping.config_view(model))


@router.post(
    "/{model_id:path}",
    summary="Create an Azure OpenAI model (seed 004)",
    operation_id="createModelConfig",
    openapi_extra=REQUEST_BODY,
    response_class=Response,
    responses={
        200: {
            "model": answers.ConfigStatus,
            "content": {"application/json": {"example": {"status": "created"}}},
        },
        400: _problem_doc("Model already exists"),
    },
)
async def create_config(
    request: Request, model_id: str, caller: Admin, session: WriteSession, body: Body
) -> Response:
    config = _parse(model_id, body)
    await claim_revision(session)
    if await repository.name_taken(session, model_id):
        raise Problem(400, "Bad request", "Model already exists", slug="model-exists")
    try:
        payload = service.parse_model(mapping.create_body(model_id, config))
        await service.create_model(session, _context(request, caller), payload)
    except Problem as problem:
        raise _seed_problem(problem, None, []) from None
    return ExactJSONResponse({"status": "created", "model_id": model_id})


@router.put(
    "/{model_id:path}",
    summary="Replace a model's seed-004 configuration; other fields are kept",
    operation_id="replaceModelConfig",
    openapi_extra=REQUEST_BODY,
    response_class=Response,
    responses={
        200: {
            "model": answers.ConfigStatus,
            "content": {"application/json": {"example": {"status": "updated"}}},
        },
        412: {},
        404: _problem_doc("Model not found"),
        409: _problem_doc("Catalog-owned fields of a system model"),
    },
)
async def update_config(
    request: Request, model_id: str, caller: Admin, session: WriteSession, body: Body
) -> Response:
    config = _parse(model_id, body)
    row = await _load(session, model_id)
    ctx = _context(request, caller)
    before = mapping.config_view(model_public(row, ctx.now))
    after = config.model_dump() | {"name": row.name}
    patch = mapping.update_patch(row.context_window, config)
    try:
        await service.update_model(
            session, ctx, row.id, patch, merge=True, if_match=if_match_version(request)
        )
    except Problem as problem:
        raise _seed_problem(problem, row, mapping.changed_fields(before, after)) from None
    return ExactJSONResponse({"status": "updated", "model_id": model_id})


@router.delete(
    "/{model_id:path}",
    summary="Delete a model (seed 004)",
    operation_id="deleteModelConfig",
    response_class=Response,
    responses={
        200: {
            "model": answers.ConfigStatus,
            "content": {"application/json": {"example": {"status": "deleted"}}},
        },
        412: {},
        400: _problem_doc("Cannot delete default model"),
        404: _problem_doc("Model not found"),
        409: _problem_doc("System models cannot be deleted"),
    },
)
async def delete_config(
    request: Request, model_id: str, caller: Admin, session: WriteSession
) -> Response:
    row = await _load(session, model_id)
    if row.is_default:
        raise Problem(400, "Bad request", "Cannot delete default model", slug="default-model")
    await service.delete_model(
        session, _context(request, caller), row.id, if_match=if_match_version(request)
    )
    return ExactJSONResponse({"status": "deleted", "model_id": model_id})

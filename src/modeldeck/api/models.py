"""HTTP for `/api/models` (DESIGN §4): thin handlers over the snapshot and the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.responses import Response

from modeldeck import serialization
from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_admin, require_reader
from modeldeck.api.web import (
    body_schema,
    etag_matches,
    if_match_version,
    json_body,
    write_session,
)
from modeldeck.audit import repository as audit_repository
from modeldeck.audit.diff import diff
from modeldeck.audit.tables import AuditEntryRow
from modeldeck.models import service
from modeldeck.models.schemas import SUB_ROUTE_WORDS, CloneRequest
from modeldeck.models.snapshot import CachedResponse, RegistryCache, model_etag
from modeldeck.problems import not_found
from modeldeck.records.query import ModelQuery, openapi_parameters


class ModelRefConvertor(PathConvertor):
    """A ref with "/" in it, but not ending in a sub-resource's name.

    So `PUT /api/models/x/default` is a method `/default` does not allow (405), never a
    replace of a model named "x/default" (names may not end so: `SUB_ROUTE_WORDS`).
    """

    regex = f"(?!.+/(?:{'|'.join(SUB_ROUTE_WORDS)})$).*"


register_url_convertor("model", ModelRefConvertor())

router = APIRouter(prefix="/api/models", tags=["models"])

WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
Admin = Annotated[Caller, Depends(require_admin)]
Reader = Annotated[Caller | None, Depends(require_reader)]

MODEL_EXAMPLE = {
    "name": "gpt-4o",
    "display_name": "GPT-4o",
    "provider": "azure_openai",
    "deployment": {
        "endpoint": "https://contoso.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "deployment": "gpt-4o",
        "api_key_env": "AZURE_OPENAI_API_KEY",
    },
    "context_window": 128000,
    "max_output_tokens": 16384,
    "capabilities": {"streaming": True, "temperature": True, "tools": True, "vision": True},
    "pricing": {"input": 2.5, "cached_input": 1.25, "output": 10},
    "tags": ["team:search"],
}


def _cache(request: Request) -> RegistryCache:
    cache: RegistryCache = request.app.state.registry_cache
    return cache


def _cached(request: Request, cached: CachedResponse, status: int = 200) -> Response:
    if etag_matches(request, cached.etag):
        return Response(status_code=304, headers={"ETag": cached.etag})
    return Response(
        cached.body,
        status_code=status,
        media_type="application/json",
        headers={"ETag": cached.etag},
    )


def _written(request: Request, model: dict[str, Any], status: int = 200) -> Response:
    body = serialization.dumps_bytes(model)
    headers = {"ETag": model_etag(model, body)}
    if status == 201:
        headers["Location"] = f"/api/models/{model['id']}"
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _context(request: Request, caller: Caller) -> service.WriteContext:
    return service.WriteContext(actor=caller.actor, vault=request.app.state.vault)


# The two hot reads are plain Starlette routes: FastAPI's parameter machinery would cost
# more than the whole answer, which is bytes cached in the snapshot. OpenAPI: `READ_OPERATIONS`.
# app.py adds both; names may hold "/", so refs are `{ref:path}` and `get_model` comes after
# every other route, so `/api/models/x/history` and the like are matched first.
async def list_models(request: Request) -> Response:
    """`{"data": [...], "count": N, "revision": R}` from the snapshot; ETag and 304."""
    await require_reader(request)
    query = ModelQuery.parse(request.query_params)
    snapshot = await _cache(request).current()
    return _cached(request, snapshot.list_response(query))


async def get_model(request: Request) -> Response:
    await require_reader(request)
    ref = request.path_params["ref"]
    snapshot = await _cache(request).current()
    model = snapshot.find(ref)
    if model is None:
        raise not_found(f"Model {ref!r}")
    return _cached(request, snapshot.model_response(model))


_MODEL_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The model's id, or its name (ignoring case)",
}
READ_OPERATIONS: dict[str, dict[str, Any]] = {
    "/api/models": {
        "get": {
            "tags": ["models"],
            "summary": "List models",
            "description": "Filters, sort, paging; served from memory; ETag and 304.",
            "operationId": "listModels",
            "parameters": openapi_parameters(),
            "responses": {
                "200": {
                    "description": "The matching models, one page of them; ETag",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}
                    },
                },
                "304": {"description": "Not modified (If-None-Match)"},
            },
        }
    },
    "/api/models/{ref}": {
        "get": {
            "tags": ["models"],
            "summary": "Get one model by id or name",
            "operationId": "getModel",
            "parameters": [_MODEL_REF],
            "responses": {
                "200": {
                    "description": 'The model; ETag `"<version>-<hash>"` (If-Match: the version)',
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ModelPublic"}}
                    },
                },
                "304": {"description": "Not modified (If-None-Match)"},
                "404": {"description": "No such model"},
            },
        }
    },
}


@router.post(
    "",
    status_code=201,
    summary="Create a model",
    operation_id="createModel",
    response_class=Response,
    responses={
        201: {"model": answers.ModelPublic, "description": "Created: the model; ETag, Location"},
        409: {"description": "The name is taken (ignoring case)"},
    },
    openapi_extra=body_schema("ModelWrite", MODEL_EXAMPLE),
)
async def create_model(
    request: Request,
    caller: Admin,
    session: WriteSession,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    payload = service.parse_model(body)
    model = await service.create_model(session, _context(request, caller), payload, body=body)
    return _written(request, model, 201)


@router.put(
    "/{ref:model}",
    summary="Replace a model (If-Match honoured)",
    operation_id="replaceModel",
    response_class=Response,
    responses={
        200: {"model": answers.ModelPublic, "description": "The model as saved; its new ETag"},
        409: {"description": "A rule of the registry (system model, default model, name)"},
        412: {"description": "If-Match names an older version"},
    },
    openapi_extra=body_schema("ModelWrite", MODEL_EXAMPLE),
)
async def replace_model(
    request: Request,
    ref: str,
    caller: Admin,
    session: WriteSession,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    model = await service.update_model(
        session,
        _context(request, caller),
        ref,
        body,
        merge=False,
        if_match=if_match_version(request),
    )
    return _written(request, model)


@router.patch(
    "/{ref:model}",
    summary="Change part of a model: JSON merge patch (If-Match honoured)",
    operation_id="updateModel",
    response_class=Response,
    responses={
        200: {"model": answers.ModelPublic, "description": "The model as saved; its new ETag"},
        409: {"description": "A rule of the registry (system model, default model, name)"},
        412: {"description": "If-Match names an older version"},
    },
    openapi_extra=body_schema("ModelPatch", {"pricing": {"input": 3}, "tags": ["beta"]}),
)
async def patch_model(
    request: Request,
    ref: str,
    caller: Admin,
    session: WriteSession,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    model = await service.update_model(
        session,
        _context(request, caller),
        ref,
        body,
        merge=True,
        if_match=if_match_version(request),
    )
    return _written(request, model)


@router.delete(
    "/{ref:model}",
    status_code=204,
    summary="Delete a model",
    operation_id="deleteModel",
    response_class=Response,
    responses={204: {"description": "Deleted"}, 400: {}, 409: {}, 412: {}},
)
async def delete_model(
    request: Request, ref: str, caller: Admin, session: WriteSession
) -> Response:
    await service.delete_model(
        session, _context(request, caller), ref, if_match=if_match_version(request)
    )
    return Response(status_code=204)


@router.post(
    "/{ref:path}/clone",
    status_code=201,
    summary="Copy a model into a new ordinary model",
    operation_id="cloneModel",
    response_class=Response,
    responses={
        201: {"model": answers.ModelPublic, "description": "The copy; ETag, Location"},
        409: {"description": "The name is taken (ignoring case)"},
    },
    openapi_extra=body_schema("CloneRequest", {"name": "gpt-4o-custom"}),
)
async def clone_model(
    request: Request,
    ref: str,
    caller: Admin,
    session: WriteSession,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    clone = service.parse_request(CloneRequest, body)
    model = await service.clone_model(
        session, _context(request, caller), ref, clone.name, clone.display_name
    )
    return _written(request, model, 201)


@router.post(
    "/{ref:path}/default",
    summary="Make this the default model",
    operation_id="makeDefaultModel",
    response_class=Response,
    responses={200: {"model": answers.ModelPublic}, 409: {}},
)
async def make_default(
    request: Request, ref: str, caller: Admin, session: WriteSession
) -> Response:
    model = await service.make_default(session, _context(request, caller), ref)
    return _written(request, model)


@router.get(
    "/{ref:path}/history",
    summary="Audit trail of one model, newest first",
    operation_id="getModelHistory",
    response_class=Response,
    responses={200: {"model": answers.AuditPage}},
)
async def model_history(
    request: Request,
    ref: str,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    snapshot = await _cache(request).current()
    model = snapshot.find(ref)
    key = model["id"] if model else ref
    async with request.app.state.database.read() as session:
        entries, count = await audit_repository.entries_for_model(
            session, key, limit=limit, offset=offset
        )
    if count == 0 and model is None:
        raise not_found(f"Model {ref!r}")
    return history_page(entries, count)


def history_page(entries: Sequence[AuditEntryRow], count: int) -> Response:
    """One page of an audit trail (`AuditPage`), each entry with its field-by-field diff."""
    data = [
        {
            "revision": entry.revision,
            "action": entry.action,
            "actor": entry.actor,
            "at": entry.at,
            "model_id": entry.model_id,
            "model_name": entry.model_name,
            "changes": diff(entry.before or {}, entry.after or {}),
            "before": entry.before,
            "after": entry.after,
        }
        for entry in entries
    ]
    return Response(
        serialization.dumps_bytes({"data": data, "count": count}), media_type="application/json"
    )

"""HTTP for `/api/aliases` (DESIGN §7): names apps call, standing for weighted target models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from modeldeck import serialization
from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_admin, require_reader
from modeldeck.api.models import history_page
from modeldeck.api.web import body_schema, etag_matches, if_match_version, json_body, write_session
from modeldeck.audit import repository as audit_repository
from modeldeck.changes.revision import current_revision
from modeldeck.models import aliases as service
from modeldeck.models import repository
from modeldeck.models.service import WriteContext
from modeldeck.problems import not_found
from modeldeck.records.alias import AliasList, AliasPublic

router = APIRouter(prefix="/api/aliases", tags=["aliases"])

WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
Admin = Annotated[Caller, Depends(require_admin)]
Reader = Annotated[Caller | None, Depends(require_reader)]

ALIAS_EXAMPLE = {
    "name": "chat",
    "description": "The chat service's model: two Azure regions, then OpenAI",
    "targets": [
        {"model": "gpt-4o-eastus", "weight": 3, "rpm": 600, "tpm": 450000},
        {"model": "gpt-4o-westeu", "weight": 1, "rpm": 200, "tpm": 150000},
    ],
    "fallbacks": [{"model": "gpt-4o-mini"}],
}


def _context(request: Request, caller: Caller) -> WriteContext:
    return WriteContext(actor=caller.actor, vault=request.app.state.vault)


def _answer(alias: dict[str, Any], status: int = 200) -> Response:
    headers = {"ETag": f'"{alias["version"]}"'}
    if status == 201:
        headers["Location"] = f"/api/aliases/{alias['id']}"
    return Response(
        serialization.dumps_bytes(alias),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


@router.get(
    "",
    summary="List aliases",
    operation_id="listAliases",
    response_class=Response,
    responses={200: {"model": AliasList, "description": "Every alias, by name; ETag"}},
)
async def list_aliases(request: Request, _: Reader) -> Response:
    async with request.app.state.database.read() as session:
        revision = await current_revision(session)
        data = await service.list_aliases(session)
    etag = f'"r{revision}"'
    if etag_matches(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    body = {"data": data, "count": len(data), "revision": revision}
    return Response(
        serialization.dumps_bytes(body), media_type="application/json", headers={"ETag": etag}
    )


@router.get(
    "/{ref}",
    summary="Get one alias by id or name",
    operation_id="getAlias",
    response_class=Response,
    responses={200: {"model": AliasPublic, "description": 'The alias; ETag `"<version>"`'}},
)
async def get_alias(request: Request, ref: str, _: Reader) -> Response:
    async with request.app.state.database.read() as session:
        alias = await service.get_alias(session, ref)
    return _answer(alias)


@router.get(
    "/{ref}/history",
    summary="Audit trail of one alias, newest first",
    operation_id="getAliasHistory",
    response_class=Response,
    responses={200: {"model": answers.AuditPage}},
)
async def alias_history(
    request: Request,
    ref: str,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Deleted aliases too, by name."""
    async with request.app.state.database.read() as session:
        found = await repository.alias_by_ref(session, ref)
        key = found.id if found is not None else ref
        entries, count = await audit_repository.entries_for_model(
            session, key, limit=limit, offset=offset, alias=True
        )
    if count == 0 and found is None:
        raise not_found(f"Alias {ref!r}")
    return history_page(entries, count)


@router.post(
    "",
    status_code=201,
    summary="Create an alias",
    operation_id="createAlias",
    response_class=Response,
    responses={
        201: {"model": AliasPublic, "description": "Created: the alias; ETag, Location"},
        409: {"description": "The name is taken by an alias or a model (ignoring case)"},
    },
    openapi_extra=body_schema("AliasWrite", ALIAS_EXAMPLE),
)
async def create_alias(
    request: Request,
    caller: Admin,
    session: WriteSession,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    payload = service.parse_alias(body)
    alias = await service.create_alias(session, _context(request, caller), payload)
    return _answer(alias, 201)


@router.put(
    "/{ref}",
    summary="Replace an alias (If-Match honoured)",
    operation_id="replaceAlias",
    response_class=Response,
    responses={
        200: {"model": AliasPublic, "description": "The alias as saved; its new ETag"},
        409: {"description": "The new name is taken by an alias or a model (ignoring case)"},
        412: {"description": "If-Match names an older version"},
    },
    openapi_extra=body_schema("AliasWrite", ALIAS_EXAMPLE),
)
async def replace_alias(
    request: Request,
    ref: str,
    caller: Admin,
    session: WriteSession,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    payload = service.parse_alias(body)
    alias = await service.replace_alias(
        session, _context(request, caller), ref, payload, if_match=if_match_version(request)
    )
    return _answer(alias)


@router.delete(
    "/{ref}",
    status_code=204,
    summary="Delete an alias (If-Match honoured)",
    operation_id="deleteAlias",
    response_class=Response,
    responses={204: {"description": "Deleted"}, 412: {}},
)
async def delete_alias(
    request: Request, ref: str, caller: Admin, session: WriteSession
) -> Response:
    await service.delete_alias(
        session, _context(request, caller), ref, if_match=if_match_version(request)
    )
    return Response(status_code=204)

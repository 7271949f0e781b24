"""HTTP for API tokens (admin): list them, revoke one. Tokens are never shown again."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from modeldeck.api import answers
from modeldeck.api.auth import Caller, TokenCache, require_admin
from modeldeck.api.web import ExactJSONResponse
from modeldeck.auth import tokens
from modeldeck.auth.usage import TokenUsage
from modeldeck.db import Database

log = logging.getLogger("modeldeck.auth")

router = APIRouter(prefix="/api/auth/tokens", tags=["tokens"])

Admin = Annotated[Caller, Depends(require_admin)]

TOKEN_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "name": "ci",
    "role": "reader",
    "created_at": "2026-11-21T09:00:00Z",
    "last_used_at": "2026-11-30T17:42:00Z",
    "revoked_at": None,
}


@router.get(
    "",
    summary="List API tokens: who may call, when each was last used, which are revoked",
    description="`last_used_at` is stored at most once a minute per token. "
    "Neither the tokens nor their hashes are ever shown.",
    operation_id="listTokens",
    response_class=Response,
    responses={
        200: {
            "model": answers.ApiTokenList,
            "content": {"application/json": {"example": {"data": [TOKEN_EXAMPLE], "count": 1}}},
        }
    },
)
async def list_tokens(request: Request, _: Admin) -> Response:
    database: Database = request.app.state.database
    usage: TokenUsage = request.app.state.token_usage
    await usage.flush(database)  # this instance's latest uses count too
    async with database.read() as session:
        rows = await tokens.list_tokens(session)
    listed = [tokens.token_public(row) for row in rows]
    return ExactJSONResponse({"data": listed, "count": len(listed)})


@router.post(
    "/{token_id}/revoke",
    summary="Revoke a token for good (409 for the last active admin token unless force=true)",
    description="The token stops working at once on this instance and within "
    "a few seconds on the others (they trust what they learnt of a token that long).",
    operation_id="revokeToken",
    response_class=Response,
    responses={
        200: {
            "model": answers.ApiToken,
            "content": {"application/json": {"example": TOKEN_EXAMPLE}},
        },
        404: {"description": "No such token"},
        409: {"description": "The last active admin token"},
    },
)
async def revoke_token(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The token's id")],
    caller: Admin,
    force: Annotated[bool, Query(description="Revoke even the last active admin token.")] = False,
) -> Response:
    database: Database = request.app.state.database
    async with database.write() as session:
        row = await tokens.revoke_token(session, token_id, force=force)
        revoked = tokens.token_public(row)
    cache: TokenCache = request.app.state.token_cache
    cache.clear()  # after the commit, so nothing re-learns the token as valid
    log.info("token %s (%s) revoked by %s", row.id, row.name, caller.actor)
    return ExactJSONResponse(revoked)

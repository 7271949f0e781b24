"""`modeldeck token list|revoke`: who may call the API, and taking that back."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modeldeck.cli.connection import DatabaseUrl, Token, Url, api_client
from modeldeck.cli.output import answer, print_json, run, table

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _when(value: Any) -> str:
    return "—" if value is None else str(value)[:16].replace("T", " ")


@run("token list")
async def list_command(
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List API tokens: id, name, role, when made, last used and revoked (never the token)."""
    async with api_client(url, token, database_url) as api:
        listed = (await api.get("/api/auth/tokens"))["data"]
    if json_output:
        print_json(listed)
        return
    table(
        f"{len(listed)} tokens",
        ["id", "name", "role", "created", "last used", "revoked"],
        (
            [
                row["id"],
                row["name"],
                row["role"],
                _when(row["created_at"]),
                _when(row["last_used_at"]),
                _when(row["revoked_at"]),
            ]
            for row in listed
        ),
    )


@run("token revoke")
async def revoke_command(
    token_ref: Annotated[str, typer.Argument(metavar="NAME|ID", help="The token's name or id.")],
    force: Annotated[
        bool, typer.Option("--force", help="Revoke even the last active admin token.")
    ] = False,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token for good; it stops working at once (on other instances within seconds)."""
    async with api_client(url, token, database_url) as api:
        listed = (await api.get("/api/auth/tokens"))["data"]
        token_id = _resolve(token_ref, listed)
        params = {"force": "true"} if force else None
        revoked = await api.post(f"/api/auth/tokens/{token_id}/revoke", params=params)
    answer(revoked, json_output, f"revoked token {revoked['id']} ({revoked['name']})")


def _resolve(ref: str, listed: list[dict[str, Any]]) -> int:
    """The id of the token named (or numbered) `ref`; a name must pick one active token."""
    if ref.isdigit() and any(row["id"] == int(ref) for row in listed):
        return int(ref)
    named = [row for row in listed if row["name"] == ref]
    active = [row for row in named if row["revoked_at"] is None]
    if len(active) == 1:
        return int(active[0]["id"])
    if len(active) > 1:
        ids = ", ".join(str(row["id"]) for row in active)
        raise LookupError(f"{len(active)} active tokens are named {ref!r} (ids {ids}); give the id")
    if named:
        raise LookupError(f"the token named {ref!r} is already revoked")
    raise LookupError(f"no token is named or numbered {ref!r}; see `modeldeck token list`")

"""`modeldeck aliases …`: list, show, set and remove the names apps call (`chat`, `cheap`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from modeldeck.cli.connection import DatabaseUrl, Token, Url, registry
from modeldeck.cli.output import out, print_json, run, table

if TYPE_CHECKING:
    from modeldeck.client.schemas import Alias

app = typer.Typer(
    help="Aliases: a name apps call for weighted target models with ordered fallbacks.",
    no_args_is_help=True,
)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _targets(alias: Alias) -> str:
    shown = []
    for target in alias.targets:
        limits = [f"w{target.weight}"]
        if target.rpm is not None:
            limits.append(f"{target.rpm:,} rpm")
        if target.tpm is not None:
            limits.append(f"{target.tpm:,} tpm")
        shown.append(f"{target.model} ({', '.join(limits)})")
    return "; ".join(shown)


def _target(text: str) -> dict[str, Any]:
    """`MODEL[:WEIGHT[:RPM[:TPM]]]` as a target; a model name may hold ":" itself, so only
    trailing numeric (or empty, skipped) parts are read as numbers."""
    parts = text.split(":")
    numbers: list[str] = []
    while len(parts) > 1 and len(numbers) < 3 and (parts[-1].isdigit() or parts[-1] == ""):
        numbers.insert(0, parts.pop())
    target: dict[str, Any] = {"model": ":".join(parts)}
    for key, value in zip(("weight", "rpm", "tpm"), numbers, strict=False):
        if value:
            target[key] = int(value)
    return target


@app.command("ls")
@run("aliases ls")
async def list_aliases(
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List every alias with its targets and fallbacks."""
    async with registry(url, token, database_url) as client:
        aliases = await client.aliases(fallback=False)
    if json_output:
        print_json(list(aliases))
        return
    table(
        f"{len(aliases)} aliases (revision {aliases.revision})",
        ["name", "targets (weight, limits)", "fallbacks"],
        (
            [
                alias.name,
                _targets(alias),
                ", ".join(fallback.model for fallback in alias.fallbacks) or "—",
            ]
            for alias in aliases
        ),
    )


@app.command("show")
@run("aliases show")
async def show_alias(
    name: Annotated[str, typer.Argument(help="The alias's name or id.")],
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """One alias: its targets in order, with weights and limits, then its fallbacks."""
    async with registry(url, token, database_url) as client:
        alias = await client.alias(name, fallback=False)
    if json_output:
        print_json(alias)
        return
    out.print(f"{alias.name} (version {alias.version})", markup=False)
    if alias.description:
        out.print(alias.description, markup=False)
    table(
        "targets",
        ["model", "weight", "rpm", "tpm"],
        (
            [
                target.model,
                target.weight,
                "—" if target.rpm is None else f"{target.rpm:,}",
                "—" if target.tpm is None else f"{target.tpm:,}",
            ]
            for target in alias.targets
        ),
    )
    if alias.fallbacks:
        fallbacks = ", ".join(item.model for item in alias.fallbacks)
        out.print(f"fallbacks, in order: {fallbacks}", markup=False)


@app.command("set")
@run("aliases set")
async def set_alias(
    name: Annotated[str, typer.Argument(help="The alias's name (made if new, else replaced).")],
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            "-t",
            help="A target as MODEL[:WEIGHT[:RPM[:TPM]]], e.g. gpt-4o-east:3:600:450000 "
            "(repeat for each; empty parts are skipped: gpt-4o::600).",
        ),
    ],
    fallback: Annotated[
        list[str] | None,
        typer.Option("--fallback", "-f", help="A fallback model, tried in the order given."),
    ] = None,
    description: Annotated[str | None, typer.Option(help="What the alias is for.")] = None,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make an alias, or replace the one of that name (audited, in the change feed)."""
    from modeldeck.client.errors import NotFound

    body: dict[str, Any] = {
        "name": name,
        "targets": [_target(text) for text in target],
        "fallbacks": [{"model": model} for model in fallback or []],
    }
    async with registry(url, token, database_url) as client:
        try:
            existing = await client.alias(name, fallback=False)
        except NotFound:
            existing = None
        if description is not None:
            body["description"] = description
        elif existing is not None:
            body["description"] = existing.description
        if existing is None:
            alias = await client.create_alias(body)
        else:
            alias = await client.replace_alias(existing.id, body, if_match=existing)
    if json_output:
        print_json(alias)
        return
    made = "made" if existing is None else f"saved (version {alias.version})"
    out.print(f"alias {alias.name} {made}: {_targets(alias)}", markup=False)


@app.command("rm")
@run("aliases rm")
async def remove_alias(
    name: Annotated[str, typer.Argument(help="The alias's name or id.")],
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Remove an alias (its models stay)."""
    async with registry(url, token, database_url) as client:
        await client.delete_alias(name)
    out.print(f"alias {name} removed", markup=False)

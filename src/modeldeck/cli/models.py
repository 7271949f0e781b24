"""`modeldeck models …`: list, show, add, edit, remove, clone and make default."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modeldeck.cli.connection import DatabaseUrl, Token, Url, registry
from modeldeck.cli.output import answer, money, out, plain, print_json, run, table
from modeldeck.models.merge_patch import merge_patch

if TYPE_CHECKING:
    from modeldeck.client.schemas import Model

app = typer.Typer(help="List and change the models of the registry.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _flags(model: Model) -> str:
    flags = []
    if model.is_default:
        flags.append("default")
    if model.is_system:
        flags.append("system")
    if not model.enabled:
        flags.append("disabled")
    if model.status != "active":
        flags.append(model.status)
    return ", ".join(flags)


@app.command("ls")
@run("models ls")
async def list_models(
    q: Annotated[str | None, typer.Option(help="Text in name, description or tags.")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    priced: Annotated[bool | None, typer.Option("--priced/--unpriced", help="By price.")] = None,
    system: Annotated[
        bool | None, typer.Option("--system/--ordinary", help="Catalog or own models.")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Only models with this tag.")] = None,
    sort: Annotated[str, typer.Option(help="A field; prefix - to reverse.")] = "name",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 1000,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List models (filters as the API's)."""
    filters: dict[str, Any] = {"q": q, "provider": provider, "tag": tag, "sort": sort}
    filters.update(limit=limit, priced=priced, system=system)
    filters = {key: value for key, value in filters.items() if value is not None}
    async with registry(url, token, database_url) as models:
        listing = await models.models(fallback=False, **filters)
    if json_output:
        print_json(list(listing))
        return
    table(
        f"{listing.total} models (revision {listing.revision})",
        ["name", "provider", "params (B)", "context", "max out", "in $/M", "out $/M", ""],
        (
            [
                model.name,
                model.provider,
                model.parameters_b,
                f"{model.context_window:,}",
                f"{model.max_output_tokens:,}",
                money(model.pricing.input) if model.pricing else "—",
                money(model.pricing.output) if model.pricing else "—",
                _flags(model),
            ]
            for model in listing
        ),
    )


@app.command("show")
@run("models show")
async def show_model(
    ref: Annotated[str, typer.Argument(help="Model name or id.")],
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show every field of one model."""
    async with registry(url, token, database_url) as models:
        model = await models.get(ref, fallback=False)
    if json_output:
        print_json(model)
        return
    table(model.name, ["field", "value"], _fields(plain(model)))


def _fields(record: dict[str, Any], prefix: str = "") -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_fields(value, f"{name}."))
        elif isinstance(value, list | tuple):
            rows.append([name, ", ".join(str(item) for item in value)])
        else:
            rows.append([name, "—" if value is None else value])
    return rows


def read_text(path: str | Path) -> str:
    """A file named on the command line (- for standard input); a missing one is a usage error."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise ValueError(f"cannot read {path}: {reason}") from None


def _read_json(path: str) -> dict[str, Any]:
    text = read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return value


def _value(text: str) -> Any:
    """`--set` values: JSON when they parse (numbers, true, null, lists), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _assignments(pairs: list[str]) -> dict[str, Any]:
    """["pricing.input=2", "tags=[\"a\"]"] → a merge patch."""
    patch: dict[str, Any] = {}
    for pair in pairs:
        field, separator, text = pair.partition("=")
        if not separator or not field:
            raise ValueError(f"--set {pair!r} must look like field=value (pricing.input=2)")
        nested: Any = _value(text)
        for part in reversed(field.split(".")):
            nested = {part: nested}
        patch = merge_patch(patch, nested) if patch else nested
        # merge_patch drops nulls; keep an explicit null (it removes the field on the server)
        if _value(text) is None:
            target = patch
            parts = field.split(".")
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = None
    return patch


def _combined(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` laid over `base` key by key, nested objects too; nulls stay (they remove fields)."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _combined(result[key], value)
        else:
            result[key] = value
    return result


Set = Annotated[
    list[str] | None,
    typer.Option("--set", help="field=value, dotted for nested fields (repeat)."),
]
File = Annotated[
    str | None, typer.Option("--file", help="A JSON object to send; - reads standard input.")
]


@app.command("add")
@run("models add")
async def add_model(
    name: Annotated[
        str | None, typer.Option(help="Unique name (letters, digits, . _ - : / @).")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            help="openai, azure_openai, openai_compatible, anthropic, google, mistral, other."
        ),
    ] = None,
    context_window: Annotated[int | None, typer.Option(help="Max tokens in + out.")] = None,
    max_output_tokens: Annotated[int | None, typer.Option(help="Max output tokens.")] = None,
    input_price: Annotated[str | None, typer.Option(help="USD per 1M input tokens.")] = None,
    output_price: Annotated[str | None, typer.Option(help="USD per 1M output tokens.")] = None,
    set_fields: Set = None,
    file: File = None,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a model from options, --set fields and/or a JSON --file."""
    record: dict[str, Any] = _read_json(file) if file else {}
    options = {
        "name": name,
        "provider": provider,
        "context_window": context_window,
        "max_output_tokens": max_output_tokens,
    }
    record.update({key: value for key, value in options.items() if value is not None})
    if input_price is not None or output_price is not None:
        pricing = dict(record.get("pricing") or {})
        if input_price is not None:
            pricing["input"] = input_price
        if output_price is not None:
            pricing["output"] = output_price
        record["pricing"] = pricing
    record = merge_patch(record, _assignments(set_fields or []))
    async with registry(url, token, database_url) as models:
        model = await models.create(record)
    answer(model, json_output, f"created {model.name} ({model.id}), version {model.version}")


@app.command("edit")
@run("models edit")
async def edit_model(
    ref: Annotated[str, typer.Argument(help="Model name or id.")],
    set_fields: Set = None,
    file: File = None,
    if_match: Annotated[
        int | None, typer.Option(help="Refuse unless the model is at this version.")
    ] = None,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Change part of a model (a JSON merge patch: --set field=value, or a --file)."""
    patch: dict[str, Any] = _read_json(file) if file else {}
    extra = _assignments(set_fields or [])
    patch = _combined(patch, extra)
    if not patch:
        raise ValueError("nothing to change: give --set field=value or --file")
    async with registry(url, token, database_url) as models:
        model = await models.update(ref, patch, if_match=if_match)
    answer(model, json_output, f"updated {model.name}, now version {model.version}")


@app.command("rm")
@run("models rm")
async def remove_model(
    ref: Annotated[str, typer.Argument(help="Model name or id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete a model (not a system or the default model)."""
    if not yes and not typer.confirm(f"Delete model {ref}?"):
        raise typer.Exit(1)
    async with registry(url, token, database_url) as models:
        await models.delete(ref)
    out.print(f"deleted {ref}")


@app.command("clone")
@run("models clone")
async def clone_model(
    ref: Annotated[str, typer.Argument(help="Model to copy (name or id).")],
    name: Annotated[str, typer.Argument(help="Name of the copy.")],
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Copy a model (a system model too) into a new ordinary model."""
    async with registry(url, token, database_url) as models:
        model = await models.clone(ref, name)
    answer(model, json_output, f"cloned {ref} as {model.name} ({model.id})")


@app.command("default")
@run("models default")
async def make_default(
    ref: Annotated[str, typer.Argument(help="Model name or id.")],
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make a model the default."""
    async with registry(url, token, database_url) as models:
        model = await models.make_default(ref)
    out.print(f"{model.name} is the default model")

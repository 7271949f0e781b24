"""`modeldeck import`, `modeldeck export` and `modeldeck catalog sync`: on the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modeldeck import serialization
from modeldeck.cli.connection import NotReady, actor_name, ready_database
from modeldeck.cli.models import Json
from modeldeck.cli.output import err, out, table

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(help="The built-in catalog.", no_args_is_help=True)

FORMATS = ("litellm", "modelsdev", "openrouter", "modeldeck")
EXPORT_FORMATS = ("modeldeck", "litellm-config")

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="The database (default MODELDECK_DATABASE_URL or ./modeldeck.db).",
        show_default=False,
    ),
]


@asynccontextmanager
async def _session(database_url: str | None) -> AsyncIterator[AsyncSession]:
    """A write transaction on a migrated database, committed when the block ends."""
    async with ready_database(database_url) as (_, database), database.write() as session:
        yield session


@asynccontextmanager
async def _reading(database_url: str | None) -> AsyncIterator[AsyncSession]:
    async with ready_database(database_url) as (_, database), database.read() as session:
        yield session


def _context() -> Any:
    from modeldeck.crypto import KeyVault
    from modeldeck.models.service import WriteContext

    return WriteContext(actor=f"cli:{actor_name()}", vault=KeyVault(None))


def _fail(command: str, message: str, code: int = 1) -> typer.Exit:
    err.print(f"modeldeck {command}: {message}", markup=False)
    return typer.Exit(code)


def _show_plan(plan: Any, verbose: bool) -> None:
    counts = plan.counts
    table(
        "plan",
        ["added", "changed", "unchanged", "skipped", "retired"],
        [[counts.get(key, 0) for key in ("added", "changed", "unchanged", "skipped", "retired")]],
    )
    limit = None if verbose else 10
    for planned in plan.changed[:limit]:
        corrected = " (catalog correction of past prices)" if planned.corrects_history else ""
        out.print(f"[bold]~ {planned.name}[/]{corrected}", highlight=False)
        for change in planned.changes:
            if change.get("correction"):
                _show_history_correction(change)
                continue
            out.print(
                f"    {change['field']}: {change['before']!r} → {change['after']!r}", markup=False
            )
    for planned in plan.added[:limit]:
        out.print(f"[green]+ {planned.name}[/]")
    for planned in plan.retired[:limit]:
        out.print(f"[yellow]retire {planned.name}[/]")
    corrections = len(plan.corrections)
    if corrections:
        out.print(
            f"{corrections} system models get a catalog correction of past price periods",
            markup=False,
        )
    reasons = plan.skip_reasons()
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        out.print(f"skipped {count}: {reason}", markup=False)
    for note in plan.notes:
        out.print(f"note: {note}", markup=False)
    hidden = sum(
        max(0, len(getattr(plan, group)) - 10) for group in ("changed", "added", "retired")
    )
    if hidden and not verbose:
        out.print(f"… {hidden} more lines; --verbose shows all, --json gives every line")


def _show_history_correction(change: dict[str, Any]) -> None:
    """A corrected price history: every period before, then every period after."""
    for label, periods in (("before", change["before"]), ("after", change["after"])):
        out.print(f"    price history {label}:", markup=False)
        for period in periods:
            rates = ", ".join(
                f"{key} {value}"
                for key, value in period.items()
                if key not in ("effective_from", "currency", "unit", "source")
                and value not in (None, [])
            )
            out.print(f"      from {period['effective_from']}: {rates}", markup=False)


async def _plan_then_apply(
    session: AsyncSession,
    plan: Any,
    apply: Callable[..., Any],
    *,
    dry_run: bool,
    verbose: bool,
    json_output: bool,
    nothing_to_do: str,
) -> Any | None:
    """Show the plan; apply it unless it is a dry run or empty. The result, or None."""
    if json_output:
        typer.echo(serialization.dumps(plan.as_json()))
    else:
        _show_plan(plan, verbose)
    if dry_run or not plan.has_changes:
        await session.rollback()
        if not json_output:
            out.print("dry run: nothing changed" if dry_run else nothing_to_do)
        return None
    result = await _apply(session, plan, apply, not json_output)
    return None if json_output else result


async def _apply(
    session: AsyncSession, plan: Any, apply: Callable[..., Any], show_progress: bool
) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    ctx = _context()
    total = len(plan.added) + len(plan.changed) + len(plan.retired)
    with Progress(
        TextColumn("applying"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err.get(),
        disable=not show_progress or total == 0,
    ) as progress:
        task = progress.add_task("apply", total=total)
        result = await apply(
            session,
            plan,
            ctx=ctx,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    return result


async def _import_aliases(
    file: Path, database_url: str | None, *, dry_run: bool, quiet: bool
) -> None:
    """The aliases of our own export, after its models (they name models by name)."""
    from modeldeck.models.aliases import import_aliases

    document = serialization.loads(file.read_bytes())  # noqa: ASYNC240 (read once, small)
    records = document.get("aliases") if isinstance(document, dict) else None
    if not isinstance(records, list) or not records:
        return
    if dry_run:
        if not quiet:
            out.print(f"dry run: {len(records)} aliases would be imported or updated")
        return
    async with _session(database_url) as session:
        added, changed, skipped = await import_aliases(session, _context(), records)
    if not quiet:
        out.print(f"aliases: {added} added, {changed} changed, {len(skipped)} skipped")
        for reason in skipped:
            out.print(f"  skipped {reason}", markup=False)


def import_command(
    file: Annotated[Path, typer.Argument(help="The catalog file.", exists=True, dir_okay=False)],
    format: Annotated[
        str, typer.Option("--format", help="litellm, modelsdev, openrouter or modeldeck.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff; change nothing.")
    ] = False,
    provider: Annotated[str | None, typer.Option(help="Only records of this provider.")] = None,
    match: Annotated[str | None, typer.Option(help="Only names matching this glob.")] = None,
    as_system: Annotated[
        bool, typer.Option("--as-system", help="Import as system (catalog) models.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show every line of the diff.")
    ] = False,
    json_output: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a public catalog or our own export: shows the diff, then applies it at once."""
    from modeldeck.catalog.importers import ImportFormatError, read_catalog
    from modeldeck.catalog.plan import apply_plan, plan_import
    from modeldeck.problems import Problem

    if format not in FORMATS:
        raise _fail("import", f"--format must be one of {', '.join(FORMATS)}", 2)

    async def run() -> None:
        records = read_catalog(file, format, provider=provider, match=match)
        async with _session(database_url) as session:
            plan = await plan_import(session, records, as_system=as_system)
            result = await _plan_then_apply(
                session,
                plan,
                apply_plan,
                dry_run=dry_run,
                verbose=verbose,
                json_output=json_output,
                nothing_to_do="nothing to change",
            )
        if result is not None:  # committed
            out.print(
                f"imported: {result.added} added, {result.changed} changed, "
                f"{result.skipped} skipped (revision {result.revision})"
            )
        if format == "modeldeck":
            await _import_aliases(file, database_url, dry_run=dry_run, quiet=json_output)

    try:
        asyncio.run(run())
    except (ImportFormatError, NotReady) as error:
        raise _fail("import", str(error)) from None
    except Problem as problem:
        raise _fail("import", problem.detail) from None


def export_command(
    format: Annotated[
        str, typer.Option("--format", help="modeldeck (JSON) or litellm-config (YAML).")
    ] = "modeldeck",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export the registry (never a secret): our JSON, or a LiteLLM proxy model_list."""
    from modeldeck.catalog.export import (
        export_litellm_config,
        export_modeldeck,
        exportable_aliases,
        exportable_models,
    )

    if format not in EXPORT_FORMATS:
        raise _fail("export", f"--format must be one of {', '.join(EXPORT_FORMATS)}", 2)

    async def run() -> str:
        async with _reading(database_url) as session:
            models = await exportable_models(session)
            aliases = await exportable_aliases(session)
        if format == "modeldeck":
            return export_modeldeck(models, aliases)
        return export_litellm_config(models, aliases)

    try:
        text = asyncio.run(run())
    except NotReady as error:
        raise _fail("export", str(error)) from None
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        try:
            output.write_text(text)
        except OSError as error:
            raise _fail("export", f"cannot write {output}: {error.strerror or error}") from None
        err.print(f"wrote {output}", markup=False)


@app.command("sync")
def sync_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff; change nothing.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show every line of the diff.")
    ] = False,
    json_output: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Apply this package's built-in catalog to system models (ordinary models are untouched).

    Changed prices become new price periods, every change is in the audit trail, new catalog
    models are added, and models the catalog dropped are marked retired, never deleted.
    """
    from modeldeck.catalog.sync import apply_sync, plan_sync
    from modeldeck.problems import Problem

    async def run() -> None:
        async with _session(database_url) as session:
            plan = await plan_sync(session)
            result = await _plan_then_apply(
                session,
                plan,
                apply_sync,
                dry_run=dry_run,
                verbose=verbose,
                json_output=json_output,
                nothing_to_do="the catalog is in sync",
            )
        if result is not None:  # committed
            out.print(
                f"synced: {result.added} added, {result.changed} changed, "
                f"{result.retired} retired (revision {result.revision})"
            )

    try:
        asyncio.run(run())
    except NotReady as error:
        raise _fail("catalog sync", str(error)) from None
    except Problem as problem:
        raise _fail("catalog sync", problem.detail) from None

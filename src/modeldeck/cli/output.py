"""How commands answer: rich tables for people, exact JSON for scripts, one-line errors."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel

from modeldeck import serialization

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """A rich `Console` made on first use: `modeldeck serve` starts without loading rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself, for what rich wants a real one (a progress bar)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


out = LazyConsole(highlight=False)
# Errors stay on one line whatever the width, so scripts and logs can read them.
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def plain(value: Any) -> Any:
    """Client objects as plain JSON-ready data (Decimals kept exact)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def print_json(value: Any) -> None:
    typer.echo(serialization.dumps(plain(value)))


def answer(value: Any, json_output: bool, sentence: str) -> None:
    """What a write command says: the record as JSON for scripts, a sentence for people."""
    if json_output:
        print_json(value)
    else:
        out.print(sentence, markup=False)


def money(value: Decimal | None) -> str:
    return "—" if value is None else format(value, "f")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.table import Table

    grid = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(grid)


def run(command: str) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, R]]:
    """Run an async command; a known failure is one line on stderr and exit code 1."""

    def wrap(function: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
        @functools.wraps(function)
        def runner(*args: P.args, **kwargs: P.kwargs) -> R:
            from modeldeck.cli.connection import NotReady
            from modeldeck.client.errors import ModelDeckError

            try:
                return asyncio.run(function(*args, **kwargs))
            except (ModelDeckError, NotReady, LookupError) as error:
                err.print(f"modeldeck {command}: {error}", markup=False)
                raise typer.Exit(1) from None
            except ValueError as error:  # our own argument checks
                err.print(f"modeldeck {command}: {error}", markup=False)
                raise typer.Exit(2) from None

        return runner

    return wrap

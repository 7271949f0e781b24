"""docs/cli.md, generated from the commands' own --help (`make docs`; a test keeps it true)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

HELP_ENVIRONMENT = {
    "COLUMNS": "100",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "_TYPER_FORCE_DISABLE_TERMINAL": "1",
}


def _paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    subcommands = getattr(command, "commands", None) or {}  # Typer groups (their own click)
    for name in sorted(subcommands):
        yield from _paths(subcommands[name], (*path, name))


def render() -> str:
    from modeldeck.cli import app

    runner = CliRunner()
    root = get_command(app)
    sections = [
        "# Command line reference\n",
        "Generated from `--help` by `make docs`; `tests/test_docs.py` fails when it is stale.\n",
    ]
    for path in _paths(root):
        result = runner.invoke(app, [*path, "--help"], env=HELP_ENVIRONMENT, prog_name="modeldeck")
        title = " ".join(("modeldeck", *path))
        text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        sections.append(f"## `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(sections)


if __name__ == "__main__":
    sys.stdout.write(render())

"""Docs stay true: every setting and every command is in the README."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from modeldeck.cli import app
from modeldeck.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    for name in Settings.model_fields:
        assert f"`MODELDECK_{name.upper()}`" in README, name


def test_the_readme_shows_the_two_setup_commands() -> None:
    assert "make serve" in README
    assert "make test" in README


def test_the_cli_reference_is_generated_from_the_current_help() -> None:
    from modeldeck.cli.reference import render

    reference = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    assert reference.read_text() == render(), "docs/cli.md is stale: run `make docs`"


def test_every_command_is_in_the_readme() -> None:
    root = get_command(app)
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub in subcommands:
                assert f"modeldeck {name} {sub}" in README, (name, sub)
        else:
            assert f"modeldeck {name}" in README, name

"""`modeldeck models|cost|simulate|secrets` through Typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import (
    BACKENDS,
    CATALOG_SOURCES,
    SECRET_KEY,
    seeded_database_url,
)
from modeldeck.cli import app
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.tables import ModelRow
from serving import serving

runner = CliRunner()


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, seeded database for the module's commands."""
    yield from seeded_database_url(request.param, tmp_path_factory.mktemp("cli"), "mdk_cli-test")


def invoke(database_url: str, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", database_url], input=input)
    return result.exit_code, result.stdout, result.stderr


def test_models_ls_lists_the_catalog_as_a_table_and_as_json(database_url: str) -> None:
    code, table, _ = invoke(database_url, "models", "ls", "--system", "--limit", "5")
    assert code == 0
    assert "gpt-4o-mini" in table or "models (revision" in table
    assert re.search(r"\b\d+ models \(revision \d+\)", table), table  # the title counts them
    code, text, _ = invoke(database_url, "models", "ls", "--json", "--provider", "anthropic")
    assert code == 0
    models = json.loads(text)
    assert models
    assert {model["provider"] for model in models} == {"anthropic"}


def test_add_edit_show_clone_default_and_rm_a_model(database_url: str) -> None:
    code, text, err = invoke(
        database_url,
        "models",
        "add",
        "--name",
        "cli-model",
        "--provider",
        "openai",
        "--context-window",
        "8000",
        "--max-output-tokens",
        "1000",
        "--input-price",
        "0.5",
        "--output-price",
        "1.5",
        "--set",
        'tags=["cli"]',
        "--json",
    )
    assert code == 0, err
    created = json.loads(text)
    assert created["tags"] == ["cli"]
    assert created["pricing"]["input"] == 0.5
    code, text, err = invoke(
        database_url,
        "models",
        "edit",
        "cli-model",
        "--set",
        "pricing.input=0.25",
        "--if-match",
        "1",
        "--json",
    )
    assert code == 0, err
    assert json.loads(text)["version"] == 2
    code, text, _ = invoke(database_url, "models", "show", "cli-model", "--json")
    assert json.loads(text)["pricing"]["input"] == 0.25
    assert invoke(database_url, "models", "clone", "cli-model", "cli-copy")[0] == 0
    assert invoke(database_url, "models", "default", "cli-copy")[0] == 0
    code, _, err = invoke(database_url, "models", "rm", "cli-copy", "--yes")
    assert code == 1
    assert "default" in err
    invoke(database_url, "models", "default", "gpt-4o-mini")
    assert invoke(database_url, "models", "rm", "cli-copy", "--yes")[0] == 0
    assert invoke(database_url, "models", "rm", "cli-model", "--yes")[0] == 0
    code, _, err = invoke(database_url, "models", "show", "cli-model")
    assert code == 1
    assert "not found" in err.lower()


def test_errors_are_one_line_naming_the_field_with_exit_code_1(database_url: str) -> None:
    code, _, err = invoke(
        database_url,
        "models",
        "add",
        "--name",
        "bad-model",
        "--provider",
        "openai",
        "--context-window",
        "100",
        "--max-output-tokens",
        "1000",
    )
    assert code == 1
    assert err.strip().count("\n") == 0
    assert "max_output_tokens" in err
    code, _, err = invoke(database_url, "models", "edit", "gpt-4o", "--set", "nonsense")
    assert code == 2
    assert "field=value" in err


def test_edit_merges_the_file_and_the_set_fields_field_by_field(
    database_url: str, tmp_path: Path
) -> None:
    name = f"cli-merge-{os.getpid()}-{time.monotonic_ns()}"
    code, _, err = invoke(
        database_url,
        "models",
        "add",
        "--name",
        name,
        "--provider",
        "openai",
        "--context-window",
        "8000",
        "--max-output-tokens",
        "1000",
        "--input-price",
        "1",
        "--output-price",
        "2",
        "--set",
        "pricing.cached_input=0.5",
    )
    assert code == 0, err
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"pricing": {"input": "5"}, "display_name": "From file"}))
    code, text, err = invoke(
        database_url,
        "models",
        "edit",
        name,
        "--file",
        str(patch),
        "--set",
        "pricing.output=7",
        "--set",
        "pricing.cached_input=null",
        "--json",
    )
    assert code == 0, err
    edited = json.loads(text)
    assert edited["display_name"] == "From file"
    assert edited["pricing"]["input"] == 5  # from the file, not dropped by --set pricing.…
    assert edited["pricing"]["output"] == 7
    assert edited["pricing"]["cached_input"] is None
    assert invoke(database_url, "models", "rm", name, "--yes")[0] == 0


def test_usage_errors_exit_with_2(database_url: str) -> None:
    assert invoke(database_url, "models", "ls", "--limit", "many")[0] == 2


def test_stale_if_match_is_refused(database_url: str) -> None:
    code, _, err = invoke(
        database_url, "models", "edit", "gpt-4o-mini", "--set", 'tags=["x"]', "--if-match", "999"
    )
    assert code == 1
    assert "version" in err


def test_cost_prints_each_line_and_the_exact_total(database_url: str) -> None:
    code, text, err = invoke(
        database_url,
        "cost",
        "gpt-4o",
        "--input",
        "1000000",
        "--cached",
        "500000",
        "--output",
        "1000",
        "--json",
    )
    assert code == 0, err
    result = json.loads(text)
    components = {line["component"] for line in result["lines"]}
    assert {"input", "cached_input", "output"} <= components
    usage = json.dumps({"prompt_tokens": 1000, "completion_tokens": 10})
    code, text, err = invoke(database_url, "cost", "gpt-4o", "--usage", "-", "--json", input=usage)
    assert code == 0, err
    assert json.loads(text)["usage"]["input_tokens"] == 1000


def test_simulate_ranks_models_and_custom_rows(database_url: str) -> None:
    code, text, err = invoke(
        database_url,
        "simulate",
        "--requests",
        "1000",
        "--input",
        "2000",
        "--output",
        "500",
        "--custom",
        "ours=0.01/0.02",
        "--json",
    )
    assert code == 0, err
    rows = json.loads(text)
    totals = [row["total_cost"] for row in rows]
    assert totals == sorted(totals)
    assert any(row["custom"] and row["model"] == "ours" for row in rows)
    code, _, err = invoke(database_url, "simulate", "--custom", "nonsense")
    assert code == 2


def test_secrets_rotate_re_encrypts_stored_keys(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = SECRET_KEY, KeyVault.generate_key()
    monkeypatch.setenv("MODELDECK_SECRET_KEY", old)
    from modeldeck.settings import get_settings

    get_settings.cache_clear()
    try:
        code, _, err = invoke(
            database_url,
            "models",
            "add",
            "--name",
            "keyed",
            "--provider",
            "openai",
            "--context-window",
            "8000",
            "--max-output-tokens",
            "100",
            "--set",
            "deployment.api_key=sk-rotate-me",
        )
        assert code == 0, err
        monkeypatch.setenv("MODELDECK_SECRET_KEY", f"{new},{old}")
        get_settings.cache_clear()
        code, text, err = invoke(database_url, "secrets", "rotate")
        assert code == 0, err
        assert "re-encrypted 1 stored API key" in text

        async def ciphertext() -> str | None:
            database = Database(database_url)
            try:
                async with database.read() as session:
                    statement = select(ModelRow.api_key_ciphertext).where(ModelRow.name == "keyed")
                    return (await session.execute(statement)).scalar_one()
            finally:
                await database.dispose()

        stored = asyncio.run(ciphertext())
        assert stored is not None
        assert KeyVault(new).decrypt(stored) == "sk-rotate-me"
    finally:
        invoke(database_url, "models", "rm", "keyed", "--yes")
        get_settings.cache_clear()


def test_a_database_that_was_never_migrated_is_named(tmp_path: Path) -> None:
    code, _, err = invoke(f"sqlite:///{tmp_path / 'empty.db'}", "models", "ls")
    assert code == 1
    assert "modeldeck db upgrade" in err


def test_commands_work_against_a_server_with_url_and_token(tmp_path: Path) -> None:
    with serving(tmp_path, {"MODELDECK_ADMIN_TOKEN": "mdk_server-cli-test"}) as (url, _):
        listed = runner.invoke(app, ["models", "ls", "--json", "--url", url])
        assert listed.exit_code == 0, listed.output
        assert len(json.loads(listed.stdout)) >= 40
        refused = runner.invoke(app, ["models", "clone", "gpt-4o", "mine", "--url", url])
        assert refused.exit_code == 1
        assert "admin token" in refused.stderr
        cloned = runner.invoke(
            app,
            ["models", "clone", "gpt-4o", "mine", "--url", url, "--token", "mdk_server-cli-test"],
        )
        assert cloned.exit_code == 0, cloned.output


def test_import_shows_a_diff_applies_it_and_a_second_import_changes_nothing(
    database_url: str,
) -> None:
    source = str(CATALOG_SOURCES / "openrouter-models.json")
    code, text, err = invoke(
        database_url,
        "import",
        source,
        "--format",
        "openrouter",
        "--match",
        "anthropic/*",
        "--dry-run",
        "--json",
    )
    assert code == 0, err
    plan = json.loads(text)
    added = plan["counts"]["added"]
    assert added > 0
    assert {item["name"] for item in plan["added"]} <= {
        item["name"] for item in plan["added"] if item["name"].startswith("anthropic/")
    }
    code, text, err = invoke(
        database_url, "import", source, "--format", "openrouter", "--match", "anthropic/*"
    )
    assert code == 0, err
    assert f"{added} added" in text
    code, text, _ = invoke(
        database_url, "import", source, "--format", "openrouter", "--match", "anthropic/*", "--json"
    )
    again = json.loads(text)
    assert again["counts"]["added"] == 0
    assert again["counts"]["changed"] == 0


def test_a_malformed_file_is_refused_with_its_position(database_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"gpt-x": {"input_cost_per_token": "lots"')
    code, _, err = invoke(database_url, "import", str(broken), "--format", "litellm")
    assert code == 1
    assert "broken.json" in err
    assert "line 1" in err
    code, _, err = invoke(database_url, "import", str(broken), "--format", "yaml")
    assert code == 2


def test_export_round_trips_through_import_and_holds_no_secret(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modeldeck.settings import get_settings

    monkeypatch.setenv("MODELDECK_SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    try:
        code, _, err = invoke(
            database_url,
            "models",
            "add",
            "--name",
            "exported",
            "--provider",
            "azure_openai",
            "--context-window",
            "8000",
            "--max-output-tokens",
            "100",
            "--set",
            "deployment.api_key=sk-never-exported",
            "--set",
            "deployment.endpoint=https://x.openai.azure.com",
        )
        assert code == 0, err
        exported = tmp_path / "export.json"
        assert invoke(database_url, "export", "--output", str(exported))[0] == 0
        config = invoke(database_url, "export", "--format", "litellm-config")[1]
        assert "sk-never-exported" not in exported.read_text()
        assert "sk-never-exported" not in config
        assert "model_name: exported" in config
        code, text, err = invoke(
            database_url, "import", str(exported), "--format", "modeldeck", "--json", "--dry-run"
        )
        assert code == 0, err
        plan = json.loads(text)
        assert plan["counts"]["added"] == 0
        assert plan["counts"]["changed"] == 0
    finally:
        invoke(database_url, "models", "rm", "exported", "--yes")
        get_settings.cache_clear()


def test_catalog_sync_of_the_shipped_catalog_changes_nothing(database_url: str) -> None:
    code, text, err = invoke(database_url, "catalog", "sync", "--json")
    assert code == 0, err
    plan = json.loads(text)
    assert plan["counts"]["added"] == 0
    assert plan["counts"]["changed"] == 0

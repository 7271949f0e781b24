"""`modeldeck aliases …`, and aliases in both exports and back through `modeldeck import`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import BACKENDS, seeded_database_url
from modeldeck.cli import app

runner = CliRunner()


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from seeded_database_url(request.param, tmp_path_factory.mktemp("alias-cli"), "mdk_x")


def invoke(database_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", database_url])
    return result.exit_code, result.stdout, result.stderr


def test_set_show_list_export_and_remove_an_alias(database_url: str, tmp_path: Path) -> None:
    code, text, err = invoke(
        database_url,
        "aliases",
        "set",
        "chat",
        "--target",
        "gpt-4o:3:600:450000",
        "--target",
        "gpt-4o-mini",
        "--fallback",
        "gpt-4.1-mini",
        "--description",
        "The chat service",
    )
    assert code == 0, err
    assert "alias chat made: gpt-4o (w3, 600 rpm, 450,000 tpm); gpt-4o-mini (w1)" in text

    code, text, _ = invoke(database_url, "aliases", "show", "CHAT", "--json")
    shown = json.loads(text)
    assert [(t["model"], t["weight"], t["rpm"], t["tpm"]) for t in shown["targets"]] == [
        ("gpt-4o", 3, 600, 450000),
        ("gpt-4o-mini", 1, None, None),
    ]
    assert [f["model"] for f in shown["fallbacks"]] == ["gpt-4.1-mini"]

    # Setting it again replaces it, keeping the description unless one is given.
    code, text, err = invoke(database_url, "aliases", "set", "chat", "-t", "gpt-4o-mini::100")
    assert code == 0, err
    assert "saved (version 2)" in text
    code, text, _ = invoke(database_url, "aliases", "ls", "--json")
    (listed,) = json.loads(text)
    assert listed["description"] == "The chat service"
    assert listed["targets"][0]["rpm"] == 100 and listed["fallbacks"] == []

    code, _, err = invoke(database_url, "aliases", "set", "broken", "-t", "no-such-model")
    assert code == 1
    assert "targets[0].model: no model named 'no-such-model'" in err

    code, _, err = invoke(database_url, "aliases", "rm", "chat")
    assert code == 0, err
    code, _, err = invoke(database_url, "aliases", "show", "chat")
    assert code != 0 and "was not found" in err


def test_the_litellm_config_groups_an_alias_with_its_limits_and_fallbacks(
    database_url: str,
) -> None:
    code, _, err = invoke(
        database_url,
        "aliases",
        "set",
        "reasoning",
        "-t",
        "gpt-4.1:2:50",
        "-t",
        "claude-opus-4-5::20:30000",
        "-f",
        "gpt-4o-mini",
        "-f",
        "gpt-4.1-mini",
    )
    assert code == 0, err
    try:
        code, text, err = invoke(database_url, "export", "--format", "litellm-config")
        assert code == 0, err
        config = yaml.safe_load(text)
        group = [entry for entry in config["model_list"] if entry["model_name"] == "reasoning"]
        assert [entry["model_info"]["base_model"] for entry in group] == [
            "gpt-4.1",
            "claude-opus-4-5",
        ]
        first, opus = (entry["litellm_params"] for entry in group)
        assert (first["weight"], first["rpm"], "tpm" in first) == (2, 50, False)
        assert (opus["weight"], opus["rpm"], opus["tpm"]) == (1, 20, 30000)
        # Each deployment carries its model's timeout and retries, like the model's own entry.
        own = next(entry for entry in config["model_list"] if entry["model_name"] == "gpt-4.1")
        assert (first["timeout"], first["max_retries"]) == (
            own["litellm_params"]["timeout"],
            own["litellm_params"]["max_retries"],
        )
        assert first["model"] == own["litellm_params"]["model"]
        assert {"reasoning": ["gpt-4o-mini", "gpt-4.1-mini"]} in config["router_settings"][
            "fallbacks"
        ]
        assert "api_key: os.environ/" in text and "sk-" not in text
    finally:
        invoke(database_url, "aliases", "rm", "reasoning")


def test_our_export_carries_aliases_and_imports_them_into_another_registry(
    database_url: str, tmp_path: Path
) -> None:
    code, _, err = invoke(
        database_url, "aliases", "set", "cheap", "-t", "gpt-4o-mini:5", "-f", "gpt-4.1-mini"
    )
    assert code == 0, err
    try:
        exported = tmp_path / "export.json"
        code, _, err = invoke(database_url, "export", "--output", str(exported))
        assert code == 0, err
        document = json.loads(exported.read_text())
        assert document["aliases"] == [
            {
                "name": "cheap",
                "description": "",
                "targets": [{"model": "gpt-4o-mini", "weight": 5, "rpm": None, "tpm": None}],
                "fallbacks": [{"model": "gpt-4.1-mini"}],
            }
        ]
        for other in seeded_database_url("sqlite", tmp_path, "mdk_y"):
            code, text, err = invoke(other, "import", str(exported), "--format", "modeldeck")
            assert code == 0, err
            assert "aliases: 1 added, 0 changed, 0 skipped" in text
            code, text, _ = invoke(other, "aliases", "show", "cheap", "--json")
            imported = json.loads(text)
            assert imported["targets"][0]["model"] == "gpt-4o-mini"
            assert imported["fallbacks"][0]["model"] == "gpt-4.1-mini"
            # Again: nothing changes.
            code, text, err = invoke(other, "import", str(exported), "--format", "modeldeck")
            assert "aliases: 0 added, 0 changed, 0 skipped" in text, err
    finally:
        invoke(database_url, "aliases", "rm", "cheap")

"""The command line of issue 2: serve, db and token."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from modeldeck import migrate
from modeldeck.cli import app
from serving import free_port

runner = CliRunner()


def test_db_upgrade_current_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    fresh = runner.invoke(app, ["db", "current", "--database-url", url])
    assert fresh.exit_code == 0
    assert "base (empty)" in fresh.stdout
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"database at revision {migrate.head()}" in upgraded.stdout
    down = runner.invoke(app, ["db", "downgrade", "base", "--database-url", url])
    assert down.exit_code == 0, down.output
    assert "database at revision base" in down.stdout


def test_token_create_prints_a_token_once_and_refuses_unknown_roles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    made = runner.invoke(app, ["token", "create", "--role", "admin", "--database-url", url])
    assert made.exit_code == 0, made.output
    assert re.fullmatch(r"mdk_[\w-]{43}\n", made.stdout)
    refused = runner.invoke(app, ["token", "create", "--role", "owner", "--database-url", url])
    assert refused.exit_code == 2
    assert "reader, admin" in refused.output


def _serve(folder: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "modeldeck", "serve", "--port", str(port)],
        cwd=folder,
        env={key: value for key, value in os.environ.items() if not key.startswith("MODELDECK_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("modeldeck serve did not become ready")


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=15)
    return output


def test_serve_seeds_prints_an_admin_token_once_and_that_token_writes(tmp_path: Path) -> None:
    port = free_port()
    first = _serve(tmp_path, port)
    try:
        _ready(port)
        listing = httpx.get(f"http://127.0.0.1:{port}/api/models?system=true").json()
        assert listing["count"] >= 40
    finally:
        output = _stop(first)
    tokens = sorted(set(re.findall(r"mdk_[\w-]{43}", output)))
    assert len(tokens) == 1, output
    # The console's login link carries a one-time code, never the token.
    codes = re.findall(r"/login\?code=([\w-]{43})\b", output)
    assert len(codes) == 1, output
    assert "token=" not in output
    assert (tmp_path / "modeldeck.db").exists()  # the default: a SQLite file here

    second = _serve(tmp_path, port)
    try:
        _ready(port)
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/models/gpt-4o-mini/clone",
            json={"name": "mine"},
            headers={"Authorization": f"Bearer {tokens[0]}"},
        )
        assert response.status_code == 201, response.text
        login = f"http://127.0.0.1:{port}/login"
        signed_in = httpx.post(login, data={"code": codes[0]})
        assert signed_in.status_code == 303, signed_in.text
        assert "modeldeck_session" in signed_in.headers["set-cookie"]
        assert httpx.post(login, data={"code": codes[0]}).status_code == 401  # once only
    finally:
        output = _stop(second)
    assert "mdk_" not in output  # shown once only
    assert "Seeded" not in output


# `modeldeck serve` up to the moment it would listen: the app is built, nothing is served.
SERVE_UNTIL_LISTENING = """
import json, sys
import uvicorn

def listen(app, **options):
    print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))

uvicorn.run = listen
from modeldeck.cli import main

sys.argv = ["modeldeck", "serve", "--database-url", sys.argv[1]]
main()
"""


def test_serve_on_a_migrated_database_loads_no_alembic_rich_or_postgresql_driver(
    tmp_path: Path,
) -> None:
    """What start-up does not need is not loaded before the server listens (a faster start)."""
    url = f"sqlite:///{tmp_path / 'start.db'}"

    def loaded_before_listening() -> set[str]:
        ran = subprocess.run(
            [sys.executable, "-c", SERVE_UNTIL_LISTENING, url],
            cwd=tmp_path,
            env={
                key: value for key, value in os.environ.items() if not key.startswith("MODELDECK_")
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        return set(json.loads(ran.stdout.splitlines()[-1]))

    first = loaded_before_listening()
    # An empty database is created at head in one step, stamped so Alembic takes it from there.
    assert {"alembic", "mako"} & first == set()
    with sqlite3.connect(tmp_path / "start.db") as stamped:
        versions = stamped.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(migrate.head(),)]
    again = loaded_before_listening()
    assert {"fastapi", "sqlalchemy", "aiosqlite"} <= again  # the app was built
    assert {"alembic", "mako", "rich", "asyncpg"} & again == set()


def _one_line(result: Any) -> str:
    assert result.stderr.strip() and result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.output
    return str(result.stderr)


def test_every_failure_is_one_line_with_exit_code_1_or_2_for_usage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    missing = str(tmp_path / "missing.json")
    usage = [
        ["models", "add", "--file", missing],
        ["models", "edit", "gpt-4o", "--file", missing],
        ["cost", "gpt-4o", "--usage", missing],
        ["simulate", "--text-file", missing],
    ]
    for args in usage:
        result = runner.invoke(app, [*args, "--database-url", url])
        assert result.exit_code == 2, (args, result.output)
        assert "missing.json" in _one_line(result)

    unmigrated = f"sqlite:///{tmp_path / 'empty.db'}"
    nowhere = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"
    failures = [
        ["models", "ls", "--database-url", nowhere],
        ["token", "create", "--database-url", unmigrated],
        ["db", "downgrade", "no-such-revision", "--database-url", url],
        ["db", "upgrade", "--database-url", "nodriver://x"],
        ["export", "--output", str(tmp_path / "no" / "export.json"), "--database-url", url],
        # Long messages too: wrapped at the terminal's width they would be several lines.
        ["models", "ls", "--sort", "no-such-column", "--database-url", url],
    ]
    for args in failures:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        _one_line(result)


def test_a_database_password_never_appears_in_an_error(tmp_path: Path) -> None:
    url = "postgresql://modeldeck:hunter2-secret@127.0.0.1:1/nothing"
    for args in (["db", "current"], ["models", "ls"], ["token", "create"]):
        result = runner.invoke(app, [*args, "--database-url", url])
        assert result.exit_code == 1, (args, result.output)
        assert "hunter2" not in _one_line(result)
        assert "***" in result.stderr

"""`pip install modeldeck` is the client and the cost engine; the server is `modeldeck[server]`.

Each check runs in a fresh interpreter: this test process has loaded the server already.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

# What an app that only reads the registry must never load.
SERVER_PACKAGES = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "uvicorn",
)
# Everything `modeldeck[server]` adds, by import name: refused when "not installed" below.
SERVER_EXTRA = (
    *SERVER_PACKAGES,
    "cryptography",
    "fastapi_offline",
    "jinja2",
    "markupsafe",
    "multipart",
    "python_multipart",
    "yaml",
)

# Makes the server extra's packages unimportable, as in an install without `[server]`.
WITHOUT_SERVER = f"""
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {SERVER_EXTRA!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
"""

# An app using the client with the server down: the offline answers run the shared list
# filters; then the cost engine and the tokenizer.
CLIENT_USE = """
import json, sys, warnings
import modeldeck.client
from modeldeck import Registry, cost, count_tokens

warnings.simplefilter("ignore")
registry = Registry(sys.argv[1], cache_dir=sys.argv[2], timeout=2)
listed = registry.models(provider="openai", sort="-context_window", limit=3)
model = registry.get("gpt-4o")
usage = {"prompt_tokens": 1000, "completion_tokens": 100}
print(json.dumps({
    "listed": [item.provider for item in listed],
    "source": listed.source,
    "cost": str(cost(model, usage).total),
    "tokens": count_tokens("Hello!", "gpt-4o").tokens,
    "loaded": sorted({name.partition(".")[0] for name in sys.modules}),
}))
"""


@pytest.fixture
def unreachable() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run_python(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"MODELDECK_TOKENIZER_CACHE": str(tmp_path / "tokenizers"), "HOME": str(tmp_path)}


def test_the_client_and_the_cost_engine_load_nothing_of_the_server(
    unreachable: str, tmp_path: Path, env: dict[str, str]
) -> None:
    ran = run_python(CLIENT_USE, unreachable, str(tmp_path / "cache"), env=env)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["source"] == "catalog"
    assert answer["listed"] == ["openai"] * 3
    # gpt-4o at 2.50 and 10.00 per million tokens: 1000 in, 100 out.
    assert Decimal(answer["cost"]) == Decimal("0.0035")
    assert answer["tokens"] == 2
    assert sorted(set(SERVER_PACKAGES) & set(answer["loaded"])) == []


def test_the_client_works_without_the_server_extra_installed(
    unreachable: str, tmp_path: Path, env: dict[str, str]
) -> None:
    ran = run_python(WITHOUT_SERVER + CLIENT_USE, unreachable, str(tmp_path / "cache"), env=env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["listed"] == ["openai"] * 3


def command_line(*argv: str) -> str:
    return (
        WITHOUT_SERVER
        + f"sys.argv = {['modeldeck', *argv]!r}\n"
        + ("from modeldeck.cli import main\nmain()\n")
    )


@pytest.mark.parametrize(
    "argv",
    [["serve"], ["db", "current"], ["models", "ls"], ["export"], ["token", "create"]],
)
def test_a_server_command_without_the_server_extra_says_what_to_install(
    argv: list[str], tmp_path: Path, env: dict[str, str]
) -> None:
    database = f"sqlite:///{tmp_path / 'modeldeck.db'}"
    ran = run_python(command_line(*argv), env={**env, "MODELDECK_DATABASE_URL": database})
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1, ran.stderr
    assert "pip install 'modeldeck[server]'" in ran.stderr
    assert not (tmp_path / "modeldeck.db").exists()

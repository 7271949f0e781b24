"""The TypeScript client (clients/typescript), built with `tsc --strict` and run with Node's test
runner against a real `modeldeck serve`, then again with that server stopped.

`make test` installs openapi-typescript and typescript from clients/typescript/package-lock.json
(scripts/ensure-node-modules). The generated sources (`src/schema.d.ts` from the live
/openapi.json, `src/catalog.ts` from the built-in catalog) are committed; a test checks that
scripts/build_typescript_client.py reproduces them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

from serving import serving

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
GENERATOR = ROOT / "scripts" / "build_typescript_client.py"
INSTALL = "run scripts/ensure-node-modules (npm ci in clients/typescript; `make test` does it)"
ADMIN_TOKEN = "mdk_typescript-client-test"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_typescript_client", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tools() -> None:
    assert shutil.which("node"), "Node.js is missing: install Node.js 20 or later"
    for tool in ("openapi-typescript", "tsc"):
        assert (BIN / tool).exists(), f"{tool} is not installed: {INSTALL}"


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, env=env)
    output = f"$ {' '.join(command)}\n{done.stdout}{done.stderr}"
    assert done.returncode == 0, output
    return output


def test_the_generated_sources_are_up_to_date() -> None:
    tools()
    build = generator()
    for path, text in build.generated().items():
        assert path.read_text() == text, (
            f"{path.relative_to(ROOT)} is stale: run scripts/build_typescript_client.py"
        )
    types = (CLIENT / "src" / "schema.d.ts").read_text()
    # The old document typed a model and the list `never` and the cost answer `{}`.
    for schema in ("ModelPublic", "ModelList", "CostAnswer", "Problem"):
        assert f"        {schema}: {{" in types, schema
    assert "field: string;" in types  # Problem.errors[].field
    schemas = types.split("export interface components {", 1)[1].split("responses: never", 1)[0]
    assert not re.search(r":\s*never\b", schemas)
    assert '"application/problem+json": components["schemas"]["Problem"]' in types


def test_the_client_against_a_real_server_then_with_it_stopped(tmp_path: Path) -> None:
    tools()
    # Build a copy (nothing is written into the checkout): tsc --strict, from the lockfile.
    work = tmp_path / "client"
    work.mkdir()
    for name in ("src", "examples", "test"):
        shutil.copytree(CLIENT / name, work / name)
    for name in ("tsconfig.json", "package.json"):
        shutil.copy(CLIENT / name, work / name)
    log = [run(str(BIN / "tsc"), "-p", "tsconfig.json", cwd=work)]
    state = tmp_path / "state"
    state.mkdir()
    server = tmp_path / "server"
    server.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODELDECK_")} | {
        "MODELDECK_STATE": str(state),
        "NODE_NO_WARNINGS": "1",
    }
    node = ["node", "--test", "--test-reporter=spec", "--test-timeout=60000"]
    try:
        with serving(server, {"MODELDECK_ADMIN_TOKEN": ADMIN_TOKEN}) as (url, _):
            env |= {"MODELDECK_URL": url, "MODELDECK_TOKEN": ADMIN_TOKEN}
            log.append(run(*node, "test/live.test.mjs", cwd=work, env=env))
        # Stopped: its port refuses connections now.
        log.append(run(*node, "test/offline.test.mjs", cwd=work, env=env))
    finally:
        print("\n".join(log))

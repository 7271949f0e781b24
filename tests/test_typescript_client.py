"""A TypeScript team can generate types from the live document and compile a client with them.

`make test` installs openapi-typescript and typescript from clients/typescript/package-lock.json
(scripts/ensure-node-modules); this test writes the app's /openapi.json, generates
`schema.d.ts` from it, and compiles clients/typescript/client.ts with `tsc --strict`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from conftest import settings_for
from modeldeck.app import create_app

CLIENT = Path(__file__).resolve().parents[1] / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
INSTALL = "run scripts/ensure-node-modules (npm ci in clients/typescript; `make test` does it)"


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_strict_typescript_client_compiles_against_the_live_document(tmp_path: Path) -> None:
    assert shutil.which("node"), "Node.js is missing: install Node.js 20 or later"
    for tool in ("openapi-typescript", "tsc"):
        assert (BIN / tool).exists(), f"{tool} is not installed: {INSTALL}"
    # The document does not depend on the database: one app, never started, is enough.
    document = create_app(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")).openapi()
    work = tmp_path / "client"
    work.mkdir()
    (work / "openapi.json").write_text(json.dumps(document))
    for name in ("client.ts", "tsconfig.json"):
        shutil.copy(CLIENT / name, work / name)
    # Fields with a default are optional in requests: generate them so (the tool's default
    # would make a client send every defaulted field).
    generated = run(
        str(BIN / "openapi-typescript"),
        "openapi.json",
        "--output",
        "schema.d.ts",
        "--default-non-nullable",
        "false",
        cwd=work,
    )
    assert generated.returncode == 0, generated.stderr
    types = (work / "schema.d.ts").read_text()
    # The old document typed a model and the list `never` and the cost answer `{}`.
    for schema in ("ModelPublic", "ModelList", "CostAnswer", "Problem"):
        assert f"        {schema}: {{" in types, schema
    assert "total: number;" in types
    assert "field: string;" in types  # Problem.errors[].field
    schemas = types.split("export interface components {", 1)[1].split("responses: never", 1)[0]
    assert not re.search(r":\s*never\b", schemas)
    assert '"application/json": never' not in types
    assert '"application/problem+json": components["schemas"]["Problem"]' in types
    compiled = run(str(BIN / "tsc"), "--strict", "--noEmit", "-p", "tsconfig.json", cwd=work)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert "error" not in compiled.stdout

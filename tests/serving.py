"""Real parts for the tests that need them: `modeldeck serve` in a subprocess, free ports,
and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root, on a machine whose only network is the loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    folder: Path,
    env: Mapping[str, str] | None = None,
    *,
    args: Sequence[str] = (),
    inherit_settings: bool = False,
    log: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`modeldeck serve` on a free port, run in `folder`: its base URL once /readyz answers.

    The server sees this environment without its `MODELDECK_*` variables (unless
    `inherit_settings`), plus `env`; it logs to `log` (default `folder/serve.log`), which a
    failure to start shows. It is stopped when the block ends.
    """
    log = log or folder / "serve.log"
    environment = {
        key: value
        for key, value in os.environ.items()
        if inherit_settings or not key.startswith("MODELDECK_")
    }
    environment |= {"MODELDECK_LOG_LEVEL": "warning", **(env or {})}
    # A free port is free when probed; another process (a test on another xdist worker, a
    # client's outgoing connection) may take it before the server binds it. Then another.
    for attempt in range(1, PORT_ATTEMPTS + 1):
        started = _start(folder, environment, args, log)
        if started is not None:
            break
        if attempt == PORT_ATTEMPTS:
            pytest.fail(f"`modeldeck serve` found no free port:\n{log.read_text()}")
    base, process = started
    try:
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


PORT_ATTEMPTS = 5


def _start(
    folder: Path, environment: Mapping[str, str], args: Sequence[str], log: Path
) -> tuple[str, subprocess.Popen[bytes]] | None:
    """The server's base URL once /readyz answers, or None when its port was taken."""
    port = free_port()
    command = [sys.executable, "-m", "modeldeck", "serve", "--port", str(port), *args]
    with log.open("ab") as output:
        offset = output.tell()
        process = subprocess.Popen(
            command, cwd=folder, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                with log.open("rb") as written:
                    written.seek(offset)
                    said = written.read().decode(errors="replace")
                if "address already in use" in said.lower():
                    return None
                pytest.fail(f"`modeldeck serve` exited:\n{log.read_text()}", pytrace=False)
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    return base, process
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`modeldeck serve` not ready in 60 s:\n{log.read_text()}")
            time.sleep(0.05)
    except BaseException:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright never downloads a browser here)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/ensure-chromium (apt-get install chromium)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()

"""Real `gradcards serve` processes for tests: a free loopback port, a bounded wait for health."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gradcards_command() -> list[str]:
    """The installed console script, or the same CLI through this interpreter."""
    installed = shutil.which("gradcards", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-c", "from app.cli import main; main()"]


@contextmanager
def running_server(
    env: Mapping[str, str], log: Path, *, args: Sequence[str] = (), timeout: float = 60
) -> Iterator[str]:
    """`gradcards serve ARGS` on a free loopback port; yields its URL once /healthz is 200.

    The server's output goes to `log`, shown when it fails to start; it is stopped on exit.
    """
    port = free_port()
    command = [*gradcards_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log, timeout)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_healthy(
    url: str, server: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling a starting process: there is no event to wait on
    raise AssertionError(f"{url} did not answer /healthz within {timeout} s:\n{log.read_text()}")


def get_json(url: str) -> Any:
    """GET `url` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)

"""A real registry server (``llmreg serve``) in a subprocess on loopback, for tests.

``running_registry(tmp_path, db_url)`` picks a free port, starts the CLI
(``python -m llmreg.cli serve``) with the admin token in its environment (never on its command
line), waits for ``/readyz``, captures the server's stdout and stderr in ``log_path`` (for leak
scans) and terminates it on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT = 30.0


@dataclass
class RegistryServer:
    url: str
    admin_token: str
    db_url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_text_with(self, needle: str, timeout: float = 10.0) -> str:
        """The log once it holds ``needle`` (at most ``timeout`` seconds: a request's access
        line is written after its answer has gone out), else as it is then."""
        deadline = time.monotonic() + timeout
        while needle not in (text := self.log_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return text


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"llmreg serve exited with {process.returncode} before it was ready; its log:\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"llmreg serve at {url} was not ready within {START_TIMEOUT}s; its log:\n"
        + log_path.read_text(errors="replace")[-4000:]
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_registry(
    tmp_path: Path,
    db_url: str,
    *,
    admin_token: str = "admin-test-token",  # noqa: S107 (a test-only token)
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    log_name: str = "registry.log",
    cli: Sequence[str] = (sys.executable, "-m", "llmreg.cli"),
) -> Iterator[RegistryServer]:
    """Start ``llmreg serve`` over ``db_url`` on 127.0.0.1; yield it; stop it on exit.

    ``env`` adds variables to the server's environment (e.g. ``LLMREG_RATE_LIMIT``); ``cli`` is
    the command that runs the CLI (``python -m llmreg.cli``, or the installed ``llmreg`` script).
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / log_name
    child_env = {**os.environ, "LLMREG_ADMIN_TOKEN": admin_token, **(env or {})}
    for attempt in range(3):  # a free port can be taken between probing and binding
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            *cli,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db_url,
            "--workers",
            str(workers),
            "--log-level",
            "info",
        ]
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env)
        try:
            _wait_ready(url, process, log_path)
        except RuntimeError:
            _stop(process)
            if attempt == 2 or "address already in use" not in log_path.read_text().lower():
                raise
            continue
        try:
            yield RegistryServer(url, admin_token, db_url, log_path, process)
        finally:
            _stop(process)
        return

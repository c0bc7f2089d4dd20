"""``serve``: run the registry with uvicorn (blocking)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from typing import Any

from .. import settings
from .logging import uvicorn_log_config
from .metrics import MULTIPROC_ENV


def listen(host: str, port: int) -> socket.socket:
    """The shared listening socket of the worker processes.

    Created with ``proto=IPPROTO_TCP`` (uvicorn's own has proto 0), so that asyncio turns
    ``TCP_NODELAY`` on for every accepted connection in the workers: without it, Nagle's
    algorithm holds each response body back until the client's delayed ACK (~40 ms a request).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


WORKER_HEALTHCHECK_SECONDS = 30
"""How long uvicorn's supervisor waits for a worker to answer its health check before it
replaces the worker. uvicorn's default, 5 s, is shorter than a worker's start (a fresh
interpreter importing the server) on a busy machine: the supervisor then kills every worker
before it is up, again and again, and the server never serves."""


def uvicorn_options(host: str, port: int, log_level: str) -> dict[str, Any]:
    """What every ``llmreg serve`` passes to uvicorn (the benchmark's bare app too): JSON log
    lines, no access log of uvicorn's own (the JSON access log replaces it), no server header,
    proxy headers only from ``$LLMREG_FORWARDED_ALLOW_IPS``, and a worker health check that
    waits out a slow start."""
    forwarded = settings.FORWARDED_ALLOW_IPS.get()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": uvicorn_log_config(log_level),
        "access_log": False,
        "server_header": False,
        "proxy_headers": forwarded is not None,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }
    if forwarded is not None:
        options["forwarded_allow_ips"] = forwarded
    return options


def run_uvicorn(
    target: str, *, host: str, port: int, workers: int, log_level: str, factory: bool
) -> None:
    """Run ``target`` (an import string) with ``workers`` processes on one shared socket.

    Several workers share Prometheus metrics through files in a fresh directory (removed on
    exit), unless ``$PROMETHEUS_MULTIPROC_DIR`` already names one."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    metrics_dir: str | None = None
    if workers > 1 and not os.environ.get(MULTIPROC_ENV):
        metrics_dir = tempfile.mkdtemp(prefix="llmreg-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        config = uvicorn.Config(
            target, factory=factory, workers=workers, **uvicorn_options(host, port, log_level)
        )
        if workers > 1:
            Multiprocess(config, sockets=[listen(host, port)]).run()
        else:
            uvicorn.Server(config).run()
    finally:
        if metrics_dir is not None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(metrics_dir, ignore_errors=True)


def serve(
    *,
    host: str,
    port: int,
    db_url: str,
    workers: int = 1,
    admin_token: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve the registry on ``host:port`` over ``db_url``.

    uvicorn starts the app from the import-string factory ``llmreg.server.app:app_from_env``
    (in each of ``workers`` processes); the database URL and admin token reach it through the
    environment, never the command line. Every log line is JSON (``logging``).
    """
    from ..store.sql import SqlStore

    SqlStore(db_url).close()  # migrate once, and fail here with a clear message
    os.environ[settings.SERVER_DB_URL.name] = db_url
    os.environ[settings.LOG_LEVEL.name] = log_level
    if admin_token:
        os.environ[settings.ADMIN_TOKEN.name] = admin_token
    # One console session key for every worker process (unless the operator set one).
    os.environ.setdefault(settings.CONSOLE_SECRET.name, secrets.token_urlsafe(32))
    run_uvicorn(
        "llmreg.server.app:app_from_env",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        factory=True,
    )

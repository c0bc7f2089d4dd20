"""``serve``: run the registry with uvicorn (blocking)."""

from __future__ import annotations

import os
import socket

from ..settings import ADMIN_TOKEN, LOG_LEVEL, SERVER_DB_URL
from .app import create_app


def _listen(host: str, port: int) -> socket.socket:
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

    With ``workers > 1`` uvicorn starts that many processes from the import-string factory
    ``llmreg.server.app:app_from_env``; the database URL and admin token reach them through the
    environment. uvicorn's own access log is off: the JSON access log replaces it.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    common: dict[str, object] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
    }
    if workers > 1:
        os.environ[SERVER_DB_URL.name] = db_url
        os.environ[LOG_LEVEL.name] = log_level
        if admin_token:
            os.environ[ADMIN_TOKEN.name] = admin_token
        config = uvicorn.Config(
            "llmreg.server.app:app_from_env",
            factory=True,
            workers=workers,
            **common,  # type: ignore[arg-type]
        )
        Multiprocess(config, sockets=[_listen(host, port)]).run()
        return
    app = create_app(db_url, admin_token=admin_token, log_level=log_level)
    uvicorn.run(app, **common)  # type: ignore[arg-type]

"""The registry server (``llmreg serve``): FastAPI over the SQL store.

- ``create_app(db_url, *, admin_token=None, ...)`` -> the ASGI app (see ``app``);
- ``serve(*, host, port, db_url, workers=1, admin_token=None, log_level="info")`` runs uvicorn
  (``run``: one shared socket for all workers, JSON logs).

API: ``/healthz``, ``/readyz``, ``/metrics`` (no auth; ``metrics``); under ``/v1`` products,
models, agents (``routes.records``), history (``routes.history``), the resolved config of an
agent with its sealed key (``routes.resolved``, whose docstring gives the JSON shape) and tokens
(``routes.tokens``); the read-only web console under ``/console/`` (``console``). Errors:
``errors`` (no input gives a 5xx: ``bodies``, ``deps``). Auth: ``auth``. Limits: ``limits``.
Logs and per-request observation: ``logging``. The OpenAPI document (``/openapi.json``,
exact: ``openapi``) and its pages (``/docs``, ``/redoc``).
"""

from .app import create_app
from .run import serve

__all__ = ["create_app", "serve"]

"""The registry server (``llmreg serve``): FastAPI over the SQL store.

- ``create_app(db_url, *, admin_token=None, ...)`` -> the ASGI app (see ``app``);
- ``serve(*, host, port, db_url, workers=1, admin_token=None, log_level="info")`` runs uvicorn.

API: ``/healthz``, ``/readyz`` (no auth); under ``/v1`` products, models, agents
(``routes.records``), history (``routes.history``), the resolved config of an agent with its
sealed key (``routes.resolved``, whose docstring gives the JSON shape) and tokens
(``routes.tokens``). Errors: ``errors``. Auth: ``auth``. OpenAPI at ``/openapi.json``.
"""

from .app import create_app
from .run import serve

__all__ = ["create_app", "serve"]

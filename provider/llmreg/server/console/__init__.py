"""The registry console: a read-only web view of what is deployed, under ``/console/``.

Server-rendered pages (Jinja2 templates, one local stylesheet, no script) of the products a
token may read, each product's environments, models and agents, each agent's and model's
configuration resolved per environment with the layer of every value, and the audit history.
Everything comes through the API's store, token checks and rate limits (``access``, ``views``);
a person signs in by pasting a token (``session``), scripts send ``Authorization: Bearer``.
Every answer carries a strict Content-Security-Policy (``render``). docs/operator.md describes
it for operators.
"""

from __future__ import annotations

from fastapi import FastAPI
from markupsafe import Markup

from ..cache import Lru
from .pages import router
from .session import Sessions
from .views import ViewCache

ROW_CACHE = 20_000
"""Rendered table rows kept (a few hundred bytes each): 1,000 models and agents of ten products."""


def install(app: FastAPI, secret: str | None) -> None:
    """Serve the console under ``/console/`` of ``app`` (whose ``state.registry`` it reads);
    ``secret`` keys its session cookies (random when None: sessions then last as long as the
    process)."""
    app.state.console_sessions = Sessions(secret)
    app.state.console_views = ViewCache(64)
    app.state.console_html = Lru[tuple[tuple[int, ...], Markup]](64)
    app.state.console_rows = Lru[Markup](ROW_CACHE)
    app.include_router(router)


__all__ = ["install"]

"""HTML answers of the console: Jinja2 templates (every value autoescaped) and the hardening
headers every console answer carries, errors and redirects included."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import Response

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PAGE_HEADERS = {**HEADERS, "Cache-Control": "no-store"}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def _show(value: Any) -> str:
    """A setting's value as a person reads it (lists as JSON, so an empty string shows)."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["pretty"] = _pretty
    env.filters["show"] = _show
    return env


def page(
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A rendered page with the hardening headers (a lone surrogate, which no record can hold,
    would become ``?``)."""
    html = environment().get_template(template).render(**context)
    return Response(
        html.encode("utf-8", "replace"),
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def fragment(template: str, **context: Any) -> Markup:
    """A rendered part of a page, for a page to include as is (it is escaped already)."""
    return Markup(environment().get_template(template).render(**context))  # noqa: S704


def redirect(location: str, *, headers: dict[str, str] | None = None) -> Response:
    """303 See Other to a console path (never a URL from the request)."""
    return Response(
        status_code=303, headers={**PAGE_HEADERS, "Location": location, **(headers or {})}
    )


@cache
def stylesheet() -> bytes:
    return (HERE / "static" / "console.css").read_bytes()


def css() -> Response:
    return Response(
        stylesheet(),
        media_type="text/css; charset=utf-8",
        headers={**HEADERS, "Cache-Control": "public, max-age=3600"},
    )

"""The OpenAPI document, exact: every status a route sends is declared with its body and headers.

Routes declare their error statuses with :func:`errors` (bodies: ``ErrorBody``). The document is
then finished by :func:`finish`: FastAPI's 422 (never sent: a request that breaks the schema is
a 400 with field paths) and its schemas are removed, 204 and 304 answers have no body, the
headers the server always sends are declared (``ETag``, ``Retry-After`` on 429/503,
``WWW-Authenticate`` on 401), so is the bearer scheme on every ``/v1`` operation, an optional
parameter is a plain string (absent, never "null"), and every free-text string says that it
holds no NUL character (``NO_NUL``), which the registry refuses (``llmreg.domain.text``).
Swagger UI (``/docs``) and ReDoc (``/redoc``) load their scripts from the server itself (the
files of the ``fastapi-offline`` package), never from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from .errors import ErrorBody

DESCRIPTIONS = {
    304: "Not modified: If-None-Match named the current ETag",
    400: "The request breaks the schema or a rule of the domain (fields name each problem)",
    401: "No token, or an unknown or revoked one",
    403: "The token may not do this (another product, or read-only)",
    404: "No such record",
    409: "Conflict: the record exists with other content, is in use, or an idempotency key "
    "was used for another write",
    412: "Precondition failed: the record is not at the If-Match version (or does not exist)",
    413: "The request body is larger than the server accepts",
    429: "Too many requests: retry after Retry-After seconds",
    503: "The registry's database did not answer: retry after Retry-After seconds",
}

READ = (400, 401, 403, 429, 503)
"""What every authenticated read may answer besides its success."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: each status with its description and the error body."""
    return {s: {"description": DESCRIPTIONS[s], "model": ErrorBody} for s in sorted(statuses)}


def not_modified() -> dict[int | str, dict[str, Any]]:
    return {304: {"description": DESCRIPTIONS[304]}}


_HEADERS = {
    "ETag": {
        "description": "The version of what was answered, for If-None-Match / If-Match",
        "schema": {"type": "string"},
        "required": True,
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "required": True,
    },
    "WWW-Authenticate": {
        "description": "How to authenticate: Bearer",
        "schema": {"type": "string"},
        "required": True,
    },
}


def _headers_of(path: str, method: str, status: str) -> list[str]:
    if status in ("429", "503"):
        return ["Retry-After"]
    if status == "401":
        return ["WWW-Authenticate"]
    etagged = method in ("get", "put") and path.startswith("/v1/products/{")
    single = not path.endswith(("/models", "/agents", "/history"))
    if status in ("200", "304") and etagged and single:
        return ["ETag"]
    return []


NO_NUL = "^[^\\u0000]*$"
"""The pattern of a string without NUL characters."""


def _no_nul(schema: Any) -> None:
    """Give every string schema without a pattern of its own the ``NO_NUL`` pattern."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and not ({"pattern", "enum", "const"} & set(schema)):
            schema["pattern"] = NO_NUL
        for value in schema.values():
            _no_nul(value)
    elif isinstance(schema, list):
        for item in schema:
            _no_nul(item)


def _not_nullable(parameter: dict[str, Any]) -> None:
    """An optional parameter's schema ``anyOf: [X, null]`` becomes X: a header or query value
    is text or absent, never null."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            extra = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            parameter["schema"] = {**kept[0], **extra}


BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "llmreg token",
    "description": "A token of the registry: the admin token, or one made with "
    "`llmreg token create` (`admin`, or `read`/`write` on one product).",
}


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """Make FastAPI's document exact (see the module docstring)."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = BEARER
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/v1/"):
                operation["security"] = [{"bearer": []}]
            for parameter in operation.get("parameters", []):
                _not_nullable(parameter)
            responses = operation.get("responses", {})
            responses.pop("422", None)
            for status, response in responses.items():
                if status in ("204", "304"):
                    response.pop("content", None)
                names = _headers_of(path, method, status)
                if names:
                    response["headers"] = {n: dict(_HEADERS[n]) for n in names}
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _no_nul(document.get("paths", {}))
    _no_nul(schemas)
    return document


def install(app: FastAPI) -> None:
    """Serve the finished document at ``/openapi.json`` and the documentation pages."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    static = _assets()
    if static is None:
        return  # the pages need the files of fastapi-offline (the `server` extra has them)
    from starlette.staticfiles import StaticFiles

    app.mount("/docs/static", StaticFiles(directory=static), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url="/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API",
            redoc_js_url="/docs/static/redoc.standalone.js",
            redoc_favicon_url="/docs/static/favicon.png",
            with_google_fonts=False,
        )


def _assets() -> Path | None:
    try:
        import fastapi_offline  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    static = Path(fastapi_offline.__file__).parent / "static"
    return static if (static / "swagger-ui-bundle.js").is_file() else None

"""The console's routes: each page authenticates (``access``), reads its view (``views``) in a
worker thread and renders it (``render``). Every failure is a page with the status the API
would answer (``errors.from_llmreg`` / ``from_database``), never a 5xx for any path or query;
a request value is echoed only when it is a record's name (a slug: ``product 'x' does not
exist``), and the pasted token never."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa
from fastapi import APIRouter
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from ...domain.common import SLUG_PATTERN
from ...errors import LlmregError
from ...store.base import Kind
from ..auth import Principal
from ..cache import Lru
from ..errors import ApiError, from_database, from_llmreg
from . import render, views
from .access import SignIn, caller, registry_of, same_origin, sessions_of, sign_in
from .session import COOKIE, SESSION_SECONDS, secure, set_cookie_header

router = APIRouter(prefix="/console", include_in_schema=False)
_SLUG = re.compile(SLUG_PATTERN)
_ACTOR = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
_HEADINGS = {
    400: "Invalid request",
    401: "Not signed in",
    403: "Refused",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
    503: "Registry unavailable",
}
_KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")


def _error_page(err: ApiError, request: Request, who: Principal | None = None) -> Response:
    status = err.status if err.status in _HEADINGS else 500
    headers = {k: v for k, v in err.headers.items() if k in _KEPT_HEADERS}
    return render.page(
        "error.html",
        status=status,
        headers=headers,
        title=_HEADINGS.get(status, "Error"),
        heading=_HEADINGS.get(status, "Error"),
        message=err.message,
        who=who,
        csrf=_csrf(request),
    )


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "there is no such page in the console")


def _sign_in_redirect(request: Request, ended: bool) -> Response:
    headers = {}
    if ended:  # forget the dead session
        headers["Set-Cookie"] = set_cookie_header(
            "", secure_cookie=secure(request.scope), max_age=0
        )
    return render.redirect("/console/sign-in", headers=headers)


def _csrf(request: Request) -> str | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or "authorization" in request.headers:
        return None
    return sessions_of(request).form_token(cookie)


def _problem(err: Exception, request: Request) -> ApiError:
    request_id = getattr(request.state, "request_id", None)
    if isinstance(err, ApiError):
        return err
    if isinstance(err, LlmregError):
        return from_llmreg(err, request_id if isinstance(request_id, str) else None)
    assert isinstance(err, sa.exc.SQLAlchemyError)
    return from_database(err, request_id if isinstance(request_id, str) else None)


View = Callable[[Principal], Awaitable[Response]]


async def _guarded(request: Request, view: View) -> Response:
    """Authenticate, then answer ``view``; every refusal or failure becomes a page."""
    who: Principal | None = None
    try:
        who = await caller(request)
        return await view(who)
    except SignIn as signing:
        return _sign_in_redirect(request, signing.ended)
    except (ApiError, LlmregError, sa.exc.SQLAlchemyError) as err:
        return _error_page(_problem(err, request), request, who)


def _slugs(*values: str) -> None:
    if not all(_SLUG.match(v) for v in values):
        raise _not_found()  # no record can have such a name


def _views(request: Request) -> views.ViewCache:
    cache: views.ViewCache = request.app.state.console_views
    return cache


def _product_html(request: Request, view: views.ProductPage) -> Markup:
    """The product page's content: kept per product version, and each row per record version
    (after a write, only the rows of the records it changed are rendered again)."""
    state = request.app.state
    pages: Lru[tuple[tuple[int, ...], Markup]] = state.console_html
    rows: Lru[Markup] = state.console_rows
    found = pages.get(view.tag)
    if found is not None and found[0] == view.audit:
        return found[1]
    envs = tuple(e.slug for e in view.envs)
    model_rows = []
    for m in view.models:
        model_key = ("model", view.tag, m.tag, m.stamp, envs)
        row = rows.get(model_key)
        if row is None:
            row = render.fragment("product_model_row.html", p=view, m=m)
            rows.put(model_key, row)
        model_rows.append(row)
    agent_rows = []
    for a in view.agents:
        agent_key = ("agent", view.tag, a.tag, a.stamp)
        row = rows.get(agent_key)
        if row is None:
            row = render.fragment("product_agent_row.html", p=view, a=a)
            rows.put(agent_key, row)
        agent_rows.append(row)
    html = render.fragment(
        "product_main.html", p=view, model_rows=model_rows, agent_rows=agent_rows
    )
    pages.put(view.tag, (view.audit, html))
    return html


def _page(request: Request, who: Principal, template: str, **context: Any) -> Response:
    return render.page(template, who=who, csrf=_csrf(request), **context)


# -- pages -----------------------------------------------------------------------------------


@router.get("/")
async def index(request: Request) -> Response:
    async def view(who: Principal) -> Response:
        store = registry_of(request).store
        products = await run_in_threadpool(views.index, store, who, _views(request))
        return _page(request, who, "index.html", title="Products", products=products)

    return await _guarded(request, view)


@router.get("/products/{product}")
async def product_page(request: Request, product: str) -> Response:
    async def view(who: Principal) -> Response:
        _slugs(product)
        store = registry_of(request).store

        def work() -> Response:
            view = views.product_view(store, who, product, _views(request))
            html = _product_html(request, view)
            return _page(request, who, "product.html", title=product, main=html)

        return await run_in_threadpool(work)

    return await _guarded(request, view)


@router.get("/products/{product}/agents/{agent}")
async def agent_page(request: Request, product: str, agent: str) -> Response:
    async def view(who: Principal) -> Response:
        _slugs(product, agent)
        store = registry_of(request).store

        def work() -> Response:
            page = views.agent_page(store, who, product, agent)
            return _page(request, who, "agent.html", title=f"{product}/{agent}", page=page)

        return await run_in_threadpool(work)

    return await _guarded(request, view)


@router.get("/products/{product}/models/{model}")
async def model_page(request: Request, product: str, model: str) -> Response:
    async def view(who: Principal) -> Response:
        _slugs(product, model)
        store = registry_of(request).store

        def work() -> Response:
            page = views.model_page(store, who, product, model, _views(request))
            return _page(request, who, "model.html", title=f"{product}/{model}", page=page)

        return await run_in_threadpool(work)

    return await _guarded(request, view)


def history_query(params: dict[str, str]) -> views.HistoryQuery:
    """The history page's filters; a value no record or actor can have is a 400 naming the
    parameter (an empty one is no filter)."""

    def bad(name: str, rule: str) -> ApiError:
        return ApiError(400, "validation_failed", f"the filter '{name}' {rule}")

    product = params.get("product") or None
    tag = params.get("tag") or None
    for name, value in (("product", product), ("tag", tag)):
        if value is not None and not _SLUG.match(value):
            raise bad(name, "is not a tag: 1-63 lowercase letters, digits, '-', '_' or '.'")
    kind_text = params.get("kind") or None
    kinds = {k.value: k for k in Kind}
    if kind_text is not None and kind_text not in kinds:
        raise bad("kind", "must be products, models or agents")
    actor = params.get("actor") or None
    if actor is not None and not _ACTOR.match(actor):
        raise bad("actor", "must be 1-200 characters without control characters")
    limit_text = params.get("limit") or "100"
    if not (limit_text.isascii() and limit_text.isdigit() and 1 <= int(limit_text) <= 1000):
        raise bad("limit", "must be a whole number from 1 to 1000")
    return views.HistoryQuery(
        product=product,
        kind=kinds[kind_text] if kind_text else None,
        tag=tag,
        actor=actor,
        limit=int(limit_text),
    )


@router.get("/history")
async def history(request: Request) -> Response:
    async def view(who: Principal) -> Response:
        query = history_query(dict(request.query_params))
        store = registry_of(request).store

        def work() -> Response:
            entries = views.history(store, who, query)
            products = [p.record.tag for p in views.readable_products(store, who)]
            return _page(
                request,
                who,
                "history.html",
                title="History",
                entries=entries,
                q=query,
                products=products,
                kinds=[k.value for k in Kind],
            )

        return await run_in_threadpool(work)

    return await _guarded(request, view)


# -- signing in and out ----------------------------------------------------------------------


def _sign_in_page(request: Request, status: int = 200, message: str | None = None) -> Response:
    return render.page(
        "sign_in.html",
        status=status,
        title="Sign in",
        who=None,
        csrf=None,
        message=message,
        hours=SESSION_SECONDS // 3600,
    )


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the first value of each); other bodies give none."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body()).decode("utf-8", "replace")
    fields = parse_qs(body, keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in fields.items() if v}


@router.post("/sign-in")
async def sign_in_post(request: Request) -> Response:
    if not same_origin(request):
        return _error_page(
            ApiError(403, "forbidden", "sign in from the console's own page"), request
        )
    try:
        fields = await _form(request)
    except ValueError:
        fields = {}
    token = fields.get("token", "").strip()
    if not token:
        return _sign_in_page(request, 400, "Paste a token to sign in.")
    try:
        await sign_in(request, token)
    except ApiError as err:
        if err.status == 401:
            return _sign_in_page(request, 401, "That token is unknown or revoked.")
        return _error_page(err, request)
    except (LlmregError, sa.exc.SQLAlchemyError) as err:
        return _error_page(_problem(err, request), request)
    cookie = sessions_of(request).seal(token)
    header = set_cookie_header(cookie, secure_cookie=secure(request.scope), max_age=SESSION_SECONDS)
    return render.redirect("/console/", headers={"Set-Cookie": header})


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    if not same_origin(request):
        return _error_page(
            ApiError(403, "forbidden", "sign out from the console's own page"), request
        )
    cookie = request.cookies.get(COOKIE, "")
    try:
        sent = (await _form(request)).get("csrf", "")
    except ValueError:
        sent = ""
    if cookie and not sessions_of(request).form_token_ok(cookie, sent):
        return _error_page(
            ApiError(403, "forbidden", "sign out with the console's button"), request
        )
    header = set_cookie_header("", secure_cookie=secure(request.scope), max_age=0)
    return render.redirect("/console/sign-in", headers={"Set-Cookie": header})


@router.get("/static/console.css")
async def stylesheet() -> Response:
    return render.css()


@router.api_route(
    "/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
)
async def elsewhere(request: Request, rest: str) -> Response:
    """Any other console path: 405 naming the allowed methods of a console route, else 404.
    Logged and counted as unmatched, as the API's unknown paths are (no request value)."""
    request.scope["route"] = None
    allowed: set[str] = set()
    for route in router.routes:
        if getattr(route, "path", "").endswith("{rest:path}"):
            continue
        match, _ = route.matches({**request.scope, "method": "GET", "path": request.url.path})
        if match is not Match.NONE:
            allowed.update(getattr(route, "methods", None) or ())
    if allowed and request.method not in allowed:
        err = ApiError(
            405,
            "method_not_allowed",
            "this page only answers " + ", ".join(sorted(allowed)),
            headers={"Allow": ", ".join(sorted(allowed))},
        )
        return _error_page(err, request)
    return _error_page(_not_found(), request)

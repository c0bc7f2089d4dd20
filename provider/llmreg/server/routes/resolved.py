"""An agent's resolved configuration in one environment, with its API key still *sealed*.

``GET /v1/products/{product}/agents/{agent}/resolved/{env}`` (read scope) answers::

    {
      "product": "shop",
      "env": "prd",
      "agent": {...AgentRecord wire...},
      "agentVersion": 3,
      "model": {...LlmModelRecord wire (every env, sealed keys only)...},
      "modelVersion": 7,
      "envConfig": {"slug": "prd", "active": true, "baseUrl": "https://...",   # baseUrl optional
                    "sealedKey": {"keyId": "...", "ciphertext": "..."},         # absent if no key
                    "keyFingerprint": "fp1:..."},
      "resolved": {                          # llmreg.overrides.ResolvedEnv, as Agent.resolved[env]
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "baseUrl": "https://...",                                               # optional
        "temperature": 0.3, "maxTokens": 1000, ...                              # set fields only
        "provenance": {"temperature": "env", "maxTokens": "agent", ...},      # model|agent|env
        "fallbacks": [...], "fallbacksLeftOut": [...], "termination": {...}     # when declared
      },
      "fallbackModels": [{...LlmModelRecord wire...}, ...],  # the agent's fallbacks that exist
      "fallbackVersions": [2, 0]                             # per agent.fallbacks; 0: missing
    }

``resolved`` merges model < agent < env (``llmreg.overrides.resolve_env``); the runtime adds
its own layer and opens ``envConfig.sealedKey`` (or, during a staged key-pair rotation,
``envConfig.nextSealedKey``) with the env's private key (binding ``product|env|model.tag``).
The ``ETag`` is ``"a<agentVersion>.m<modelVersion>"`` (then ``.f<version>`` per
fallback model, 0 for one that does not exist): it changes whenever one of the records changes,
and ``If-None-Match`` with it answers 304 without a body.
404 when the agent, its model, or an *active* config of the model for ``env`` is missing
(naming the product's envs when ``env`` is none of them).

The endpoint is what runtimes call: it reads the agent and its model in one statement (the
model's tag is guessed from the agent's last answer) and reuses the answer's bytes while both
records are unchanged (keyed by their versions and write times). That read never leaves the
event loop (``SqlStore.get_many_async``: SQLite's takes tens of microseconds and WAL readers
never wait for writers; PostgreSQL's goes through psycopg's async connections): handing it to a
worker thread would cost more than the read itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ...domain import AgentRecord, LlmModelRecord, ModelEnvRecord, ProductRecord, Record
from ...domain.common import SLUG_PATTERN
from ...errors import LlmregError, NotFound
from ...overrides import ResolvedEnv, resolve_env
from ...runtime._resolve import missing_env
from ...store.base import AnyRecord, Kind, Stored, describe
from ..auth import require_read
from ..bodies import StrictJsonRoute
from ..deps import (
    INM_LENGTH,
    Caller,
    EnvPath,
    IfNoneMatchRead,
    ProductPath,
    Registry,
    etag_matches,
)
from ..deps import slug_path as _slug_path
from ..errors import ApiError
from ..openapi import READ, errors, not_modified

router = APIRouter(prefix="/v1", tags=["resolved"], route_class=StrictJsonRoute)

AgentPath = Annotated[str, _slug_path("The agent's tag.", "customer-support")]


class ResolvedAgent(Record):
    """The answer's shape (documented in OpenAPI; built directly as JSON for speed)."""

    product: str
    env: str
    agent: AgentRecord
    agent_version: int
    model: LlmModelRecord
    model_version: int
    env_config: ModelEnvRecord
    resolved: ResolvedEnv
    fallback_models: list[LlmModelRecord] | None = None
    fallback_versions: list[int] | None = None


def resolved_etag(agent_version: int, model_version: int, fallbacks: Sequence[int] = ()) -> str:
    return f'"a{agent_version}.m{model_version}{"".join(f".f{v}" for v in fallbacks)}"'


Records = tuple[Stored[AnyRecord], Stored[AnyRecord], list[Stored[AnyRecord] | None]]


async def _records(reg: Registry, product: str, agent: str) -> Records:
    """The agent, its model and its fallback models (None for one that does not exist), in one
    statement when the model's tag is the one last seen (read from the event loop:
    ``SqlStore.get_many_async``)."""
    agent_key = (Kind.AGENT, product, agent)
    guess = reg.model_tags.get((product, agent))
    keys = [agent_key] + ([(Kind.MODEL, product, guess)] if guess else [])
    found = await reg.store.get_many_async(keys)
    stored_agent = found.get(agent_key)
    if stored_agent is None:
        raise NotFound(f"{describe(Kind.AGENT, product, agent)} does not exist")
    agent_rec = stored_agent.record
    assert isinstance(agent_rec, AgentRecord)
    model_key = (Kind.MODEL, product, agent_rec.model)
    stored_model = found.get(model_key)
    if stored_model is None:
        stored_model = (await reg.store.get_many_async([model_key])).get(model_key)
        if stored_model is None:
            raise NotFound(f"{describe(Kind.MODEL, product, agent_rec.model)} does not exist")
    if guess != agent_rec.model:
        reg.model_tags.put((product, agent), agent_rec.model)
    fallbacks: list[Stored[AnyRecord] | None] = []
    if agent_rec.fallbacks:
        keys = [(Kind.MODEL, product, tag) for tag in agent_rec.fallbacks]
        found = await reg.store.get_many_async(keys)
        fallbacks = [found.get(k) for k in keys]
    return stored_agent, stored_model, fallbacks


async def _product_has_env(reg: Registry, product: str, env: str) -> None:
    """Raise NotFound naming the product's envs when ``env`` is none of them (rather than
    blaming the model's config for an env that does not exist)."""
    key = (Kind.PRODUCT, product, product)
    stored = (await reg.store.get_many_async([key])).get(key)
    if stored is not None:
        assert isinstance(stored.record, ProductRecord)
        missing = missing_env(stored.record, env)
        if missing is not None:
            raise missing


def _answer(product: str, env: str, records: Records) -> bytes:
    stored_agent, stored_model, stored_fallbacks = records
    agent_rec, model_rec = stored_agent.record, stored_model.record
    assert isinstance(agent_rec, AgentRecord) and isinstance(model_rec, LlmModelRecord)
    env_rec = model_rec.active_env(env)
    fallbacks = [s.record for s in stored_fallbacks if s is not None]
    settings = {f.tag: f.model_settings() for f in fallbacks if isinstance(f, LlmModelRecord)}
    body = {
        "product": product,
        "env": env,
        "agent": agent_rec.to_wire(),
        "agentVersion": stored_agent.version,
        "model": model_rec.to_wire(),
        "modelVersion": stored_model.version,
        "envConfig": env_rec.to_wire(),
        "resolved": resolve_env(
            model_rec.model_settings(), agent_rec, env, fallbacks=settings
        ).to_wire(),
    }
    if agent_rec.fallbacks:
        body["fallbackModels"] = [f.to_wire() for f in fallbacks]
        body["fallbackVersions"] = _versions(stored_fallbacks)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _written(stored: Stored[AnyRecord] | None) -> tuple[int, datetime | None]:
    return (0, None) if stored is None else (stored.version, stored.updated_at)


def _versions(fallbacks: list[Stored[AnyRecord] | None]) -> list[int]:
    return [0 if s is None else s.version for s in fallbacks]


async def answer(
    reg: Registry, product: str, agent: str, env: str, inm: str | None
) -> tuple[int, bytes, str]:
    """``(status, body, etag)`` of the endpoint for a caller allowed to read ``product``:
    200 with the answer, or 304 without a body. NotFound when something is missing."""
    records = await _records(reg, product, agent)
    stored_agent, stored_model, fallbacks = records
    etag = resolved_etag(stored_agent.version, stored_model.version, _versions(fallbacks))
    if etag_matches(inm, etag):
        return 304, b"", etag
    key = (
        product,
        agent,
        env,
        _written(stored_agent),
        _written(stored_model),
        *map(_written, fallbacks),
    )
    body = reg.answers.get(key)
    if body is None:
        try:
            body = _answer(product, env, records)
        except NotFound:
            await _product_has_env(reg, product, env)
            raise
        reg.answers.put(key, body)
    return 200, body, etag


PATH = "/v1/products/{product}/agents/{agent}/resolved/{env}"


@router.get(
    PATH.removeprefix("/v1"),
    response_model=ResolvedAgent,
    response_model_exclude_none=True,
    responses={**not_modified(), **errors(*READ, 404)},
)
async def get_resolved(
    product: ProductPath,
    agent: AgentPath,
    env: EnvPath,
    request: Request,
    who: Caller,
    inm: IfNoneMatchRead = None,
) -> Response:
    """The agent's effective settings in ``env`` with its model's sealed key (see above)."""
    require_read(who, product)
    reg: Registry = request.app.state.registry
    status, body, etag = await answer(reg, product, agent, env, inm)
    if status == 304:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


ROUTE = next(r for r in router.routes if getattr(r, "path", None) == PATH)
"""The route, for the metrics' and log's route template of fast answers."""
_SLUG = SLUG_PATTERN.removeprefix("^").removesuffix("$")
_FAST = re.compile(
    rf"^/v1/products/(?P<product>{_SLUG})/agents/(?P<agent>{_SLUG})/resolved/(?P<env>{_SLUG})$"
)


class FastPath:
    """The endpoint's common case answered before FastAPI's router: a GET whose path matches,
    whose token this process verified within the cache time and may read the product, without
    a rate limit to apply, and whose records exist. It gives the same answer as the route
    (``answer``), with the route's template in the metrics and log; anything else (an error to
    report, a token to look up, a limit) goes on to the route itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _FAST.match(scope.get("path", "")) if scope["type"] == "http" else None
        if (
            match is None
            or scope.get("method") != "GET"
            or not await self._answered(scope, match, send)
        ):
            await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, match: re.Match[str], send: Send) -> bool:
        reg: Registry = scope["app"].state.registry
        if reg.limiter is not None:
            return False
        headers = Headers(scope=scope)
        inm = headers.get("if-none-match")
        if inm is not None and len(inm) > INM_LENGTH:
            return False  # the route refuses it (400)
        try:
            who = reg.auth.known(reg.auth.secret(headers))
        except ApiError:
            return False
        product, agent, env = match.group("product", "agent", "env")
        if who is None or not who.may_read(product):
            return False
        try:
            status, body, etag = await answer(reg, product, agent, env, inm)
        except (LlmregError, sa.exc.SQLAlchemyError):
            return False  # the route answers the error
        scope["route"] = ROUTE
        scope["path_params"] = match.groupdict()
        scope.setdefault("state", {})["principal_name"] = who.name
        response_headers = [(b"etag", etag.encode())]
        if status == 200:
            response_headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
        return True

"""``llmreg.resolve``: read an agent and its model, merge the four override layers, open the key.

Records are cached per (store, product, env, agent or model) for ``ttl`` seconds; after that
they are revalidated: over HTTP with the resolved endpoint's ETag (``If-None-Match``, a 304
costs no body and no parsing), on a SQL store by comparing record versions.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from typing_extensions import Unpack

from ..domain import AgentRecord, LlmModelRecord, ModelConfig, ProductRecord, parse
from ..domain.common import STORED
from ..errors import FieldProblem, NotFound, SealingError, ValidationFailed
from ..overrides import ResolvedModel, resolve_env
from ..sealing import PrivateKey, open_sealed
from ..store.base import Kind, ResolvedSource, Store
from ..store.url import shared_store
from .result import ApiKey, ResolvedConfig

PrivateKeys = str | PrivateKey | Sequence[str | PrivateKey]
Overrides = Mapping[str, Any] | ModelConfig | None

DEFAULT_TTL = 5.0

_lock = threading.Lock()


@dataclass
class _Entry:
    fetched_at: float
    validator: str  # the resolved endpoint's ETag, or the record versions
    agent: AgentRecord | None
    model: LlmModelRecord
    fallbacks: dict[str, LlmModelRecord]
    """The agent's fallback models that exist, by tag."""


_CacheKey = tuple[str, str, str, str]
_cache: weakref.WeakKeyDictionary[Store, dict[_CacheKey, _Entry]] = weakref.WeakKeyDictionary()
"""Per store (held weakly: a closed and collected store takes its entries along), then per
(product, env, agent, model)."""


def _keys(private_key: PrivateKeys | None) -> list[PrivateKey]:
    """The private keys given (``None`` or ``""`` is none); a malformed one is a one-line
    SealingError that never shows the text."""
    if private_key is None:
        return []
    items = [private_key] if isinstance(private_key, (str, PrivateKey)) else list(private_key)
    out: list[PrivateKey] = []
    for i, item in enumerate(items):
        if isinstance(item, PrivateKey):
            out.append(item)
            continue
        if not isinstance(item, str) or not item.strip():
            if len(items) == 1 and isinstance(item, str):
                continue  # an empty variable: no key
            raise SealingError(f"private_key[{i}] is not a private key: give its text")
        try:
            out.append(PrivateKey(item.strip()))
        except ValueError as exc:
            which = "private_key" if len(items) == 1 else f"private_key[{i}]"
            raise SealingError(
                f"{which} is not an llmreg private key ({exc}): pass the environment's private "
                "key as `llmreg keygen` or the Product's private_keys output gave it"
            ) from None
    return out


def key_variable(env: str) -> str:
    """Where the docs keep an env's private key: ``LLMREG_PRD_PRIVATE_KEY`` for ``prd``."""
    return f"LLMREG_{re.sub(r'[^A-Z0-9]', '_', env.upper())}_PRIVATE_KEY"


def _locked(product: str, env: str, model_tag: str, key_ids: Sequence[str]) -> str:
    """Why ``api_key`` is unavailable when no private key was given, and which key opens it."""
    return (
        f"the API key of {product}/{env}/{model_tag} was not opened: no private key was given. "
        f"It is sealed to environment '{env}' key pair(s) {', '.join(key_ids)}: pass that "
        f"private key to resolve() (private_key=os.environ['{key_variable(env)}']) or to "
        "`llmreg resolve` (--private-key-file, or $LLMREG_PRIVATE_KEY)"
    )


def missing_env(product: ProductRecord, env: str) -> NotFound | None:
    """The error for an env the product does not have (naming the ones it has), else None.
    Used by the registry's resolved endpoint too."""
    if product.env(env) is not None:
        return None
    return NotFound(
        f"product '{product.tag}' has no environment '{env}' "
        f"(it has: {', '.join(product.env_slugs())})"
    )


def _runtime_layer(overrides: Overrides) -> ModelConfig:
    if overrides is None:
        return ModelConfig()
    if isinstance(overrides, ModelConfig):
        return overrides
    try:
        return parse(ModelConfig, dict(overrides), "runtime overrides")
    except ValidationFailed as exc:
        named = [FieldProblem(f"overrides.{p.path}".rstrip("."), p.message) for p in exc.problems]
        raise ValidationFailed("runtime overrides", named) from None


_Records = tuple[str, AgentRecord | None, LlmModelRecord, dict[str, LlmModelRecord]]


def _stored_model(data: Any) -> LlmModelRecord:
    return LlmModelRecord.model_validate(data, context={STORED: True})


def _load(
    st: Store, product: str, env: str, agent: str | None, model: str | None, known: str | None
) -> _Records | None:
    """Fetch the records (the agent's fallback models too, those that exist); None when they
    still match the validator ``known``."""
    if agent is not None and isinstance(st, ResolvedSource):
        payload, etag = st.get_resolved(product, agent, env, known)
        if payload is None:
            return None
        others = [_stored_model(m) for m in payload.get("fallbackModels") or []]
        return (
            etag,
            AgentRecord.model_validate(payload["agent"], context={STORED: True}),
            _stored_model(payload["model"]),
            {m.tag: m for m in others},
        )
    agent_rec: AgentRecord | None = None
    validator = ""
    if agent is not None:
        stored_agent = st.get(Kind.AGENT, product, agent)
        assert isinstance(stored_agent.record, AgentRecord)
        agent_rec = stored_agent.record
        model = agent_rec.model
        validator = f"a{stored_agent.version}."
    assert model is not None
    stored_model = st.get(Kind.MODEL, product, model)
    assert isinstance(stored_model.record, LlmModelRecord)
    validator += f"m{stored_model.version}"
    fallbacks: dict[str, LlmModelRecord] = {}
    for tag in agent_rec.fallbacks or [] if agent_rec is not None else []:
        try:
            stored = st.get(Kind.MODEL, product, tag)
        except NotFound:
            validator += ".f0"
            continue
        assert isinstance(stored.record, LlmModelRecord)
        fallbacks[tag] = stored.record
        validator += f".f{stored.version}"
    if validator == known:
        return None
    return validator, agent_rec, stored_model.record, fallbacks


def _fetch(
    st: Store, product: str, env: str, agent: str | None, model: str | None, ttl: float
) -> _Entry:
    key: _CacheKey = (product, env, agent or "", model or "")
    now = time.monotonic()
    with _lock:
        entries = _cache.setdefault(st, {})
    entry = entries.get(key)
    if entry is not None and now - entry.fetched_at < ttl:
        return entry
    fresh = _load(st, product, env, agent, model, entry.validator if entry else None)
    if fresh is None:
        assert entry is not None
        entry.fetched_at = now  # revalidated: unchanged
        return entry
    validator, agent_rec, model_rec, fallbacks = fresh
    entries[key] = entry = _Entry(now, validator, agent_rec, model_rec, fallbacks)
    return entry


def _open_key(
    model: LlmModelRecord, product: str, env: str, private_key: PrivateKeys | None
) -> tuple[ApiKey | None, str | None]:
    """The env's API key opened, or why it stays shut: settings and provenance need no key, so
    without a private key only ``api_key`` is unavailable."""
    sealed = model.active_env(env).sealed_keys()
    keys = _keys(private_key)
    if not sealed:
        return None, None
    if not keys:
        return None, _locked(product, env, model.tag, [s.key_id for s in sealed])
    return ApiKey(open_sealed(sealed, keys, product=product, env=env, model_tag=model.tag)), None


def _config(
    product: str,
    env: str,
    agent: AgentRecord | None,
    model_tag: str,
    resolved: ResolvedModel,
    key: tuple[ApiKey | None, str | None],
) -> ResolvedConfig:
    return ResolvedConfig.of(
        resolved,
        product=product,
        env=env,
        agent=agent.tag if agent is not None else None,
        model_tag=model_tag,
        system_prompt=agent.system_prompt if agent is not None else None,
        tools=agent.tools if agent is not None else (),
        key=key[0],
        locked=key[1],
    )


def _build(
    product: str,
    env: str,
    entry: _Entry,
    runtime: ModelConfig,
    private_key: PrivateKeys | None,
) -> ResolvedConfig:
    """The agent's (or model's) configuration; for an agent with fallbacks, its chain's too: the
    fallback models that exist and have an active config in ``env``, in the declared order,
    each with the same layers (the runtime's too) and its own key, opened with the same
    private key(s)."""
    agent, model = entry.agent, entry.model
    model.active_env(env)  # NotFound naming the active envs when ``env`` is not one
    settings = {tag: m.model_settings() for tag, m in entry.fallbacks.items()}
    resolved = resolve_env(model.model_settings(), agent, env, runtime, fallbacks=settings)
    key = _open_key(model, product, env, private_key)
    chain = tuple(
        _config(
            product,
            env,
            agent,
            fb.tag,
            fb,
            _open_key(entry.fallbacks[fb.tag], product, env, private_key),
        )
        for fb in resolved.fallbacks or []
    )
    primary = _config(product, env, agent, model.tag, resolved, key)
    return dataclasses.replace(primary, fallbacks=chain, termination=resolved.termination)


class StoreOptions(TypedDict, total=False):
    """Where :func:`resolve` reads, and how long it trusts what it read."""

    store: Store
    """An open store; else the one ``url``/``token`` name, else the configured one
    (``LLMREG_URL``/``LLMREG_TOKEN``, else the embedded file)."""
    url: str
    token: str
    ttl: float
    """Seconds a cached record is used before it is revalidated (default 5)."""


def _resolve(
    product: str,
    env: str,
    agent: str | None,
    model: str | None,
    overrides: Overrides,
    private_key: PrivateKeys | None,
    options: StoreOptions,
) -> ResolvedConfig:
    runtime = _runtime_layer(overrides)  # validate before any I/O
    st = options.get("store") or shared_store(options.get("url"), options.get("token"))
    ttl = options.get("ttl", DEFAULT_TTL)
    entry = _fetch(st, product, env, agent, model, ttl)
    try:
        return _build(product, env, entry, runtime, private_key)
    except NotFound:  # the model has no active config for env: is env the product's at all?
        try:
            stored = st.get(Kind.PRODUCT, product, product)
        except NotFound:
            raise NotFound(f"product '{product}' does not exist") from None
        assert isinstance(stored.record, ProductRecord)
        missing = missing_env(stored.record, env)
        if missing is not None:
            raise missing from None
        raise


def resolve(
    product: str,
    env: str,
    agent: str,
    overrides: Overrides = None,
    private_key: PrivateKeys | None = None,
    **options: Unpack[StoreOptions],
) -> ResolvedConfig:
    """Effective config of ``agent`` in ``env``: model < agent < env < runtime (``overrides``).

    ``private_key``: the env's private key text, a :class:`PrivateKey`, or a list (current and
    previous key during a rotation). Without one everything but the key resolves, and
    ``api_key`` (and ``client()``) raise SealingError naming the key that opens it.
    ``options``: see :class:`StoreOptions`.
    """
    return _resolve(product, env, agent, None, overrides, private_key, options)


def resolve_model(
    product: str,
    env: str,
    model: str,
    overrides: Overrides = None,
    private_key: PrivateKeys | None = None,
    **options: Unpack[StoreOptions],
) -> ResolvedConfig:
    """Like :func:`resolve` for code that uses a model without an agent (model < runtime)."""
    return _resolve(product, env, None, model, overrides, private_key, options)


def clear_cache() -> None:
    """Forget every cached record (the next resolve reads the store)."""
    _cache.clear()


__all__ = ["DEFAULT_TTL", "PrivateKeys", "StoreOptions", "clear_cache", "resolve", "resolve_model"]

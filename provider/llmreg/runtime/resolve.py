"""``llmreg.resolve``: read an agent and its model, merge the four override layers, open the key."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..domain import AgentRecord, LlmModelRecord, ModelConfig, parse
from ..errors import FieldProblem, NotFound, ValidationFailed
from ..overrides import Layer, resolve_layers
from ..sealing import PrivateKey, open_sealed
from ..store.base import Kind, Store
from ..store.url import open_store
from .result import ApiKey, ResolvedConfig

PrivateKeys = str | PrivateKey | Sequence[str | PrivateKey]

DEFAULT_TTL = 5.0

_stores: dict[tuple[str | None, str | None], Store] = {}
_lock = threading.Lock()


@dataclass
class _Entry:
    fetched_at: float
    versions: tuple[int, ...]
    agent: AgentRecord | None
    model: LlmModelRecord


_cache: dict[tuple[int, str, str, str], _Entry] = {}


def _store_for(store: Store | None, url: str | None, token: str | None) -> Store:
    if store is not None:
        return store
    with _lock:
        key = (url, token)
        if key not in _stores:
            _stores[key] = open_store(url, token)
        return _stores[key]


def _keys(private_key: PrivateKeys | None) -> list[PrivateKey]:
    if private_key is None:
        return []
    items = [private_key] if isinstance(private_key, (str, PrivateKey)) else list(private_key)
    return [k if isinstance(k, PrivateKey) else PrivateKey(k) for k in items]


def _runtime_layer(overrides: Mapping[str, Any] | ModelConfig | None) -> ModelConfig:
    if overrides is None:
        return ModelConfig()
    if isinstance(overrides, ModelConfig):
        return overrides
    try:
        return parse(ModelConfig, dict(overrides), "runtime overrides")
    except ValidationFailed as exc:
        named = [FieldProblem(f"overrides.{p.path}".rstrip("."), p.message) for p in exc.problems]
        raise ValidationFailed("runtime overrides", named) from None


def _fetch(
    st: Store, product: str, agent: str | None, model: str | None, ttl: float
) -> tuple[AgentRecord | None, LlmModelRecord]:
    ck = (id(st), product, agent or "", model or "")
    now = time.monotonic()
    entry = _cache.get(ck)
    if entry is not None and now - entry.fetched_at < ttl:
        return entry.agent, entry.model
    agent_rec: AgentRecord | None = None
    if agent is not None:
        a = st.get(Kind.AGENT, product, agent)
        assert isinstance(a.record, AgentRecord)
        agent_rec = a.record
        model = agent_rec.model
        versions: tuple[int, ...] = (a.version,)
    else:
        versions = ()
    assert model is not None
    m = st.get(Kind.MODEL, product, model)
    assert isinstance(m.record, LlmModelRecord)
    versions += (m.version,)
    if entry is not None and entry.versions == versions:
        entry.fetched_at = now  # revalidated: unchanged
        return entry.agent, entry.model
    _cache[ck] = _Entry(now, versions, agent_rec, m.record)
    return agent_rec, m.record


def _build(
    product: str,
    env: str,
    agent: AgentRecord | None,
    model: LlmModelRecord,
    overrides: Mapping[str, Any] | ModelConfig | None,
    private_key: PrivateKeys | None,
) -> ResolvedConfig:
    runtime = _runtime_layer(overrides)
    menv = model.env(env)
    if menv is None or not menv.active:
        active = [e.slug for e in model.envs if e.active]
        raise NotFound(
            f"model {product}/{model.tag} has no active configuration for environment '{env}' "
            f"(it has: {', '.join(active) or 'none'})"
        )
    layers: list[tuple[Layer, ModelConfig]] = [(Layer.MODEL, model.settings())]
    if agent is not None:
        layers.append((Layer.AGENT, agent.overrides))
        aenv = agent.env(env)
        if aenv is not None:
            layers.append((Layer.ENV, aenv.overrides))
    layers.append((Layer.RUNTIME, runtime))
    merged = resolve_layers(layers)
    key: ApiKey | None = None
    if menv.sealed_key is not None:
        keys = _keys(private_key)
        key = ApiKey(
            open_sealed(menv.sealed_key, keys, product=product, env=env, model_tag=model.tag)
        )
    s = merged.settings
    return ResolvedConfig(
        product=product,
        env=env,
        agent=agent.tag if agent is not None else None,
        model_tag=model.tag,
        provider=str(model.provider),
        model=model.model,
        base_url=menv.base_url,
        temperature=s.temperature,
        max_tokens=s.max_tokens,
        top_p=s.top_p,
        stop_sequences=tuple(s.stop_sequences) if s.stop_sequences is not None else None,
        timeout=s.timeout,
        provenance=dict(merged.provenance),
        system_prompt=agent.system_prompt if agent is not None else None,
        _key=key,
    )


def resolve(
    product: str,
    env: str,
    agent: str,
    overrides: Mapping[str, Any] | ModelConfig | None = None,
    private_key: PrivateKeys | None = None,
    *,
    store: Store | None = None,
    url: str | None = None,
    token: str | None = None,
    ttl: float = DEFAULT_TTL,
) -> ResolvedConfig:
    """Effective config of ``agent`` in ``env``: model < agent < env < runtime (``overrides``).

    ``private_key``: the env's private key text, a :class:`PrivateKey`, or a list (current and
    previous key during a rotation). Records are cached for ``ttl`` seconds, then revalidated.
    """
    runtime = _runtime_layer(overrides)  # validate before any I/O
    st = _store_for(store, url, token)
    agent_rec, model_rec = _fetch(st, product, agent, None, ttl)
    return _build(product, env, agent_rec, model_rec, runtime, private_key)


def resolve_model(
    product: str,
    env: str,
    model: str,
    overrides: Mapping[str, Any] | ModelConfig | None = None,
    private_key: PrivateKeys | None = None,
    *,
    store: Store | None = None,
    url: str | None = None,
    token: str | None = None,
    ttl: float = DEFAULT_TTL,
) -> ResolvedConfig:
    """Like :func:`resolve` for a model without an agent (layers: model < runtime)."""
    runtime = _runtime_layer(overrides)
    st = _store_for(store, url, token)
    _, model_rec = _fetch(st, product, None, model, ttl)
    return _build(product, env, None, model_rec, runtime, private_key)


def clear_cache() -> None:
    _cache.clear()


__all__ = ["PrivateKeys", "ValidationFailed", "clear_cache", "resolve", "resolve_model"]

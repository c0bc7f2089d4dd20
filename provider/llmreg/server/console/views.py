"""What each console page shows, read from the store the API reads and resolved by the code
the API resolves with (``llmreg.overrides.resolve_env``, as ``routes.resolved`` does).

Each function checks the caller's read access first, reads a page's records in a few
statements (a product page is two ``list`` calls, however many models and agents it has), and
answers plain data for the templates: never a key, a sealed key or a token.

A product's view (its envs, models and agents: the product page, the counts of the index, the
users of a model) is kept per process under the product's *version*: the ids of its newest
audit entries (``AUDIT_WINDOW``). Every write of a record of the product adds one in the same
transaction (restores too), so a page never shows a state older than the version it read
first (the version is read before the records); after a few writes, only the records that the
new entries name are read again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel

from ...domain import AgentRecord, LlmModelRecord, ProductRecord
from ...domain.llm_model import ModelEnvRecord, ModelSettings
from ...domain.model_config import OVERRIDABLE_FIELDS
from ...errors import NotFound
from ...overrides import ResolvedEnv, resolve_env, wire_provenance
from ...sealing import fingerprint
from ...store.base import AnyRecord, AuditEntry, Kind, Stored, describe
from ..auth import Principal
from ..cache import Lru
from ..store_types import RegistryStore

SETTINGS = tuple(to_camel(name) for name in OVERRIDABLE_FIELDS)
"""The overridable settings, in their declared order, by their record (camelCase) names."""
HISTORY_SCAN = 1000
"""How many of the newest audit entries the actor filter looks through."""


def _missing(kind: Kind, product: str, tag: str) -> NotFound:
    return NotFound(f"{describe(kind, product, tag)} does not exist")


def readable_products(store: RegistryStore, who: Principal) -> list[Stored[AnyRecord]]:
    """The products the caller may read (one for a product token, all for the admin)."""
    if who.is_admin:
        return store.list(Kind.PRODUCT)
    assert who.product is not None
    return store.list(Kind.PRODUCT, who.product)


def _product(store: RegistryStore, who: Principal, tag: str) -> Stored[AnyRecord]:
    """A product the caller may read; another product is missing for it (404, not 403: a
    product token does not learn which other products exist)."""
    if not who.may_read(tag):
        raise _missing(Kind.PRODUCT, tag, tag)
    return store.get(Kind.PRODUCT, tag, tag)


def _record(stored: Stored[AnyRecord]) -> Any:
    return stored.record


# -- the products ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSummary:
    tag: str
    name: str
    envs: list[str]
    models: int
    agents: int
    changed_at: datetime | None
    changed_by: str | None


def index(store: RegistryStore, who: Principal, cache: ViewCache) -> list[ProductSummary]:
    out = []
    for stored in readable_products(store, who):
        product: ProductRecord = _record(stored)
        last = store.history(product=product.tag, limit=1)
        view = product_view(store, who, product.tag, cache)
        out.append(
            ProductSummary(
                tag=product.tag,
                name=product.name,
                envs=product.env_slugs(),
                models=len(view.models),
                agents=len(view.agents),
                changed_at=last[0].at if last else stored.updated_at,
                changed_by=last[0].actor if last else stored.updated_by,
            )
        )
    return out


# -- one product -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvRow:
    slug: str
    key_id: str
    public_key: str
    next_key_id: str | None


@dataclass(frozen=True)
class ModelEnvCell:
    active: bool
    base_url: str | None
    key_fingerprint: str | None
    key_id: str | None
    next_key_id: str | None
    description: str | None


@dataclass(frozen=True)
class ModelRow:
    tag: str
    name: str
    provider: str
    model: str
    envs: list[ModelEnvCell | None]
    """Aligned with the product's envs; None where the model has no configuration."""
    stamp: tuple[int, datetime]
    """The record's version and write time: a row's rendering is kept under it."""


@dataclass(frozen=True)
class AgentRow:
    tag: str
    name: str
    model: str
    fallbacks: list[str]
    tools: list[str]
    stamp: tuple[int, datetime]


@dataclass(frozen=True)
class ProductPage:
    tag: str
    name: str
    version: int
    updated_at: datetime
    updated_by: str
    envs: list[EnvRow]
    models: list[ModelRow]
    agents: list[AgentRow]
    audit: tuple[int, ...] = ()
    """The ids of the product's newest audit entries when it was read (``product_view``)."""


def model_env_cell(env: ModelEnvRecord) -> ModelEnvCell:
    """An env config as shown: the key's fingerprint and the key ids it is sealed to, never
    the sealed key itself."""
    sealed = env.sealed_keys()
    shown = env.key_fingerprint or (fingerprint(sealed) if sealed else None)
    return ModelEnvCell(
        active=env.active,
        base_url=env.base_url,
        key_fingerprint=shown,
        key_id=env.sealed_key.key_id if env.sealed_key else None,
        next_key_id=env.next_sealed_key.key_id if env.next_sealed_key else None,
        description=env.description,
    )


def model_row(stored: Stored[AnyRecord], slugs: list[str]) -> ModelRow:
    model: LlmModelRecord = _record(stored)
    by_slug = {e.slug: e for e in model.envs}
    return ModelRow(
        tag=model.tag,
        name=model.name,
        provider=model.provider,
        model=model.model,
        envs=[model_env_cell(by_slug[e]) if e in by_slug else None for e in slugs],
        stamp=(stored.version, stored.updated_at),
    )


def agent_row(stored: Stored[AnyRecord]) -> AgentRow:
    agent: AgentRecord = _record(stored)
    return AgentRow(
        tag=agent.tag,
        name=agent.name,
        model=agent.model,
        fallbacks=list(agent.fallbacks or []),
        tools=[t.name for t in agent.tools],
        stamp=(stored.version, stored.updated_at),
    )


AUDIT_WINDOW = 50
"""How many of a product's newest audit entries make its version. A write adds an entry in
the same transaction as the record, so the newest ids change with every write; several ids,
not just the newest, because concurrent PostgreSQL transactions may commit out of id order."""

ViewCache = Lru[tuple[tuple[int, ...], "ProductPage"]]
"""Product tag -> (version, view): one view per product, the latest read."""


def product_view(store: RegistryStore, who: Principal, tag: str, cache: ViewCache) -> ProductPage:
    """The product page's data: the cached view while the product's version is the same;
    patched with the records that the audit entries since then name (one read of those
    records); read whole when they cannot tell (too many writes, or the product itself)."""
    if not who.may_read(tag):
        raise _missing(Kind.PRODUCT, tag, tag)
    recent = store.history(product=tag, limit=AUDIT_WINDOW)  # before the records
    version = tuple(e.id for e in recent)
    found = cache.get(tag)
    if found is not None and found[0] == version:
        return found[1]
    view = _patched(store, found, recent) if found is not None else None
    if view is None:
        view = product_page(store, who, tag)
    view = replace(view, audit=version)
    cache.put(tag, (version, view))
    return view


def _patched(
    store: RegistryStore,
    found: tuple[tuple[int, ...], ProductPage],
    recent: list[AuditEntry],
) -> ProductPage | None:
    seen = set(found[0])
    if not seen or not seen.intersection(e.id for e in recent):
        return None  # more writes than the window holds: read it whole
    changed = [e for e in recent if e.id not in seen]
    if any(e.kind == Kind.PRODUCT for e in changed):
        return None
    old = found[1]
    keys = list(dict.fromkeys((Kind(e.kind), old.tag, e.tag) for e in changed))
    now = store.get_many(keys)
    slugs = [e.slug for e in old.envs]
    models = {r.tag: r for r in old.models}
    agents = {r.tag: r for r in old.agents}
    for key in keys:
        kind, _, tag = key
        stored = now.get(key)
        if kind == Kind.MODEL:
            models.pop(tag, None)
            if stored is not None:
                models[tag] = model_row(stored, slugs)
        elif kind == Kind.AGENT:
            agents.pop(tag, None)
            if stored is not None:
                agents[tag] = agent_row(stored)
    return replace(
        old,
        models=[models[t] for t in sorted(models)],
        agents=[agents[t] for t in sorted(agents)],
    )


def product_page(store: RegistryStore, who: Principal, tag: str) -> ProductPage:
    """The product page's data, read now (``product_view`` reuses it while nothing changed)."""
    stored = _product(store, who, tag)
    product: ProductRecord = _record(stored)
    slugs = product.env_slugs()
    models = sorted((model_row(s, slugs) for s in store.list(Kind.MODEL, tag)), key=lambda r: r.tag)
    agents = sorted((agent_row(s) for s in store.list(Kind.AGENT, tag)), key=lambda r: r.tag)
    return ProductPage(
        tag=product.tag,
        name=product.name,
        version=stored.version,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        envs=[EnvRow(e.slug, e.key_id, e.public_key, e.next_key_id) for e in product.envs],
        models=models,
        agents=agents,
    )


# -- resolved configurations, env by env -----------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One resolved value and the layer it came from (None: no layer sets it)."""

    text: str | None
    layer: str | None


@dataclass
class Column:
    """One environment of a resolved configuration."""

    env: str
    note: str | None = None
    """Why there is nothing to resolve in this env (the model has no active config there)."""
    values: dict[str, Value] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    """The agent's fallback models in this env, in order: ``tag (provider model)``."""
    left_out: list[str] = field(default_factory=list)
    """Fallback models without an active config in this env."""


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)


def _column(env: str, resolved: ResolvedEnv) -> Column:
    values = {
        "provider": Value(resolved.provider, "model"),
        "model": Value(resolved.model, "model"),
        "baseUrl": Value(resolved.base_url, "model" if resolved.base_url else None),
    }
    wire = resolved.to_wire()
    provenance = wire_provenance(resolved.provenance)  # camelCase, like the settings' names
    for name in SETTINGS:
        layer = provenance.get(name)
        values[name] = Value(
            _show(wire[name]) if name in wire else None, str(layer) if layer else None
        )
    chain = [f"{f.tag} ({f.provider} {f.model})" for f in resolved.fallbacks or []]
    return Column(env, values=values, chain=chain, left_out=resolved.fallbacks_left_out or [])


RESOLVED_ROWS = ("provider", "model", "baseUrl", *SETTINGS)


def resolved_columns(
    envs: list[str],
    model: LlmModelRecord,
    agent: AgentRecord | None,
    fallbacks: dict[str, ModelSettings] | None = None,
) -> list[Column]:
    """Per env of the product: the merged settings (model < agent < env) with each value's
    layer, and the agent's fallback chain, or a note where the model has no active
    configuration."""
    settings = model.model_settings()
    columns = []
    for env in envs:
        config = model.env(env)
        if config is None:
            columns.append(Column(env, note=f"model '{model.tag}' has no configuration here"))
        elif not config.active:
            columns.append(Column(env, note=f"model '{model.tag}' is inactive here"))
        else:
            columns.append(_column(env, resolve_env(settings, agent, env, None, fallbacks)))
    return columns


@dataclass(frozen=True)
class AgentPage:
    product: str
    product_name: str
    agent: AgentRecord
    version: int
    updated_at: datetime
    updated_by: str
    model: str
    model_name: str
    fallbacks: list[str]
    termination: dict[str, Any] | None
    envs: list[str]
    columns: list[Column]
    rows: tuple[str, ...] = RESOLVED_ROWS


def agent_page(store: RegistryStore, who: Principal, product: str, tag: str) -> AgentPage:
    _product(store, who, product)  # read access first
    keys = [(Kind.PRODUCT, product, product), (Kind.AGENT, product, tag)]
    found = store.get_many(keys)
    if keys[0] not in found:
        raise _missing(Kind.PRODUCT, product, product)
    if keys[1] not in found:
        raise _missing(Kind.AGENT, product, tag)
    product_rec: ProductRecord = _record(found[keys[0]])
    stored = found[keys[1]]
    agent: AgentRecord = _record(stored)
    model_key = (Kind.MODEL, product, agent.model)
    model_stored = store.get_many([model_key]).get(model_key)
    if model_stored is None:
        raise _missing(Kind.MODEL, product, agent.model)
    model: LlmModelRecord = _record(model_stored)
    chain_keys = [(Kind.MODEL, product, t) for t in agent.fallbacks or []]
    fallbacks = (
        {
            key[2]: _record(found).model_settings()
            for key, found in store.get_many(chain_keys).items()
        }
        if chain_keys
        else {}
    )
    return AgentPage(
        product=product,
        product_name=product_rec.name,
        agent=agent,
        version=stored.version,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        model=model.tag,
        model_name=model.name,
        fallbacks=list(agent.fallbacks or []),
        termination=agent.termination.limits().to_wire() if agent.termination else None,
        envs=product_rec.env_slugs(),
        columns=resolved_columns(product_rec.env_slugs(), model, agent, fallbacks),
    )


@dataclass(frozen=True)
class ModelPage:
    product: str
    product_name: str
    model: LlmModelRecord
    version: int
    updated_at: datetime
    updated_by: str
    envs: list[str]
    configs: list[ModelEnvCell | None]
    columns: list[Column]
    agents: list[str]
    rows: tuple[str, ...] = RESOLVED_ROWS


def model_page(
    store: RegistryStore, who: Principal, product: str, tag: str, cache: ViewCache
) -> ModelPage:
    view = product_view(store, who, product, cache)
    keys = [(Kind.PRODUCT, product, product), (Kind.MODEL, product, tag)]
    found = store.get_many(keys)
    if keys[0] not in found:
        raise _missing(Kind.PRODUCT, product, product)
    if keys[1] not in found:
        raise _missing(Kind.MODEL, product, tag)
    product_rec: ProductRecord = _record(found[keys[0]])
    stored = found[keys[1]]
    model: LlmModelRecord = _record(stored)
    envs = product_rec.env_slugs()
    by_slug = {e.slug: e for e in model.envs}
    users = [a.tag for a in view.agents if a.model == tag or tag in a.fallbacks]
    return ModelPage(
        product=product,
        product_name=product_rec.name,
        model=model,
        version=stored.version,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        envs=envs,
        configs=[model_env_cell(by_slug[e]) if e in by_slug else None for e in envs],
        columns=resolved_columns(envs, model, None),
        agents=users,
    )


# -- history ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryQuery:
    product: str | None = None
    kind: Kind | None = None
    tag: str | None = None
    actor: str | None = None
    limit: int = 100


def history(store: RegistryStore, who: Principal, query: HistoryQuery) -> list[AuditEntry]:
    """Audit entries newest first: the admin's of every product (or one), a product token's of
    its product only (another product is missing for it). The actor filter (a part of the
    actor's name, any case) looks through the newest ``HISTORY_SCAN`` entries of the others."""
    product = query.product
    if not who.is_admin:
        if product is not None and product != who.product:
            raise _missing(Kind.PRODUCT, product, product)
        product = who.product
    if not query.actor:
        return store.history(product=product, kind=query.kind, tag=query.tag, limit=query.limit)
    needle = query.actor.casefold()
    scanned = store.history(product=product, kind=query.kind, tag=query.tag, limit=HISTORY_SCAN)
    return [e for e in scanned if needle in e.actor.casefold()][: query.limit]

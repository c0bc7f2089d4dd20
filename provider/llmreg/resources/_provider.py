"""The base of llmreg's dynamic providers: store lookup, actor, and helpers shared by resources.

The serialized provider (``__provider`` in the state) holds no instance state: the store URL and
token are read in :meth:`StoreProvider.configure` from stack config (``llmreg:url`` /
``llmreg:token``), else ``LLMREG_URL`` / ``LLMREG_TOKEN``, else the embedded default store.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    ResourceProvider,
)

from ..domain import ProductRecord
from ..errors import AlreadyExists, Conflict, FieldProblem, LlmregError, NotFound
from ..store.base import AnyRecord, Kind, Store, Stored, describe, product_of
from ..store.url import TOKEN_ENV, URL_ENV, default_url, open_store

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine passes a value not known yet during a preview (``pulumi.runtime.rpc.UNKNOWN``)."""

_STORES: dict[tuple[str, str | None], Store] = {}
_STORES_LOCK = threading.Lock()


def cached_store(url: str, token: str | None) -> Store:
    """One open store per (url, token) per provider process; stores are thread-safe."""
    with _STORES_LOCK:
        store = _STORES.get((url, token))
        if store is None:
            store = open_store(url, token)
            _STORES[(url, token)] = store
        return store


def _config_text(req: ConfigureRequest, key: str) -> str | None:
    value = req.config.get(key)
    return value if isinstance(value, str) and value else None


class StoreProvider(ResourceProvider):
    """Shared base: finds the store when the engine configures the provider process, and does
    the check/diff/read/delete plumbing common to every resource; a resource supplies what is
    specific to it through the class attributes and the hooks below."""

    serialize_as_secret_always = False

    kind: ClassVar[Kind]
    resource: ClassVar[str]
    """The resource class's name, as errors tell the user where to set ``adopt=True``."""
    replace_on: ClassVar[tuple[str, ...]] = ("product", "tag")
    """Input properties whose change replaces the resource."""
    compared: ClassVar[tuple[str, ...]]
    """Properties whose change updates the resource in place."""

    def configure(self, req: ConfigureRequest) -> None:
        # Set on the deserialized instance inside the provider process only; never pickled
        # into the state because configure runs after deserialization.
        self._url = _config_text(req, "llmreg:url")
        self._token = _config_text(req, "llmreg:token")

    def store(self) -> Store:
        url = getattr(self, "_url", None) or os.environ.get(URL_ENV) or default_url()
        token = getattr(self, "_token", None) or os.environ.get(TOKEN_ENV) or None
        return cached_store(url, token)

    def __init__(self) -> None:
        super().__init__()
        # The only state the serialized provider carries: who writes, for the audit history.
        # The engine tells the provider process its project (PULUMI_PROJECT) but not its stack.
        self._owner = _program_owner()

    def actor(self) -> str:
        """``pulumi:<project>/<stack>`` as the audit history's actor."""
        owner = getattr(self, "_owner", None)
        if isinstance(owner, str) and owner:
            return owner
        return f"pulumi:{os.environ.get('PULUMI_PROJECT') or 'unknown'}/unknown"

    # -- hooks -------------------------------------------------------------------------------

    def checked(self, news: dict[str, Any]) -> tuple[dict[str, Any], list[FieldProblem], list[str]]:
        """The checked inputs, their problems, and the paths not known yet (problems under
        those are left out: the engine checks again once the values are known)."""
        raise NotImplementedError

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """True if something besides the ``compared`` properties calls for an update."""
        return False

    def refreshed(self, store: Store, stored: Stored[Any], props: dict[str, Any]) -> dict[str, Any]:
        """The outputs after ``pulumi refresh``: the registry's record, plus what only the
        state knows."""
        raise NotImplementedError

    def locate(self, id_: str, props: Mapping[str, Any]) -> tuple[str, str]:
        """(product, tag) of the resource's record: from the state, else from the id."""
        product, _, tag = id_.partition("/")
        return props.get("product") or product, props.get("tag") or tag

    def put(self, store: Store, record: AnyRecord, version: int | None) -> Stored[Any]:
        """Write ``record`` expecting ``version`` (see ``Store.put``)."""
        return store.put(record, expected_version=version, actor=self.actor())

    # -- the plumbing ------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, found, unknown = self.checked(ints(news))
        return CheckResult(inputs, failures(found, unknown))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = ints(olds), ints(news)
        replaces = changed_keys(olds, news, self.replace_on)
        changes = bool(replaces or changed_keys(olds, news, self.compared))
        return DiffResult(changes=changes or self.drifted(olds, news), replaces=replaces)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = ints(props)
        store = self.store()
        try:
            stored = store.get(self.kind, *self.locate(id_, props))
        except NotFound:
            return ReadResult("", {})
        return ReadResult(id_, self.refreshed(store, stored, props))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # A record still in use (a product with models, a model with agents) is refused by the
        # store with a Conflict that names the records in the way and the fix.
        product, tag = self.locate(_id, ints(props))
        self.store().delete(self.kind, product, tag, actor=self.actor())

    def create_record(self, store: Store, record: AnyRecord, *, adopt: bool) -> Stored[Any]:
        """Write a new record; one that already exists is taken over only with ``adopt``."""
        try:
            return self.put(store, record, 0)
        except AlreadyExists:
            if not adopt:
                raise LlmregError(
                    f"{self.what(record)} already exists in the registry (made outside this "
                    f"stack?): set adopt=True on the {self.resource} to take it over"
                ) from None
            current = store.get(self.kind, product_of(record), record.tag)
            return self.put(store, record, current.version)

    def update_record(self, store: Store, record: AnyRecord, version: int | None) -> Stored[Any]:
        """Replace the record at ``version``; a Conflict says how to pick up the change."""
        try:
            return self.put(store, record, version)
        except Conflict:
            raise changed_elsewhere(self.what(record)) from None

    def what(self, record: AnyRecord) -> str:
        """How errors name the record: ``model 'shop/claude'``."""
        return describe(self.kind, product_of(record), record.tag)

    def named_product(self, inputs: Mapping[str, Any]) -> ProductRecord | None:
        """The product the inputs name, if its tag is known yet and it is in the registry."""
        tag = inputs.get("product")
        if not isinstance(tag, str) or is_unknown(tag):
            return None
        return get_product(self.store(), tag)


def changed_elsewhere(what: str) -> LlmregError:
    return LlmregError(
        f"{what} changed in the registry since the last pulumi up: run `pulumi refresh` to see "
        "the change, then `pulumi up` again"
    )


def get_product(store: Store, tag: str) -> ProductRecord | None:
    try:
        record = store.get(Kind.PRODUCT, tag, tag).record
    except NotFound:
        return None
    assert isinstance(record, ProductRecord)
    return record


def env_problems(envs: Any, product: ProductRecord, what: str = "envs") -> list[FieldProblem]:
    """Env slugs that the product does not declare."""
    found: list[FieldProblem] = []
    if not isinstance(envs, list):
        return found
    declared = product.env_slugs()
    for i, env in enumerate(envs):
        slug = env.get("slug") if isinstance(env, Mapping) else None
        if isinstance(slug, str) and not is_unknown(slug) and slug not in declared:
            found.append(
                FieldProblem(
                    f"{what}[{i}].slug",
                    f"'{slug}' is not an environment of product '{product.tag}' "
                    f"(it has: {', '.join(declared)})",
                )
            )
    return found


def _program_owner() -> str | None:
    try:
        import pulumi

        return f"pulumi:{pulumi.get_project()}/{pulumi.get_stack()}"
    except Exception:  # not inside a Pulumi program (e.g. a unit test)
        return None


# -- helpers on property bags ---------------------------------------------------------------


def is_unknown(value: object) -> bool:
    """True if ``value`` is, or contains, a value the engine does not know yet."""
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def unknown_paths(value: object, prefix: str = "") -> list[str]:
    """camelCase paths (``envs[0].baseUrl``) of every unknown value inside ``value``."""
    if isinstance(value, str) and value == UNKNOWN:
        return [prefix]
    out: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            out += unknown_paths(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            out += unknown_paths(v, f"{prefix}[{i}]")
    return out


def under(path: str, prefixes: Iterable[str]) -> bool:
    """True if ``path`` is one of ``prefixes`` or inside one of them."""
    return any(
        path == p or path.startswith((p + ".", p + "[")) or p.startswith((path + ".", path + "["))
        for p in prefixes
    )


def drop_none(value: Any) -> Any:
    """A copy without None values in mappings (the registry leaves unset fields out)."""
    if isinstance(value, Mapping):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [drop_none(v) for v in value]
    return value


def _failure(problem: FieldProblem) -> CheckFailure:
    # The engine prints "property <p> value {<inputs[p]>} has a problem: <reason>" for a
    # top-level property, so nested paths (and the secret apiKeys) go into the reason instead.
    path = problem.path
    if path and path.isidentifier() and path != "apiKeys":
        return CheckFailure(path, problem.message)
    return CheckFailure("", f"{path}: {problem.message}" if path else problem.message)


def failures(problems: Iterable[FieldProblem], skip: Iterable[str] = ()) -> list[CheckFailure]:
    """One CheckFailure per problem, leaving out problems about values not known yet."""
    skipped = list(skip)
    return [_failure(p) for p in problems if not (skipped and under(p.path, skipped))]


def ints(value: Any) -> Any:
    """The engine sends every number as a float: make integral ones ints again (recursively),
    so strict integer fields (maxTokens, timeout) validate; 1 == 1.0 for every float field."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: ints(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [ints(v) for v in value]
    return value


def changed_keys(
    olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]
) -> list[str]:
    """The keys whose (None-normalized) values differ; unknown new values count as changed."""
    return [
        k
        for k in keys
        if is_unknown(news.get(k)) or drop_none(olds.get(k)) != drop_none(news.get(k))
    ]


def with_secret_outputs(opts: pulumi.ResourceOptions | None, *names: str) -> pulumi.ResourceOptions:
    """``opts`` plus ``additional_secret_outputs``: these outputs are secrets in the state."""
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(additional_secret_outputs=list(names))
    )

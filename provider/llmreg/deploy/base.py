"""The engine's six operations on one kind of record, shared by Product, LlmModel and Agent.

A resource core takes and returns plain property maps (:mod:`.props`) and knows nothing of
``pulumi.dynamic`` or of the plugin protocol: the dynamic resources (``llmreg.resources``) and
the native provider plugin (``llmreg.plugin``) are thin adapters over it.

What every resource gets from here:

- **check** validates with the resource's pydantic shapes and returns one problem per bad field;
  problems about values the engine does not know yet are left for later.
- **diff** names the changed inputs; a change of ``product``, ``tag`` or ``registry`` replaces.
- **create** writes the record, stamped with its owner (the resource's URN). A record that is
  already there is taken over when this resource owns it (the answer to an earlier create was
  lost, or a ``pulumi up`` was killed), or with ``adopt``; else the error names its owner.
- **update** replaces the record whole. When the registry moved on since the last write it
  converges if the registry already holds the declared state (a lost answer); if someone else
  changed it, it refuses and says to run ``pulumi refresh``. A record deleted outside Pulumi is
  written again.
- **read** returns the registry's state (None when the record is gone); **delete** of a missing
  record succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ..domain import problems
from ..domain.common import Slug
from ..errors import (
    AlreadyExists,
    FieldProblem,
    LlmregError,
    NotFound,
    StaleVersion,
    Unauthorized,
)
from ..store.base import AnyRecord, Kind, Store, Stored, describe
from .context import DeployContext, actor_of
from .props import Props, changed, normalized, under, unknown_paths

R = TypeVar("R", bound=AnyRecord)
T = TypeVar("T")

REPLACE_ON = ("product", "tag", "registry")

# The inputs every resource takes besides its record's fields:
Adopt = Annotated[
    bool,
    Field(
        description="Take over a record that already exists in the registry (made by hand, or "
        "left by a lost stack)."
    ),
]
RegistryName = Annotated[
    str | None,
    Field(
        description="A registry named in stack config `llmreg:registries` (default: `llmreg:url`)."
    ),
]
ProductEnvs = Annotated[
    list[Slug] | None,
    Field(
        json_schema_extra={"hidden": True},
        description="The product's envs, when the Product is declared in the same program (set "
        "from it), so that preview checks env slugs before the product exists.",
    ),
]


@dataclass(frozen=True)
class Checked:
    """The checked inputs (defaults filled, order fixed, computed inputs added) and one problem
    per bad field."""

    inputs: Props
    failures: list[FieldProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Diffed:
    """Whether anything changes, and which changed properties force a replacement."""

    changes: bool
    replaces: list[str]
    changed: list[str]


def wire_names(shape: type[BaseModel]) -> tuple[str, ...]:
    """The camelCase names of a shape's fields, as in property maps and records."""
    return tuple(info.alias or name for name, info in shape.model_fields.items())


def secret_names(shape: type[BaseModel]) -> tuple[str, ...]:
    """The camelCase names of a shape's fields marked ``json_schema_extra={"secret": True}``."""
    out = []
    for name, info in shape.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, Mapping) and extra.get("secret"):
            out.append(info.alias or name)
    return tuple(out)


def parse_problems(shape: type[BaseModel], data: Mapping[str, Any]) -> list[FieldProblem]:
    """The problems of ``data`` as ``shape`` (an empty list when it is valid)."""
    try:
        shape.model_validate(data)
    except ValidationError as err:
        return problems(err)
    return []


class ResourceCore(Generic[R]):
    """check/diff/create/read/update/delete of one kind of record, over property maps."""

    kind: ClassVar[Kind]
    type_name: ClassVar[str]
    """The resource's name in type tokens and messages: ``Product``, ``LlmModel``, ``Agent``."""
    args: ClassVar[type[BaseModel]]
    """The inputs a program sets (the plugin schema's input properties, the docs' argument
    table)."""
    state: ClassVar[type[BaseModel]]
    """Every output (the plugin schema's properties, the docs' output table)."""
    compared: ClassVar[tuple[str, ...]]
    """Inputs whose change updates the record in place."""
    replace_on: ClassVar[tuple[str, ...]] = REPLACE_ON

    @property
    def product_key(self) -> str:
        """The input that names the record's product (a Product's own ``tag``)."""
        return "tag" if self.kind is Kind.PRODUCT else "product"

    @classmethod
    def secrets(cls) -> tuple[str, ...]:
        """Properties that are secrets, in inputs and outputs alike."""
        return (*secret_names(cls.args), *secret_names(cls.state))

    # -- the hooks of each resource ----------------------------------------------------------

    def checked(
        self, ctx: DeployContext, olds: Props, news: Props, unknown: list[str], seed: bytes | None
    ) -> tuple[Props, list[FieldProblem]]:
        """The checked inputs and their problems (``unknown``: paths not known yet)."""
        raise NotImplementedError

    def declared(self, store: Store, inputs: Props, current: R | None, olds: Props | None) -> R:
        """The record ``inputs`` declare. ``current`` is the registry's record (when there is
        one) and ``olds`` the last known state (on update): what may be reused from them."""
        raise NotImplementedError

    def outputs(self, inputs: Props, stored: Stored[R]) -> Props:
        """The outputs after a write."""
        out = dict(inputs)
        out["version"] = stored.version
        return out

    def refreshed(self, store: Store, state: Props, stored: Stored[R]) -> Props:
        """The outputs after ``pulumi refresh``: the registry's record, plus what only the
        state knows."""
        raise NotImplementedError

    def previewed(self, planned: Props, olds: Mapping[str, Any]) -> Props:
        """What a preview shows of the ``planned`` outputs (``olds``: the outputs before):
        what the step makes afresh, which the ``pulumi up`` will make again, shows as unknown."""
        return planned

    def converged(self, current: R, declared: R) -> bool:
        """Whether the registry's record already holds the declared state (so a version the
        state does not know is the work of a write whose answer was lost)."""
        return current == declared

    def tampered(self, store: Store, state: Props) -> bool:
        """Raise if the registry holds something this stack must refuse (see Product); True if
        the registry must be written again although no input changed."""
        return False

    def before_update(self, store: Store, olds: Props, news: Props) -> None:
        """Refuse an update the registry's other records do not allow."""

    def locate(self, id_: str, props: Mapping[str, Any]) -> tuple[str, str]:
        """(product, tag) of the resource's record: from its properties, else from its id."""
        product, _, tag = id_.partition("/")
        return props.get("product") or product, props.get("tag") or tag

    # -- the engine's operations -------------------------------------------------------------

    def check(
        self, ctx: DeployContext, olds: Props, news: Props, seed: bytes | None = None
    ) -> Checked:
        news, olds = normalized(news), normalized(olds)
        unknown = unknown_paths(news)
        inputs, found = self.checked(ctx, olds, news, unknown, seed)
        if not olds:  # a create writes: say now if the token may not
            ctx.require_write(news, self.product_key)
        return Checked(inputs, [p for p in found if not (unknown and under(p.path, unknown))])

    def diff(self, ctx: DeployContext, id_: str, olds: Props, news: Props) -> Diffed:
        olds, news = normalized(olds), normalized(news)
        replaces = changed(olds, news, self.replace_on)
        updates = changed(olds, news, self.compared)
        restore = not replaces and self._guarded(ctx, news, lambda s: self.tampered(s, olds))
        if replaces or updates or restore:  # an update writes: say now if the token may not
            ctx.require_write(news, self.product_key)
        return Diffed(bool(replaces or updates or restore), replaces, [*replaces, *updates])

    def create(self, ctx: DeployContext, inputs: Props) -> tuple[str, Props]:
        inputs = normalized(inputs)

        def create_in(store: Store) -> Stored[R]:
            record = self.declared(store, inputs, None, None)
            try:
                return self._put(store, record, 0, inputs)
            except AlreadyExists:
                current = self._get(store, *self.locate("", inputs))
                if current is None:  # deleted in between: create again
                    return self._put(store, record, 0, inputs)
                self._may_take_over(current.record, inputs)
                record = self.declared(store, inputs, current.record, None)
                return self._put(store, record, current.version, inputs)

        stored = self._guarded(ctx, inputs, create_in)
        return self.id_of(stored.record), self.outputs(inputs, stored)

    def update(self, ctx: DeployContext, id_: str, olds: Props, news: Props) -> Props:
        olds, news = normalized(olds), normalized(news)

        def update_in(store: Store) -> Stored[R]:
            self.before_update(store, olds, news)
            product, tag = self.locate(id_, news)
            current = self._get(store, product, tag)
            if current is None:  # deleted outside Pulumi: the declared state is written again
                return self._put(store, self.declared(store, news, None, olds), 0, news)
            self._may_write(current.record, news, olds)
            record = self.declared(store, news, current.record, olds)
            known = olds.get("version")
            if current.version != known and not self.converged(current.record, record):
                raise LlmregError(
                    f"{self.what(record)} changed in the registry since the last pulumi up "
                    f"(version {known} then, {current.version} now): run `pulumi refresh` to "
                    "see the change, then `pulumi up` again"
                )
            if record == current.record:
                return current
            return self._put(store, record, current.version, news)

        stored = self._guarded(ctx, news, update_in)
        return self.outputs(news, stored)

    def read(self, ctx: DeployContext, id_: str, state: Props) -> tuple[str, Props] | None:
        state = normalized(state)

        def read_in(store: Store) -> tuple[str, Props] | None:
            current = self._get(store, *self.locate(id_, state))
            if current is None:
                return None
            return self.id_of(current.record), self.refreshed(store, state, current)

        return self._guarded(ctx, state, read_in, refreshing=True)

    def delete(self, ctx: DeployContext, id_: str, state: Props) -> None:
        # A record still in use (a product with models, a model with agents) is refused by
        # the store with a Conflict that names the records in the way and the fix.
        state = normalized(state)
        product, tag = self.locate(id_, state)
        actor = actor_of(state.get("owner"))
        version = state.get("version")

        def delete_in(store: Store) -> None:
            try:  # the version the state knows: a record taken over since is not ours to delete
                store.delete(self.kind, product, tag, expected_version=version, actor=actor)
            except StaleVersion:
                current = self._get(store, product, tag)
                if current is None or self._owned_elsewhere(current.record, state, None):
                    return  # taken over by another resource: it stays, this stack lets go
                store.delete(self.kind, product, tag, actor=actor)

        self._guarded(ctx, state, delete_in)

    # -- plumbing ----------------------------------------------------------------------------

    def id_of(self, record: AnyRecord) -> str:
        product = record.tag if self.kind is Kind.PRODUCT else record.product  # type: ignore[union-attr]
        return record.tag if self.kind is Kind.PRODUCT else f"{product}/{record.tag}"

    def what(self, record: AnyRecord) -> str:
        """How errors name the record: ``model 'shop/claude'``."""
        product = record.tag if self.kind is Kind.PRODUCT else record.product  # type: ignore[union-attr]
        return describe(self.kind, product, record.tag)

    def _get(self, store: Store, product: str, tag: str) -> Stored[R] | None:
        try:
            return store.get(self.kind, product, tag)  # type: ignore[return-value]
        except NotFound:
            return None

    def _put(self, store: Store, record: R, version: int, inputs: Props) -> Stored[R]:
        try:
            stored = store.put(
                record, expected_version=version, actor=actor_of(inputs.get("owner"))
            )
        except StaleVersion:
            raise LlmregError(
                f"{self.what(record)} changed in the registry while pulumi was writing it: run "
                "`pulumi up` again"
            ) from None
        return stored  # type: ignore[return-value]

    @staticmethod
    def _owned_elsewhere(current: AnyRecord, inputs: Props, olds: Props | None) -> bool:
        """Whether the registry's record belongs to another resource than the one writing it:
        not this resource, nor the owner this resource's state knows (itself before a rename,
        or the owner a `pulumi import` took the record from)."""
        owner = getattr(current, "owner", None)
        return bool(owner) and owner not in (inputs.get("owner"), (olds or {}).get("owner"))

    def _may_take_over(self, current: AnyRecord, inputs: Props) -> None:
        owner = getattr(current, "owner", None)
        if (owner and owner == inputs.get("owner")) or inputs.get("adopt"):
            return  # our own record (an earlier create's answer was lost), or adopted
        made_by = f"owned by {owner}" if owner else "made outside Pulumi"
        raise LlmregError(
            f"{self.what(current)} already exists in the registry ({made_by}): set adopt=True "
            f"on the {self.type_name} to take it over"
        )

    def _may_write(self, current: AnyRecord, news: Props, olds: Props) -> None:
        if not self._owned_elsewhere(current, news, olds) or news.get("adopt"):
            return
        raise LlmregError(
            f"{self.what(current)} is owned by {getattr(current, 'owner', None)} in the "
            f"registry, which took it over: set adopt=True on the {self.type_name} to take it "
            "back, or stop managing it here (`pulumi state delete`)"
        )

    def _guarded(
        self,
        ctx: DeployContext,
        props: Mapping[str, Any],
        work: Callable[[Store], T],
        *,
        refreshing: bool = False,
    ) -> T:
        """Run ``work(store)`` on the resource's registry; a refused token becomes an error
        that says what to do."""
        registry = props.get("registry")
        try:
            return work(ctx.store(registry if isinstance(registry, str) else None))
        except Unauthorized as err:
            hint = (
                "`pulumi refresh` uses the configuration recorded at the last `pulumi up`: after "
                "changing llmreg:token, run `pulumi refresh --run-program` (or `pulumi up`)"
                if refreshing
                else "check llmreg:token (or LLMREG_TOKEN)"
            )
            raise LlmregError(f"{err}: {hint}") from None

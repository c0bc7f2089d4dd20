"""Product: a product and its environments, each with its own encryption key pair.

Key pairs are made in ``check`` and kept in the checked inputs (the private keys as secrets): the
engine keeps a resource's checked inputs, and only they reach the next ``check``. A preview
shows a pair made in that step as unknown (:meth:`ProductCore.previewed`): the ``pulumi up``
that follows runs ``check`` again and makes its own, so the preview cannot know it; every model
that re-seals shows up in the same preview all the same. Rotation of a generated pair takes two
``pulumi up`` steps (:class:`~llmreg.domain.KeyRotation`): *stage* makes a next pair, *retire*
drops the old.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError

from ..domain import KeyRotation, ProductEnv, ProductRecord, ProductSpec, Record, problems
from ..errors import FieldProblem, LlmregError
from ..sealing import PrivateKey, PublicKey
from ..settings import RESTORE_KEYS
from ..store.base import Kind, Store, Stored
from .base import Adopt, RegistryName, ResourceCore, wire_names
from .context import DeployContext, stack_prefix
from .props import UNKNOWN, Props, is_unknown, pick
from .trust import mismatched_envs, product_refusal, registry_keys


class ProductArgs(ProductSpec):
    """A product: the owner of models and agents, with one encryption key pair per environment.

    Changing ``tag`` (or ``registry``) replaces the product; everything else updates in place.
    """

    adopt: Adopt = False
    registry: RegistryName = None


class ProductOutputs(Record):
    """What the Product computes, besides its inputs (camelCase in state)."""

    owner: str | None = Field(
        default=None, description="The resource's URN, recorded in the registry as its owner."
    )
    public_keys: dict[str, str] = Field(
        description="Env -> public key (`llmreg-pk1-...`) of the env's current key pair.",
    )
    key_ids: dict[str, str] = Field(description="Env -> id of the env's current key pair.")
    private_keys: dict[str, str] = Field(
        json_schema_extra={"secret": True},
        description="Secret. Env -> generated private key (`llmreg-sk1-...`) of the current pair, "
        "for that env's runtime. Envs with a supplied public key have no entry.",
    )
    next_public_keys: dict[str, str] = Field(
        description="Env -> public key of the staged next pair, during a rotation.",
    )
    next_key_ids: dict[str, str] = Field(
        description="Env -> id of the staged next pair, during a rotation."
    )
    next_private_keys: dict[str, str] = Field(
        json_schema_extra={"secret": True},
        description="Secret. Env -> generated private key of the staged next pair: hand it to "
        "the env's runtimes before retiring the old pair.",
    )
    sealing_keys: dict[str, list[str]] = Field(
        description="Env -> the public keys API keys of that env are sealed to (current, then "
        "next). Pass it to LlmModels of other stacks (`sealing_keys`, e.g. via a "
        "StackReference).",
    )
    version: int | None = Field(
        default=None, description="The registry record's version after the last write."
    )


COMPUTED = tuple(n for n in wire_names(ProductOutputs) if n not in ("owner", "version"))

DRY_RUN = "dryRun"
"""A hidden input the Python resource sets during ``pulumi preview`` (the dynamic provider is
not told whether it previews); ``check`` reads it and leaves it out of the checked inputs."""


@dataclass(frozen=True)
class EnvKeys:
    """One env's key pairs: the current one and, during a staged rotation, the next one.
    Private keys are known for generated pairs only."""

    public: str
    private: str | None = None
    next_public: str | None = None
    next_private: str | None = None

    def sealing(self) -> list[str]:
        return [self.public, *([self.next_public] if self.next_public else [])]


def _rotation(raw: Any) -> KeyRotation:
    """An env's rotation state; no entry means generation 0, nothing staged."""
    if isinstance(raw, Mapping):
        return KeyRotation.model_validate(raw)
    return KeyRotation(generation=0, phase="retire")


def _new_key(seed: bytes | None, label: str) -> PrivateKey:
    return PrivateKey.derive(seed, label) if seed else PrivateKey.generate()


def plan_keys(
    args: ProductArgs, olds: Props, seed: bytes | None
) -> tuple[dict[str, EnvKeys], list[FieldProblem], bool]:
    """Every env's key pairs after this step (supplied, kept, staged, retired or new), their
    problems, and whether a pair was made for this step."""
    old_private: Mapping[str, str] = olds.get("privateKeys") or {}
    old_next: Mapping[str, str] = olds.get("nextPrivateKeys") or {}
    old_rotations: Mapping[str, Any] = olds.get("keyRotations") or {}
    keys: dict[str, EnvKeys] = {}
    found: list[FieldProblem] = []
    made: list[str] = []
    for env in args.envs:
        if env in args.public_keys:
            keys[env] = EnvKeys(
                public=args.public_keys[env], next_public=args.next_public_keys.get(env)
            )
            continue
        new = args.key_rotations.get(env) or _rotation(None)
        label = f"{args.tag}|{env}|{new.generation}"

        def make(slot: str, label: str = label) -> str:
            made.append(slot)
            return _new_key(seed, f"{label}|{slot}").reveal()

        if env not in old_private:  # a new env (or product): its first pair
            current, staged = make("current"), None
        else:
            current, staged = old_private[env], old_next.get(env)
            old = _rotation(old_rotations.get(env))
            path = f"keyRotations.{env}"
            if (new.generation, new.phase) == (old.generation, old.phase):
                pass
            elif new.generation < old.generation:
                found.append(
                    FieldProblem(path, f"generation can only go up (it is {old.generation})")
                )
            elif new.generation == old.generation and new.phase == "retire":
                current, staged = staged or current, None  # retire: the staged pair takes over
            elif new.generation == old.generation:
                found.append(
                    FieldProblem(
                        path,
                        f"generation {old.generation} is retired already: to rotate again, "
                        f"stage generation {old.generation + 1}",
                    )
                )
            elif staged is not None:
                found.append(
                    FieldProblem(
                        path,
                        f"generation {old.generation} is still staged: retire it first "
                        f"(phase 'retire'), then stage generation {new.generation}",
                    )
                )
            elif new.phase == "stage":
                staged = make("next")
            else:
                found.append(
                    FieldProblem(
                        path,
                        f"stage generation {new.generation} first (phase 'stage'), hand the new "
                        f"private key (next_private_keys['{env}']) to the runtimes of '{env}', "
                        "then retire the old pair (phase 'retire')",
                    )
                )
        keys[env] = EnvKeys(
            public=PrivateKey(current).public_key.text,
            private=current,
            next_public=PrivateKey(staged).public_key.text if staged else None,
            next_private=staged,
        )
    return keys, found, bool(made)


def computed(keys: Mapping[str, EnvKeys]) -> Props:
    """The computed inputs (see :class:`ProductOutputs`) of the planned key pairs."""

    def key_id(text: str) -> str:
        return PublicKey(text).key_id

    return {
        "publicKeys": {e: k.public for e, k in keys.items()},
        "keyIds": {e: key_id(k.public) for e, k in keys.items()},
        "privateKeys": {e: k.private for e, k in keys.items() if k.private},
        "nextPublicKeys": {e: k.next_public for e, k in keys.items() if k.next_public},
        "nextKeyIds": {e: key_id(k.next_public) for e, k in keys.items() if k.next_public},
        "nextPrivateKeys": {e: k.next_private for e, k in keys.items() if k.next_private},
        "sealingKeys": {e: k.sealing() for e, k in keys.items()},
    }


def state_keys(state: Mapping[str, Any]) -> dict[str, list[str]]:
    """Env -> public keys (current, next) as the state holds them."""
    current: Mapping[str, str] = state.get("publicKeys") or {}
    staged: Mapping[str, str] = state.get("nextPublicKeys") or {}
    return {env: [key, *([staged[env]] if env in staged else [])] for env, key in current.items()}


class ProductCore(ResourceCore[ProductRecord]):
    """CRUD of product records; makes the environment key pairs."""

    kind = Kind.PRODUCT
    type_name = "Product"
    args = ProductArgs
    state = ProductOutputs
    replace_on = ("tag", "registry")
    compared = (
        "name",
        "envs",
        "keyRotations",
        "owner",
        "publicKeys",
        "nextPublicKeys",
    )

    def locate(self, id_: str, props: Mapping[str, Any]) -> tuple[str, str]:
        tag = props.get("tag") or id_
        return tag, tag

    def checked(
        self, ctx: DeployContext, olds: Props, news: Props, unknown: list[str], seed: bytes | None
    ) -> tuple[Props, list[FieldProblem]]:
        inputs = {k: v for k, v in news.items() if k not in COMPUTED and k != DRY_RUN}
        try:
            args = ProductArgs.model_validate(pick(news, _ARG_NAMES))
        except ValidationError as err:
            return inputs, problems(err)
        if any(is_unknown(news.get(k)) for k in _KEY_INPUTS):
            return {**inputs, **dict.fromkeys(COMPUTED, UNKNOWN)}, []
        keys, found, made = plan_keys(args, olds, seed)
        inputs.update(args.to_wire())
        inputs.update(computed(keys))
        if made and news.get(DRY_RUN):
            inputs = self.previewed(inputs, olds)
        return inputs, found

    def previewed(self, planned: Props, olds: Mapping[str, Any]) -> Props:
        """What a preview shows of ``planned`` when this step makes a key pair: the computed
        keys that change, as unknown. The ``pulumi up`` that applies the step makes its own
        pair (the engine gives each run its own random seed), so a preview must not show one."""
        return {k: UNKNOWN if k in COMPUTED and v != olds.get(k) else v for k, v in planned.items()}

    def declared(
        self,
        store: Store,
        inputs: Props,
        current: ProductRecord | None,
        olds: Props | None,
    ) -> ProductRecord:
        current_keys: Mapping[str, str] = inputs.get("publicKeys") or {}
        next_keys: Mapping[str, str] = inputs.get("nextPublicKeys") or {}
        envs = []
        for env in inputs["envs"]:
            public = PublicKey(current_keys[env])
            staged = PublicKey(next_keys[env]) if env in next_keys else None
            envs.append(
                ProductEnv(
                    slug=env,
                    key_id=public.key_id,
                    public_key=public.text,
                    next_key_id=staged.key_id if staged else None,
                    next_public_key=staged.text if staged else None,
                )
            )
        return ProductRecord(
            tag=inputs["tag"], name=inputs["name"], envs=envs, owner=inputs.get("owner")
        )

    def tampered(self, store: Store, state: Props) -> bool:
        """Refuse a registry whose public keys are not the ones this stack holds, unless the
        operator asked to restore them (``LLMREG_RESTORE_KEYS``); then the next write does."""
        tag = state.get("tag")
        if not isinstance(tag, str):
            return False
        current = self._get(store, tag, tag)
        if current is None:
            return False
        expected = state_keys(state)
        found = registry_keys(current.record)
        mismatches = mismatched_envs(expected, found, [e for e in expected if e in found])
        if not mismatches:
            return False
        if tag in RESTORE_KEYS.get():
            return True
        raise LlmregError(product_refusal(tag, mismatches))

    def converged(self, current: ProductRecord, declared: ProductRecord) -> bool:
        """Also when only the public keys differ and the operator asked to restore them."""
        if current == declared:
            return True
        return (
            current.tag in RESTORE_KEYS.get()
            and current.env_slugs() == declared.env_slugs()
            and current.model_copy(update={"envs": declared.envs}) == declared
        )

    def before_update(self, store: Store, olds: Props, news: Props) -> None:
        """An env may leave the product while the only records configured for it belong to
        this stack: preview made sure that this program configures none of them for it any
        more, and they are updated right after the product."""
        removed = set(olds.get("envs") or []) - set(news.get("envs") or [])
        if not removed:
            return
        tag, ours = news["tag"], stack_prefix(news.get("owner"))
        users = [
            f"{kind.value[:-1]} '{tag}/{s.record.tag}'"
            for kind in (Kind.MODEL, Kind.AGENT)
            for s in store.list(kind, tag)
            if any(e.slug in removed for e in s.record.envs)
            and not (ours and (getattr(s.record, "owner", None) or "").startswith(ours))
        ]
        if users:
            raise LlmregError(
                f"product '{tag}': env(s) {', '.join(sorted(removed))} are still configured in "
                f"{', '.join(users)}, which this stack does not manage: remove them there "
                "first, then from the product"
            )

    def refreshed(self, store: Store, state: Props, stored: Stored[ProductRecord]) -> Props:
        record = stored.record
        self.tampered(store, state)
        slugs = record.env_slugs()
        out = dict(state)
        out.update(
            tag=record.tag,
            name=record.name,
            envs=slugs,
            version=stored.version,
        )
        out["keyRotations"] = {
            k: v for k, v in (state.get("keyRotations") or {}).items() if k in slugs
        }
        if "publicKeys" not in state:  # a product read into a program with get() or import
            out.update(computed(_keys_of(record)))
            out["owner"] = record.owner
        return out


def _keys_of(record: ProductRecord) -> dict[str, EnvKeys]:
    return {
        e.slug: EnvKeys(public=e.public_key, next_public=e.next_public_key) for e in record.envs
    }


_ARG_NAMES = wire_names(ProductArgs)
_KEY_INPUTS = ("envs", "publicKeys", "nextPublicKeys", "keyRotations", "tag")

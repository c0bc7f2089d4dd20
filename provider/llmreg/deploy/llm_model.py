"""LlmModel: a provider's model with sampling defaults and per-env configs and API keys.

API keys travel in one top-level secret property, ``apiKeys`` (env slug -> key), so ``envs``
stays readable in previews. Each key is sealed to the public keys of its env that the trust
anchor names (:mod:`.trust`): the registry gets only ciphertext and a non-secret fingerprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator

from ..domain import (
    LlmModelRecord,
    ModelEnv,
    ModelEnvRecord,
    ModelSettings,
    ProductRecord,
    Record,
    SealedKey,
    problems,
)
from ..domain.llm_model import LlmModelBase
from ..domain.model_config import OVERRIDABLE_FIELDS
from ..domain.product import PublicKeyText
from ..domain.rules import RuleViolation, check_envs, env_problems
from ..errors import FieldProblem, NotFound
from ..sealing import PublicKey, fingerprint, seal
from ..store.base import Kind, Store, Stored
from .base import REPLACE_ON, Adopt, ProductEnvs, RegistryName, ResourceCore, wire_names
from .context import DeployContext
from .props import UNKNOWN, Props, is_unknown, pick
from .trust import key_ids, mismatched_envs, model_refusal, registry_keys

REPLACED_OUT_OF_BAND = "(replaced outside pulumi)"
"""What ``pulumi refresh`` puts in ``apiKeys`` for a key someone replaced in the registry."""


class LlmModelArgs(LlmModelBase[ModelEnv]):
    """An LLM model entity of a product, with one configuration (and sealed API key) per
    environment.

    Changing ``product``, ``tag`` or ``registry`` replaces it; everything else updates in place.
    API keys are secrets: they travel in ``apiKeys`` and reach the registry only sealed.
    """

    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        json_schema_extra={"secret": True, "hidden": True},
        description="Secret. Env -> API key (in Python: `ModelEnvArgs.api_key`). Sealed before "
        "it is stored.",
    )
    sealing_keys: dict[str, list[PublicKeyText]] | None = Field(
        default=None,
        description="Env -> the public keys to seal that env's API key to: the product's "
        "`sealing_keys` output. Set from the Product when it is in the same program; for a "
        "product managed in another stack pass that stack's output (e.g. via a StackReference), "
        "else the registry's keys are pinned at the first deploy.",
    )
    product_envs: ProductEnvs = None
    adopt: Adopt = False
    registry: RegistryName = None

    @model_validator(mode="after")
    def _keys_and_envs(self) -> LlmModelArgs:
        self.require_keys(self.keyed_envs())
        slugs = [e.slug for e in self.envs]
        for slug in self.api_keys:
            if slug not in slugs:
                raise RuleViolation(f"apiKeys.{slug}", f"names env '{slug}', which is not in envs")
        if self.product_envs is not None:
            check_envs(slugs, self.product_envs, self.product)
        return self

    def keyed_envs(self) -> list[str]:
        """The slugs of the envs given an API key."""
        given = {k for k, v in self.api_keys.items() if v.get_secret_value()}
        return [e.slug for e in self.envs if e.slug in given]


class LlmModelOutputs(Record):
    """What the LlmModel computes, besides its inputs."""

    owner: str | None = Field(
        default=None, description="The resource's URN, recorded in the registry as its owner."
    )
    sealed_to: dict[str, list[str]] = Field(
        description="Env -> ids of the product env key pairs its API key is sealed to."
    )
    settings: ModelSettings = Field(
        description="What agents resolve against: product, provider, model, sampling settings "
        "and per env `slug`/`baseUrl`/`active` (no key)."
    )
    key_fingerprints: dict[str, str] = Field(
        description="Env -> non-secret fingerprint of the sealed key (`fp1:...`); it changes "
        "whenever the key is re-sealed."
    )
    version: int | None = Field(
        default=None, description="The registry record's version after the last write."
    )


COMPUTED = ("sealedTo", "settings")
_ARG_NAMES = wire_names(LlmModelArgs)
_RECORD_NAMES = wire_names(LlmModelRecord)
_SETTING_NAMES = tuple(
    f.alias or n for n, f in LlmModelArgs.model_fields.items() if n in OVERRIDABLE_FIELDS
)


def args_wire(args: LlmModelArgs) -> Props:
    """The checked inputs of ``args``, API keys in plaintext (the engine keeps them secret)."""
    out = args.to_wire()
    out["apiKeys"] = {k: v.get_secret_value() for k, v in args.api_keys.items()}
    return out


def _without_keys(record: LlmModelRecord) -> LlmModelRecord:
    envs = [
        e.model_copy(update={"sealed_key": None, "next_sealed_key": None, "key_fingerprint": None})
        for e in record.envs
    ]
    return record.model_copy(update={"envs": envs})


class LlmModelCore(ResourceCore[LlmModelRecord]):
    """CRUD of model records; seals API keys on the way in."""

    kind = Kind.MODEL
    type_name = "LlmModel"
    args = LlmModelArgs
    state = LlmModelOutputs
    compared = (
        *(n for n in wire_names(LlmModelBase) if n not in REPLACE_ON),
        "apiKeys",
        "sealedTo",
        "owner",
    )

    # -- check ---------------------------------------------------------------------------------

    def checked(
        self, ctx: DeployContext, olds: Props, news: Props, unknown: list[str], seed: bytes | None
    ) -> tuple[Props, list[FieldProblem]]:
        inputs = {k: v for k, v in news.items() if k not in COMPUTED}
        anchor: Any = news.get("sealingKeys")
        given = pick(news, _ARG_NAMES)
        if is_unknown(anchor):  # the product's keys are made in this step: checked once known
            del given["sealingKeys"]
        try:
            args = LlmModelArgs.model_validate(given)
        except ValidationError as err:
            return inputs, problems(err)
        inputs.update(args_wire(args))
        found: list[FieldProblem] = []
        keyed = args.keyed_envs()
        if (args.product_envs is None or anchor is None) and not is_unknown(news.get("product")):
            # The product is managed elsewhere: its envs and keys come from the registry, and
            # its keys must match the anchor (given, else pinned at the first deploy).
            product = _product(ctx, news, args.product)
            if product is None:
                found.append(
                    FieldProblem(
                        "product",
                        f"product '{args.product}' does not exist in the registry: declare an "
                        "llmreg.Product in this program and pass product=<the Product>",
                    )
                )
            else:
                if args.product_envs is None:
                    found += _env_problems(args, product)
                pinned = anchor is None
                if pinned:
                    anchor = {**registry_keys(product), **(olds.get("sealingKeys") or {})}
                mismatches = mismatched_envs(
                    anchor, registry_keys(product), [e for e in keyed if e in anchor]
                )
                if mismatches:
                    what = f"model '{args.product}/{args.tag}'"
                    found.append(
                        FieldProblem(
                            "sealingKeys", model_refusal(what, args.product, pinned, mismatches)
                        )
                    )
        if isinstance(anchor, Mapping) and not is_unknown(anchor):
            found += [
                FieldProblem(
                    f"sealingKeys.{env}",
                    f"has no public key for env '{env}', whose API key must be sealed",
                )
                for env in keyed
                if not anchor.get(env)
            ]
        if anchor is not None:
            inputs["sealingKeys"] = anchor
        inputs["sealedTo"] = _sealed_to(args, anchor)
        inputs["settings"] = args.model_settings().to_wire()
        inputs.pop("productEnvs", None)  # only for this check: not stored, diffed, rewritten
        return inputs, found

    # -- writes --------------------------------------------------------------------------------

    def declared(
        self,
        store: Store,
        inputs: Props,
        current: LlmModelRecord | None,
        olds: Props | None,
    ) -> LlmModelRecord:
        anchor: Mapping[str, list[str]] = inputs.get("sealingKeys") or {}
        keys: Mapping[str, str] = inputs.get("apiKeys") or {}
        old_keys: Mapping[str, str] = (olds or {}).get("apiKeys") or {}
        old_fps: Mapping[str, str] = (olds or {}).get("keyFingerprints") or {}
        envs: list[ModelEnvRecord] = []
        for env in inputs["envs"]:
            slug = env["slug"]
            sealed: list[SealedKey] = []
            if keys.get(slug):
                reusable: dict[str, SealedKey] = {}
                was = current.env(slug) if current is not None else None
                if (
                    was is not None
                    and old_keys.get(slug) == keys[slug]
                    and was.key_fingerprint is not None
                    and was.key_fingerprint == old_fps.get(slug)
                ):
                    reusable = {k.key_id: k for k in was.sealed_keys()}
                for text in anchor[slug]:
                    target = PublicKey(text)
                    sealed.append(
                        reusable.get(target.key_id)
                        or seal(
                            keys[slug],
                            target,
                            product=inputs["product"],
                            env=slug,
                            model_tag=inputs["tag"],
                        )
                    )
            envs.append(
                ModelEnvRecord(
                    **ModelEnv.model_validate(env).model_dump(),
                    sealed_key=sealed[0] if sealed else None,
                    next_sealed_key=sealed[1] if len(sealed) > 1 else None,
                    key_fingerprint=fingerprint(sealed) if sealed else None,
                )
            )
        fields = pick(inputs, _RECORD_NAMES)
        return LlmModelRecord.model_validate({**fields, "envs": envs})

    def converged(self, current: LlmModelRecord, declared: LlmModelRecord) -> bool:
        """Keys are sealed afresh each time, so only what is not a key can be compared; an env
        whose key changed is sealed again by this update."""
        return _without_keys(current) == _without_keys(declared)

    def outputs(self, inputs: Props, stored: Stored[LlmModelRecord]) -> Props:
        out = super().outputs(inputs, stored)
        out["keyFingerprints"] = {
            e.slug: e.key_fingerprint for e in stored.record.envs if e.key_fingerprint
        }
        return out

    def refreshed(self, store: Store, state: Props, stored: Stored[LlmModelRecord]) -> Props:
        """The registry's record; API keys from the state unless replaced out of band."""
        record = stored.record
        out = {k: v for k, v in state.items() if k not in _RECORD_NAMES or k == "owner"}
        out.update({k: v for k, v in _without_keys(record).to_wire().items() if k != "owner"})
        old_keys: Mapping[str, str] = state.get("apiKeys") or {}
        old_fps: Mapping[str, str] = state.get("keyFingerprints") or {}
        keys: dict[str, str] = {}
        for env in record.envs:
            if env.key_fingerprint is None:
                continue
            same = env.key_fingerprint == old_fps.get(env.slug) and env.slug in old_keys
            keys[env.slug] = old_keys[env.slug] if same else REPLACED_OUT_OF_BAND
        out["apiKeys"] = keys
        out["sealedTo"] = {
            e.slug: [k.key_id for k in e.sealed_keys()] for e in record.envs if e.sealed_keys()
        }
        out["settings"] = _settings_as_in(state, record)
        out["keyFingerprints"] = {
            e.slug: e.key_fingerprint for e in record.envs if e.key_fingerprint
        }
        out["version"] = stored.version
        if "owner" not in state:
            out["owner"] = record.owner
        return out


def _settings_as_in(state: Props, record: LlmModelRecord) -> Props:
    """The record's settings, without ``tag`` when the state's settings have none (a model
    deployed before settings named the tag refreshes without a diff; its next update adds it)."""
    settings = record.model_settings().to_wire()
    old = state.get("settings")
    if isinstance(old, Mapping) and "tag" not in old:
        settings.pop("tag", None)
    return settings


def _product(ctx: DeployContext, news: Props, tag: str) -> ProductRecord | None:
    registry = news.get("registry")
    try:
        record = ctx.store(registry if isinstance(registry, str) else None).get(
            Kind.PRODUCT, tag, tag
        )
    except NotFound:
        return None
    assert isinstance(record.record, ProductRecord)
    return record.record


def _env_problems(args: LlmModelArgs, product: ProductRecord) -> list[FieldProblem]:
    return env_problems([e.slug for e in args.envs], product.env_slugs(), product.tag)[:1]


def _sealed_to(args: LlmModelArgs, anchor: Any) -> Any:
    """Env -> the key ids its API key is sealed to, or UNKNOWN while the anchor is unknown."""
    keyed = args.keyed_envs()
    if anchor is None or not keyed:
        return {}
    if is_unknown(anchor):
        return UNKNOWN
    return {slug: key_ids(anchor.get(slug, [])) for slug in keyed}

"""``llmreg.LlmModel``: a provider's model with sampling defaults and per-env configs and keys.

API keys travel in one top-level secret property, ``apiKeys`` (env slug -> key), so ``envs``
stays readable in previews. The provider seals each key to the product env's public key before
writing; the registry gets only ciphertext and a non-secret fingerprint per env.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, UpdateResult
from pydantic import ValidationError

from ..domain import LlmModelRecord, LlmModelSpec, ModelEnvRecord, SealedKey, problems
from ..errors import FieldProblem, LlmregError, NotFound
from ..sealing import PublicKey, fingerprint, seal
from ..store.base import Kind, Store, Stored
from ._outputs import StateOutput
from ._provider import (
    StoreProvider,
    changed_elsewhere,
    drop_none,
    env_problems,
    get_product,
    ints,
    unknown_paths,
    with_secret_outputs,
)

REPLACED_OUT_OF_BAND = "(replaced outside pulumi)"
"""What ``pulumi refresh`` puts in ``apiKeys`` for a key someone replaced in the registry."""

SETTINGS = ("temperature", "maxTokens", "topP", "stopSequences", "timeout")
FIELDS = ("product", "tag", "name", "description", "provider", "model", *SETTINGS)
_ENV_FIELDS = ("slug", "baseUrl", "active", "description")


def _norm_env(env: Any) -> Any:
    if not isinstance(env, Mapping):
        return env
    out = {k: env.get(k) for k in _ENV_FIELDS}
    out["active"] = True if out["active"] is None else out["active"]
    extra = {k: v for k, v in env.items() if k not in _ENV_FIELDS}
    return drop_none({**out, **extra})


def normalize(news: Mapping[str, Any]) -> dict[str, Any]:
    """The checked inputs: defaults filled, unset fields left out, envs in declared order."""
    inputs: dict[str, Any] = ints({k: news.get(k) for k in FIELDS})
    if inputs["temperature"] is None:
        inputs["temperature"] = 0.7
    envs = news.get("envs")
    inputs["envs"] = [_norm_env(e) for e in envs] if isinstance(envs, list | tuple) else envs
    keys = news.get("apiKeys")
    inputs["apiKeys"] = (
        {k: v for k, v in keys.items() if v not in (None, "")}
        if isinstance(keys, Mapping)
        else keys
    )
    inputs["adopt"] = bool(news.get("adopt") or False)
    return drop_none(inputs)  # type: ignore[no-any-return]


def _spec_data(inputs: Mapping[str, Any]) -> dict[str, Any]:
    raw = inputs.get("apiKeys")
    keys: Mapping[Any, Any] = raw if isinstance(raw, Mapping) else {}
    data = {k: inputs[k] for k in FIELDS if k in inputs}
    envs = inputs.get("envs")
    if isinstance(envs, list):
        data["envs"] = [
            {**e, "apiKey": keys.get(e.get("slug"))} if isinstance(e, Mapping) else e for e in envs
        ]
    elif envs is not None:
        data["envs"] = envs
    return drop_none(data)  # type: ignore[no-any-return]


def settings_of(props: Mapping[str, Any]) -> dict[str, Any]:
    """The non-secret settings an agent's ``resolved`` depends on (an output of the model,
    computed in ``check`` so that agents see a model change in the same preview)."""
    out: dict[str, Any] = {
        k: props[k] for k in ("product", "provider", "model", *SETTINGS) if k in props
    }
    envs = props.get("envs")
    out["envs"] = (
        [
            drop_none(
                {
                    "slug": e.get("slug"),
                    "baseUrl": e.get("baseUrl"),
                    "active": e.get("active", True),
                }
            )
            for e in envs
            if isinstance(e, Mapping)
        ]
        if isinstance(envs, list)
        else envs
    )
    return out


class LlmModelProvider(StoreProvider):
    """CRUD of model records; seals API keys on the way in."""

    kind = Kind.MODEL
    resource = "LlmModel"
    compared = ("name", "description", "provider", "model", *SETTINGS, "envs", "apiKeys")

    def checked(self, news: dict[str, Any]) -> tuple[dict[str, Any], list[FieldProblem], list[str]]:
        inputs = normalize(news)
        unknown = unknown_paths(inputs)
        found: list[FieldProblem] = []
        try:
            LlmModelSpec.model_validate(_spec_data(inputs))
        except ValidationError as e:
            found += problems(e)
        keys = inputs.get("apiKeys")
        slugs = [e.get("slug") for e in inputs.get("envs") or [] if isinstance(e, Mapping)]
        if isinstance(keys, Mapping):
            for slug in keys:
                if slug not in slugs:
                    found.append(
                        FieldProblem(f"apiKeys.{slug}", f"names env '{slug}', not in envs")
                    )
        sealed_to: dict[str, str] = {}
        product = self.named_product(inputs)
        if product is not None:
            found += env_problems(inputs.get("envs"), product)
            for slug in keys if isinstance(keys, Mapping) else {}:
                penv = product.env(slug)
                if penv is not None:
                    sealed_to[slug] = penv.key_id
        inputs["sealedTo"] = sealed_to
        inputs["settings"] = settings_of(inputs)
        return inputs, found, unknown

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """True if a key would be sealed to another key pair of its env (a rotation)."""
        new_sealed: Mapping[str, str] = news.get("sealedTo") or {}
        old_sealed: Mapping[str, str] = olds.get("sealedTo") or {}
        return any(old_sealed.get(env) != kid for env, kid in new_sealed.items())

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = ints(props)
        store = self.store()
        record = self._record(store, props, reuse={})
        stored = self.create_record(store, record, adopt=bool(props.get("adopt")))
        return CreateResult(f"{record.product}/{record.tag}", _outs(props, record, stored.version))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = ints(olds), ints(news)
        store = self.store()
        what = f"model '{news['product']}/{news['tag']}'"
        version = int(olds.get("version") or 0)
        try:
            current = store.get(Kind.MODEL, news["product"], news["tag"])
        except NotFound:
            raise LlmregError(
                f"{what} was deleted from the registry outside pulumi: run `pulumi refresh`, "
                "then `pulumi up` to create it again"
            ) from None
        if current.version != version:
            raise changed_elsewhere(what)
        reuse: dict[str, SealedKey] = {}
        old_keys: Mapping[str, str] = olds.get("apiKeys") or {}
        old_fps: Mapping[str, str] = olds.get("keyFingerprints") or {}
        new_keys: Mapping[str, str] = news.get("apiKeys") or {}
        assert isinstance(current.record, LlmModelRecord)
        for env in current.record.envs:
            same_key = env.slug in new_keys and old_keys.get(env.slug) == new_keys[env.slug]
            if same_key and env.sealed_key and env.key_fingerprint == old_fps.get(env.slug):
                reuse[env.slug] = env.sealed_key
        record = self._record(store, news, reuse=reuse)
        stored = self.update_record(store, record, version)
        return UpdateResult(_outs(news, record, stored.version))

    def refreshed(self, store: Store, stored: Stored[Any], props: dict[str, Any]) -> dict[str, Any]:
        assert isinstance(stored.record, LlmModelRecord)
        return read_outs(stored.record, props, stored.version)

    def _record(
        self, store: Store, props: Mapping[str, Any], reuse: Mapping[str, SealedKey]
    ) -> LlmModelRecord:
        what = f"model '{props['product']}/{props['tag']}'"
        product = get_product(store, props["product"])
        if product is None:
            raise LlmregError(
                f"{what}: product '{props['product']}' does not exist in the registry: declare "
                "an llmreg.Product and pass product=<the Product>.tag so it is created first"
            )
        bad = env_problems(props.get("envs"), product)
        if bad:
            raise LlmregError(f"invalid {what}:\n" + "\n".join(f"  - {p}" for p in bad))
        keys: Mapping[str, str] = props.get("apiKeys") or {}
        envs: list[ModelEnvRecord] = []
        for env in props["envs"]:
            slug = env["slug"]
            sealed: SealedKey | None = None
            if keys.get(slug):
                penv = product.env(slug)
                assert penv is not None
                old = reuse.get(slug)
                if old is not None and old.key_id == penv.key_id:
                    sealed = old
                else:
                    sealed = seal(
                        keys[slug],
                        PublicKey(penv.public_key),
                        product=product.tag,
                        env=slug,
                        model_tag=props["tag"],
                    )
            envs.append(
                ModelEnvRecord(
                    slug=slug,
                    base_url=env.get("baseUrl"),
                    active=env.get("active", True),
                    description=env.get("description"),
                    sealed_key=sealed,
                    key_fingerprint=fingerprint(sealed) if sealed else None,
                )
            )
        data = ints({k: props[k] for k in FIELDS if props.get(k) is not None})
        return LlmModelRecord.model_validate({**data, "envs": envs})


def _outs(props: Mapping[str, Any], record: LlmModelRecord, version: int) -> dict[str, Any]:
    outs = dict(props)
    outs.update(
        sealedTo={e.slug: e.sealed_key.key_id for e in record.envs if e.sealed_key},
        keyFingerprints={e.slug: e.key_fingerprint for e in record.envs if e.key_fingerprint},
        version=version,
    )
    return outs


def read_outs(record: LlmModelRecord, state: Mapping[str, Any], version: int) -> dict[str, Any]:
    """Outputs from the registry's record; keys come from state unless replaced out of band."""
    wire = record.to_wire()
    outs: dict[str, Any] = {k: wire[k] for k in FIELDS if k in wire}
    outs["envs"] = [
        drop_none(
            {
                "slug": e.slug,
                "baseUrl": e.base_url,
                "active": e.active,
                "description": e.description,
            }
        )
        for e in record.envs
    ]
    old_keys: Mapping[str, str] = state.get("apiKeys") or {}
    old_fps: Mapping[str, str] = state.get("keyFingerprints") or {}
    keys: dict[str, str] = {}
    for env in record.envs:
        if env.key_fingerprint is None:
            continue
        if env.key_fingerprint == old_fps.get(env.slug) and env.slug in old_keys:
            keys[env.slug] = old_keys[env.slug]
        else:
            keys[env.slug] = REPLACED_OUT_OF_BAND
    outs["apiKeys"] = keys
    outs["adopt"] = bool(state.get("adopt") or False)
    outs["settings"] = settings_of(outs)
    return _outs(outs, record, version)


@dataclass(frozen=True)
class ModelEnvArgs:
    """A model's configuration for one environment of its product."""

    slug: str
    """The environment (one of the product's envs)."""
    api_key: pulumi.Input[str] | None = None
    """Secret API key; required for every provider but ``custom``. Sealed before it is stored."""
    base_url: pulumi.Input[str] | None = None
    """Endpoint override (http(s) URL); required for ``custom``."""
    active: pulumi.Input[bool] | None = None
    """False keeps the config but leaves the env out of agents' ``resolved`` (default True)."""
    description: pulumi.Input[str] | None = None


class LlmModel(pulumi.dynamic.Resource, module="llmreg", name="LlmModel"):
    """An LLM model entity of a product, with one config (and sealed API key) per environment.

    Changing ``product`` or ``tag`` replaces it; everything else updates in place. API keys are
    secrets: they travel in ``apiKeys`` and reach the registry only sealed.
    """

    product: pulumi.Output[str]
    """The owning product's tag."""
    tag: pulumi.Output[str]
    """The model's tag, unique within the product."""
    name: pulumi.Output[str]
    description: pulumi.Output[str | None]
    provider: pulumi.Output[str]
    """``anthropic``, ``openai``, ``google``, ``cohere`` or ``custom``."""
    model: pulumi.Output[str]
    """The provider's model id."""
    temperature: pulumi.Output[float]
    max_tokens = StateOutput[int | None]("maxTokens")
    top_p = StateOutput[float | None]("topP")
    stop_sequences = StateOutput[list[str] | None]("stopSequences")
    timeout: pulumi.Output[int | None]
    envs: pulumi.Output[list[dict[str, Any]]]
    """Per env: ``slug``, ``baseUrl``, ``active``, ``description`` (no key)."""
    api_keys = StateOutput[dict[str, str]]("apiKeys")
    """Secret. Env slug -> API key."""
    sealed_to = StateOutput[dict[str, str]]("sealedTo")
    """Env slug -> id of the product env key pair the stored key is sealed to."""
    settings: pulumi.Output[dict[str, Any]]
    """The non-secret settings agents resolve against: product, provider, model, sampling
    settings and per env ``slug``/``baseUrl``/``active``."""
    key_fingerprints = StateOutput[dict[str, str]]("keyFingerprints")
    """Env slug -> non-secret fingerprint of the sealed key (changes when the key changes)."""
    version: pulumi.Output[int]
    """The registry record's version after the last write."""

    def __init__(
        self,
        resource_name: str,
        *,
        product: pulumi.Input[str],
        tag: pulumi.Input[str],
        name: pulumi.Input[str],
        provider: pulumi.Input[str],
        model: pulumi.Input[str],
        envs: Sequence[ModelEnvArgs],
        description: pulumi.Input[str] | None = None,
        temperature: pulumi.Input[float] | None = None,
        max_tokens: pulumi.Input[int] | None = None,
        top_p: pulumi.Input[float] | None = None,
        stop_sequences: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        timeout: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a model. See docs/resources/llm_model.md for every argument's rules."""
        keys = {e.slug: e.api_key for e in envs if e.api_key is not None}
        api_keys: Any = pulumi.Output.secret(pulumi.Output.all(**keys)) if keys else {}
        props: dict[str, Any] = {
            "product": product,
            "tag": tag,
            "name": name,
            "description": description,
            "provider": provider,
            "model": model,
            "temperature": temperature,
            "maxTokens": max_tokens,
            "topP": top_p,
            "stopSequences": stop_sequences,
            "timeout": timeout,
            "envs": [
                {
                    "slug": e.slug,
                    "baseUrl": e.base_url,
                    "active": e.active,
                    "description": e.description,
                }
                for e in envs
            ],
            "apiKeys": api_keys,
            "adopt": adopt,
            "sealedTo": None,
            "settings": None,
            "keyFingerprints": None,
            "version": None,
        }
        opts = with_secret_outputs(opts, "apiKeys")
        super().__init__(LlmModelProvider(), resource_name, props, opts)

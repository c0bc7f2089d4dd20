"""``llmreg.LlmModel``: a provider's model with sampling defaults and per-env configs and keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from .._literals import Provider
from ._dynamic import LlmModelProvider
from ._outputs import StateOutput, read_existing, register
from ._program import add_model, owner_urn, product_of
from .args import ModelEnvArgs, ModelEnvArgsDict, coerce_all
from .product import Product


def _secret(value: pulumi.Output[Any]) -> pulumi.Output[Any]:
    return pulumi.Output.secret(value)


class LlmModel(pulumi.dynamic.Resource, module="llmreg", name="LlmModel"):
    """An LLM model entity of a product, with one configuration (and sealed API key) per
    environment.

    Changing ``product``, ``tag`` or ``registry`` replaces it; everything else updates in place.
    API keys are secrets: they travel in ``apiKeys`` and reach the registry only sealed.
    """

    product = StateOutput[str]("product")
    """The owning product: the Product resource (or its `tag`), or the tag of a product managed
    elsewhere."""
    tag = StateOutput[str]("tag")
    """The model's tag: a slug, unique within the product."""
    name = StateOutput[str]("name")
    """Human-readable name."""
    description = StateOutput[str | None]("description")
    """What the model is for."""
    provider = StateOutput[str]("provider")
    """`anthropic`, `openai`, `google`, `cohere` or `custom` (an OpenAI-compatible endpoint)."""
    model = StateOutput[str]("model")
    """The provider's model id, e.g. `claude-sonnet-4-20250514`."""
    temperature = StateOutput[float]("temperature")
    """Sampling temperature, 0-2 (default 0.7)."""
    max_tokens = StateOutput[int | None]("maxTokens")
    """Maximum number of tokens to generate, > 0."""
    top_p = StateOutput[float | None]("topP")
    """Nucleus sampling, 0-1."""
    stop_sequences = StateOutput[list[str] | None]("stopSequences")
    """Stop sequences; a layer that sets them replaces the inherited list whole."""
    timeout = StateOutput[int | None]("timeout")
    """Request timeout in milliseconds, > 0."""
    envs = StateOutput[list[dict[str, Any]]]("envs")
    """One configuration per environment (at least one; slugs unique and declared by the
    product)."""
    api_keys = StateOutput[dict[str, str]]("apiKeys", secret=True)
    """Secret. Env -> API key (in Python: `ModelEnvArgs.api_key`). Sealed before it is
    stored."""
    sealing_keys = StateOutput[dict[str, list[str]]]("sealingKeys")
    """Env -> the public keys to seal that env's API key to: the product's `sealing_keys`
    output. Set from the Product when it is in the same program; for a product managed in
    another stack pass that stack's output (e.g. via a StackReference), else the registry's keys
    are pinned at the first deploy."""
    sealed_to = StateOutput[dict[str, list[str]]]("sealedTo")
    """Env -> ids of the product env key pairs its API key is sealed to."""
    settings = StateOutput[dict[str, Any]]("settings")
    """What agents resolve against: product, provider, model, sampling settings and per env
    `slug`/`baseUrl`/`active` (no key)."""
    key_fingerprints = StateOutput[dict[str, str]]("keyFingerprints")
    """Env -> non-secret fingerprint of the sealed key (`fp1:...`); it changes whenever the key
    is re-sealed."""
    owner = StateOutput[str]("owner")
    """The resource's URN, recorded in the registry as its owner."""
    version = StateOutput[int]("version")
    """The registry record's version after the last write."""

    def __init__(
        self,
        resource_name: str,
        *,
        product: Product | pulumi.Input[str],
        tag: pulumi.Input[str],
        name: pulumi.Input[str],
        provider: pulumi.Input[Provider],
        model: pulumi.Input[str],
        envs: Sequence[ModelEnvArgs | ModelEnvArgsDict],
        description: pulumi.Input[str] | None = None,
        temperature: pulumi.Input[float] | None = None,
        max_tokens: pulumi.Input[int] | None = None,
        top_p: pulumi.Input[float] | None = None,
        stop_sequences: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        timeout: pulumi.Input[int] | None = None,
        sealing_keys: pulumi.Input[Mapping[str, Sequence[str]]] | None = None,
        adopt: pulumi.Input[bool] = False,
        registry: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a model.

        :param resource_name: The resource's name in the Pulumi program.
        :param product: The owning product: the Product resource (or its `tag`), or the tag of a
            product managed elsewhere.
        :param tag: The model's tag: a slug, unique within the product.
        :param name: Human-readable name.
        :param provider: `anthropic`, `openai`, `google`, `cohere` or `custom` (an
            OpenAI-compatible endpoint).
        :param model: The provider's model id, e.g. `claude-sonnet-4-20250514`.
        :param envs: One configuration per environment (at least one; slugs unique and
            declared by the product).
        :param description: What the model is for.
        :param temperature: Sampling temperature, 0-2 (default 0.7).
        :param max_tokens: Maximum number of tokens to generate, > 0.
        :param top_p: Nucleus sampling, 0-1.
        :param stop_sequences: Stop sequences; a layer that sets them replaces the inherited
            list whole.
        :param timeout: Request timeout in milliseconds, > 0.
        :param sealing_keys: Env -> the public keys to seal that env's API key to: the
            product's `sealing_keys` output. Set from the Product when it is in the same
            program; for a product managed in another stack pass that stack's output (e.g. via
            a StackReference), else the registry's keys are pinned at the first deploy.
        :param adopt: Take over a record that already exists in the registry (made by hand, or
            left by a lost stack).
        :param registry: A registry named in stack config `llmreg:registries` (default:
            `llmreg:url`).
        :param opts: Options of the resource (``pulumi.ResourceOptions``).
        """
        env_args = coerce_all(envs, ModelEnvArgs, "envs")
        keys: Any = {e.slug: e.api_key for e in env_args if e.api_key is not None}
        owner = product_of(product)
        self._product = owner
        props: dict[str, Any] = dict(
            product=owner.tag if owner is not None else product,
            tag=tag,
            name=name,
            description=description,
            provider=provider,
            model=model,
            temperature=temperature,
            maxTokens=max_tokens,
            topP=top_p,
            stopSequences=stop_sequences,
            timeout=timeout,
            envs=[
                {
                    "slug": e.slug,
                    "baseUrl": e.base_url,
                    "active": e.active,
                    "description": e.description,
                }
                for e in env_args
            ],
            apiKeys=_secret(pulumi.Output.all(**keys)) if keys else {},
            sealingKeys=sealing_keys
            if sealing_keys is not None
            else (owner.sealing_keys if owner is not None else None),
            productEnvs=owner.envs if owner is not None else None,
            adopt=adopt,
            registry=registry,
            owner=owner_urn(resource_name, "LlmModel", opts),
        )
        register(self, LlmModelProvider(), resource_name, props, opts)
        add_model(self, tag)

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        registry: str | None = None,
    ) -> LlmModel:
        """Read an existing model from the registry into this program without managing it.

        :param resource_name: The unique name of the resulting resource.
        :param id: ``<product>/<tag>``.
        :param opts: Options of the resource.
        :param registry: A registry named in stack config `llmreg:registries`.
        """
        return read_existing(LlmModel, LlmModelProvider(), resource_name, id, opts, registry)

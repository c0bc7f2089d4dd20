"""``llmreg.Agent``: a system prompt, tools and override layers on top of one model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ._dynamic import AgentProvider
from ._outputs import StateOutput, read_existing, register
from ._program import model_named, model_settings_of, owner_urn, product_of
from .args import (
    AgentEnvArgs,
    AgentEnvArgsDict,
    ModelConfigArgs,
    ModelConfigArgsDict,
    TerminationArgs,
    TerminationArgsDict,
    ToolArgs,
    ToolArgsDict,
    coerce,
    coerce_all,
    config_props,
)
from .llm_model import LlmModel
from .product import Product


class Agent(pulumi.dynamic.Resource, module="llmreg", name="Agent"):
    """An AI agent of a product: model, system prompt, tools and override layers.

    Changing ``product``, ``tag`` or ``registry`` replaces it; everything else updates in place.
    """

    product = StateOutput[str]("product")
    """The owning product: the Product resource (or its `tag`), or the tag of a product managed
    elsewhere."""
    tag = StateOutput[str]("tag")
    """The agent's tag: a slug, unique within the product."""
    name = StateOutput[str]("name")
    """Human-readable name."""
    description = StateOutput[str | None]("description")
    """What the agent does."""
    model = StateOutput[str]("model")
    """The model: an LlmModel resource, or the tag of a model of the same product (declared in
    this program or managed elsewhere)."""
    system_prompt = StateOutput[str | None]("systemPrompt")
    """The agent's system prompt."""
    tools = StateOutput[list[dict[str, Any]]]("tools")
    """Functions the agent may call (names unique)."""
    model_config = StateOutput[dict[str, Any]]("modelConfig")
    """Agent-level overrides of the model's settings."""
    envs = StateOutput[list[dict[str, Any]]]("envs")
    """Environment-level overrides (slugs unique and declared by the product)."""
    fallbacks = StateOutput[list[str] | None]("fallbacks")
    """Models of the same product (LlmModel resources or tags, like `model`) to try in order
    when the one before fails with a rate limit (429), a server error (5xx), a timeout or a
    connection error; other errors do not fall back."""
    termination = StateOutput[dict[str, Any] | None]("termination")
    """When a run stops: `maxIterations` (model calls, default 10), `maxTokens` (input + output
    tokens summed over the run) and `timeout` (ms, the whole run)."""
    resolved = StateOutput[dict[str, dict[str, Any]]]("resolved")
    """Env -> effective settings: `provider`, `model`, `baseUrl`, every setting some layer sets
    (`temperature`, `maxTokens`, `topP`, `stopSequences`, `timeout`) and `provenance` (field ->
    `model`, `agent` or `env`), for every env where the model has an active config; with
    fallbacks, the resolved chain (`fallbacks`, `fallbacksLeftOut`), and the `termination`
    limits when declared. Never a key."""
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
        model: LlmModel | pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        system_prompt: pulumi.Input[str] | None = None,
        tools: Sequence[ToolArgs | ToolArgsDict] | None = None,
        model_config: ModelConfigArgs | ModelConfigArgsDict | None = None,
        envs: Sequence[AgentEnvArgs | AgentEnvArgsDict] | None = None,
        fallbacks: Sequence[LlmModel | pulumi.Input[str]] | None = None,
        termination: TerminationArgs | TerminationArgsDict | None = None,
        adopt: pulumi.Input[bool] = False,
        registry: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare an agent.

        :param resource_name: The resource's name in the Pulumi program.
        :param product: The owning product: the Product resource (or its `tag`), or the tag of a
            product managed elsewhere.
        :param tag: The agent's tag: a slug, unique within the product.
        :param name: Human-readable name.
        :param model: The model: an LlmModel resource, or the tag of a model of the same
            product (declared in this program or managed elsewhere).
        :param description: What the agent does.
        :param system_prompt: The agent's system prompt.
        :param tools: Functions the agent may call (names unique).
        :param model_config: Agent-level overrides of the model's settings.
        :param envs: Environment-level overrides (slugs unique and declared by the product).
        :param fallbacks: Models of the same product (LlmModel resources or tags, like
            `model`) to try in order when the one before fails with a rate limit (429), a server
            error (5xx), a timeout or a connection error; other errors do not fall back.
        :param termination: When a run stops: `maxIterations` (model calls, default 10),
            `maxTokens` (input + output tokens summed over the run) and `timeout` (ms, the whole
            run).
        :param adopt: Take over a record that already exists in the registry (made by hand, or
            left by a lost stack).
        :param registry: A registry named in stack config `llmreg:registries` (default:
            `llmreg:url`).
        :param opts: Options of the resource (``pulumi.ResourceOptions``).
        """
        owner = product_of(product)
        resource = model if isinstance(model, LlmModel) else model_named(model, product)
        settings = resource.settings if resource is not None else model_settings_of(model, product)
        chain_tags: list[Any] = []
        chain_settings: list[Any] = []
        for fallback in fallbacks or []:
            found = fallback if isinstance(fallback, LlmModel) else model_named(fallback, product)
            chain_tags.append(found.tag if found is not None else fallback)
            chain_settings.append(
                found.settings if found is not None else model_settings_of(fallback, product)
            )
        props: dict[str, Any] = dict(
            product=owner.tag if owner is not None else product,
            tag=tag,
            name=name,
            description=description,
            model=resource.tag if resource is not None else model,
            systemPrompt=system_prompt,
            tools=[
                {"name": t.name, "description": t.description, "parameters": t.parameters}
                for t in coerce_all(tools, ToolArgs, "tools")
            ],
            modelConfig=config_props(model_config, "model_config"),
            envs=[
                {"slug": e.slug, "modelConfig": config_props(e.model_config, f"envs[{i}]")}
                for i, e in enumerate(coerce_all(envs, AgentEnvArgs, "envs"))
            ],
            modelSettings=settings,
            fallbacks=chain_tags if fallbacks is not None else None,
            fallbackSettings=_present(chain_settings) if chain_settings else None,
            termination=coerce(termination, TerminationArgs, "termination").to_props()
            if termination is not None
            else None,
            productEnvs=owner.envs if owner is not None else None,
            adopt=adopt,
            registry=registry,
            owner=owner_urn(resource_name, "Agent", opts),
        )
        register(self, AgentProvider(), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        registry: str | None = None,
    ) -> Agent:
        """Read an existing agent from the registry into this program without managing it.

        :param resource_name: The unique name of the resulting resource.
        :param id: ``<product>/<tag>``.
        :param opts: Options of the resource.
        :param registry: A registry named in stack config `llmreg:registries`.
        """
        return read_existing(Agent, AgentProvider(), resource_name, id, opts, registry)


def _present(settings: list[Any]) -> Any:
    """The settings of the fallback models of this program (a tag output resolves to a model of
    this program, or to None for a model managed elsewhere)."""
    known = [s for s in settings if s is not None]
    return pulumi.Output.all(*known).apply(lambda values: [v for v in values if v is not None])

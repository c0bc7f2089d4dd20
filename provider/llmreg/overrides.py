"""Override resolution: model < agent < environment < runtime, field by field, with provenance.

One function, :func:`resolve_env`, gives the one shape of a resolved configuration,
:class:`ResolvedEnv`: the Agent resource's ``resolved`` (three layers, every active env), the
registry server's resolved endpoint, the runtime's ``llmreg.resolve`` (plus the runtime layer)
and the CLI all use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import FieldSerializationInfo, field_serializer, field_validator
from pydantic.alias_generators import to_camel, to_snake

from ._compat import StrEnum
from .domain.agent import AgentBase, Termination
from .domain.common import Provider
from .domain.llm_model import ModelSettings
from .domain.model_config import OVERRIDABLE_FIELDS, ModelConfig


class Layer(StrEnum):
    """Where a resolved value came from, lowest precedence first."""

    MODEL = "model"
    AGENT = "agent"
    ENV = "env"
    RUNTIME = "runtime"


@dataclass(frozen=True)
class Resolved:
    """The merged settings and, for every field that has a value, the layer it came from."""

    settings: ModelConfig
    provenance: dict[str, Layer]


def resolve_layers(layers: Sequence[tuple[Layer, ModelConfig]]) -> Resolved:
    """Merge ``layers`` (lowest precedence first): a field a layer leaves out is inherited.

    ``stopSequences`` is a value like any other: a layer that sets it replaces it whole.
    """
    values: dict[str, object] = {}
    provenance: dict[str, Layer] = {}
    for layer, config in layers:
        for name, value in config.set_fields().items():
            values[name] = value
            provenance[name] = layer
    ordered = {name: provenance[name] for name in OVERRIDABLE_FIELDS if name in provenance}
    return Resolved(ModelConfig.model_validate(values), ordered)


def deploy_layers(
    model: ModelConfig, agent: AgentBase | None, env: str
) -> list[tuple[Layer, ModelConfig]]:
    """The layers known at deploy time for ``agent`` in ``env``: the model entity's settings,
    the agent's overrides and the agent's overrides for ``env`` (an absent agent or env
    contributes nothing). The runtime appends its own layer to these."""
    layers = [(Layer.MODEL, model)]
    if agent is not None:
        layers.append((Layer.AGENT, agent.overrides))
        agent_env = agent.env(env)
        if agent_env is not None:
            layers.append((Layer.ENV, agent_env.overrides))
    return layers


def wire_provenance(provenance: Mapping[str, Layer]) -> dict[str, Layer]:
    """Provenance as records and JSON spell it: each setting by its camelCase name."""
    return {to_camel(k): v for k, v in provenance.items()}


class ResolvedModel(ModelConfig):
    """A model's effective configuration in one environment: provider, model id, the env's
    base URL, every setting some layer sets, and ``provenance``: each set field -> the layer it
    came from. Never a key.

    Provenance is keyed like every other name: snake_case in Python, camelCase on the wire
    (``maxTokens``, as ``Agent.resolved`` and the registry's resolved endpoint show it)."""

    provider: Provider
    model: str
    base_url: str | None = None
    provenance: dict[str, Layer]

    @field_validator("provenance", mode="before")
    @classmethod
    def _snake_keys(cls, value: Any) -> Any:
        return {to_snake(k): v for k, v in value.items()} if isinstance(value, Mapping) else value

    @field_serializer("provenance")
    def _wire_keys(self, value: dict[str, Layer], info: FieldSerializationInfo) -> dict[str, Any]:
        return dict(wire_provenance(value)) if info.by_alias else dict(value)


class ResolvedFallback(ResolvedModel):
    """One model of an agent's fallback chain, resolved with the agent's layers on its own
    settings."""

    tag: str


class ResolvedEnv(ResolvedModel):
    """The effective configuration of an agent (or a bare model) in one environment; for an
    agent with fallbacks, the chain after its model, and its termination limits when it
    declares any."""

    fallbacks: list[ResolvedFallback] | None = None
    fallbacks_left_out: list[str] | None = None
    termination: Termination | None = None


def _resolve_model(
    model: ModelSettings, agent: AgentBase | None, env: str, runtime: ModelConfig | None
) -> dict[str, object]:
    layers = deploy_layers(model.layer(), agent, env)
    if runtime is not None:
        layers.append((Layer.RUNTIME, runtime))
    merged = resolve_layers(layers)
    model_env = next(e for e in model.envs if e.slug == env)
    return dict(
        provider=model.provider,
        model=model.model,
        base_url=model_env.base_url,
        **merged.settings.set_fields(),
        provenance=merged.provenance,
    )


def resolve_env(
    model: ModelSettings,
    agent: AgentBase | None,
    env: str,
    runtime: ModelConfig | None = None,
    fallbacks: Mapping[str, ModelSettings] | None = None,
) -> ResolvedEnv:
    """``agent`` (or the bare ``model``) in ``env``: model < agent < env (< ``runtime``).

    ``fallbacks`` holds the settings of the agent's fallback models, by tag: each one with an
    active config in ``env`` joins the chain, resolved with the same layers on its own settings;
    the others are left out (and named). The caller makes sure ``env`` is one of the model's
    active envs.
    """
    chain: list[ResolvedFallback] = []
    left_out: list[str] = []
    for tag in (agent.fallbacks or []) if agent is not None else []:
        other = (fallbacks or {}).get(tag)
        if other is not None and any(e.slug == env for e in other.active_envs()):
            chain.append(ResolvedFallback(tag=tag, **_resolve_model(other, agent, env, runtime)))
        else:
            left_out.append(tag)
    return ResolvedEnv(
        **_resolve_model(model, agent, env, runtime),
        fallbacks=chain or None,
        fallbacks_left_out=left_out or None,
        termination=agent.termination.limits() if agent and agent.termination else None,
    )


def resolve_all(
    model: ModelSettings,
    agent: AgentBase | None,
    fallbacks: Mapping[str, ModelSettings] | None = None,
) -> dict[str, ResolvedEnv]:
    """Env slug -> :class:`ResolvedEnv` for every env where ``model`` has an active config."""
    return {e.slug: resolve_env(model, agent, e.slug, None, fallbacks) for e in model.active_envs()}

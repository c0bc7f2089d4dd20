"""Override resolution: model < agent < environment < runtime, field by field, with provenance.

One pure function serves deploy time (``Agent.resolved``, three layers) and run time
(``llmreg.resolve``, plus the runtime layer).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from .domain.agent import AgentRecord
from .domain.model_config import OVERRIDABLE_FIELDS, ModelConfig


class Layer(enum.StrEnum):
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
    model: ModelConfig, agent: AgentRecord | None, env: str
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

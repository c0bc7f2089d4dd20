"""The input types of the resources: an ``*Args`` class and a ``*ArgsDict`` TypedDict for each,
as in every Pulumi Python SDK. A plain dict works wherever an Args class does.

Each field's docstring is the description of the same field in the resource core's shapes
(tests/resources/test_docs.py keeps them equal, and docs/resources/*.md is generated from them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

import pulumi
from typing_extensions import NotRequired, TypedDict

T = TypeVar("T")


def coerce(value: Any, cls: type[T], where: str) -> T:
    """``value`` as an instance of the Args class ``cls``: itself, or built from a dict (a
    misspelt key is a one-line error naming it and the valid ones)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        unknown = [k for k in value if k not in names]
        if unknown:
            raise pulumi.RunError(
                f"{where}: {', '.join(map(repr, unknown))} is not a field of {cls.__name__} "
                f"(its fields: {', '.join(names)})"
            )
        return cls(**value)
    raise pulumi.RunError(
        f"{where}: expected a {cls.__name__} or a dict, not {type(value).__name__}"
    )


def coerce_all(values: Sequence[Any] | None, cls: type[T], where: str) -> list[T]:
    return [coerce(v, cls, f"{where}[{i}]") for i, v in enumerate(values or [])]


@dataclasses.dataclass(frozen=True)
class ModelConfigArgs:
    """One override layer (agent- or environment-level): every field left None is inherited.

    Precedence, highest first: runtime > environment > agent > model.
    """

    temperature: pulumi.Input[float] | None = None
    """Sampling temperature, 0-2."""
    max_tokens: pulumi.Input[int] | None = None
    """Maximum number of tokens to generate, > 0."""
    top_p: pulumi.Input[float] | None = None
    """Nucleus sampling, 0-1."""
    stop_sequences: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Stop sequences; a layer that sets them replaces the inherited list whole."""
    timeout: pulumi.Input[int] | None = None
    """Request timeout in milliseconds, > 0."""

    def to_props(self) -> dict[str, Any]:
        """The camelCase property map, leaving out unset fields."""
        props = {
            "temperature": self.temperature,
            "maxTokens": self.max_tokens,
            "topP": self.top_p,
            "stopSequences": list(self.stop_sequences)
            if isinstance(self.stop_sequences, list | tuple)
            else self.stop_sequences,
            "timeout": self.timeout,
        }
        return {k: v for k, v in props.items() if v is not None}


class ModelConfigArgsDict(TypedDict):
    """One override layer (agent- or environment-level): every field left out is inherited."""

    temperature: NotRequired[pulumi.Input[float]]
    """Sampling temperature, 0-2."""
    max_tokens: NotRequired[pulumi.Input[int]]
    """Maximum number of tokens to generate, > 0."""
    top_p: NotRequired[pulumi.Input[float]]
    """Nucleus sampling, 0-1."""
    stop_sequences: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Stop sequences; a layer that sets them replaces the inherited list whole."""
    timeout: NotRequired[pulumi.Input[int]]
    """Request timeout in milliseconds, > 0."""


def config_props(value: ModelConfigArgs | ModelConfigArgsDict | None, where: str) -> Any:
    return coerce(value or {}, ModelConfigArgs, where).to_props()


@dataclasses.dataclass(frozen=True)
class ModelEnvArgs:
    """A model's configuration for one environment of its product."""

    slug: str
    """The environment: one of the product's envs."""
    api_key: pulumi.Input[str] | None = None
    """Secret API key; required for every provider but `custom`. Sealed to the env's key pair
    before it is stored."""
    base_url: pulumi.Input[str] | None = None
    """Endpoint override (an http(s) URL); required for provider `custom`."""
    active: pulumi.Input[bool] | None = None
    """False keeps the configuration but leaves the env out of agents' `resolved` and refuses
    runtimes there."""
    description: pulumi.Input[str] | None = None
    """What this configuration is for."""


class ModelEnvArgsDict(TypedDict):
    """A model's configuration for one environment of its product."""

    slug: str
    """The environment: one of the product's envs."""
    api_key: NotRequired[pulumi.Input[str]]
    """Secret API key; required for every provider but `custom`. Sealed to the env's key pair
    before it is stored."""
    base_url: NotRequired[pulumi.Input[str]]
    """Endpoint override (an http(s) URL); required for provider `custom`."""
    active: NotRequired[pulumi.Input[bool]]
    """False keeps the configuration but leaves the env out of agents' `resolved` and refuses
    runtimes there."""
    description: NotRequired[pulumi.Input[str]]
    """What this configuration is for."""


@dataclasses.dataclass(frozen=True)
class ToolArgs:
    """A function the agent may call."""

    name: pulumi.Input[str]
    """Unique among the agent's tools: 1-64 letters, digits, `_` or `-`."""
    description: pulumi.Input[str] | None = None
    """What the tool does."""
    parameters: pulumi.Input[Mapping[str, Any]] | None = None
    """A JSON Schema (draft 2020-12) object: `{"type": "object", "properties": {...},
    "required": [...]}`."""


class ToolArgsDict(TypedDict):
    """A function the agent may call."""

    name: pulumi.Input[str]
    """Unique among the agent's tools: 1-64 letters, digits, `_` or `-`."""
    description: NotRequired[pulumi.Input[str]]
    """What the tool does."""
    parameters: NotRequired[pulumi.Input[Mapping[str, Any]]]
    """A JSON Schema (draft 2020-12) object: `{"type": "object", "properties": {...},
    "required": [...]}`."""


@dataclasses.dataclass(frozen=True)
class AgentEnvArgs:
    """Environment-level overrides of an agent (the layer above the agent's own)."""

    slug: pulumi.Input[str]
    """The environment: one of the product's envs."""
    model_config: ModelConfigArgs | ModelConfigArgsDict | None = None
    """Environment-level overrides (the layer above the agent's own)."""


class AgentEnvArgsDict(TypedDict):
    """Environment-level overrides of an agent (the layer above the agent's own)."""

    slug: pulumi.Input[str]
    """The environment: one of the product's envs."""
    model_config: NotRequired[ModelConfigArgs | ModelConfigArgsDict]
    """Environment-level overrides (the layer above the agent's own)."""


@dataclasses.dataclass(frozen=True)
class TerminationArgs:
    """When a run of the agent stops (``status="stopped"``), whichever limit comes first."""

    max_iterations: pulumi.Input[int] | None = None
    """The most model calls in one run (default 10)."""
    max_tokens: pulumi.Input[int] | None = None
    """The most tokens (input + output) summed over every model call of one run. Not the model
    settings' `maxTokens`, which bounds the output of each call."""
    timeout: pulumi.Input[int] | None = None
    """The whole run's time limit in milliseconds, > 0."""

    def to_props(self) -> dict[str, Any]:
        """The camelCase property map, leaving out unset fields."""
        props = {
            "maxIterations": self.max_iterations,
            "maxTokens": self.max_tokens,
            "timeout": self.timeout,
        }
        return {k: v for k, v in props.items() if v is not None}


class TerminationArgsDict(TypedDict):
    """When a run of the agent stops (``status="stopped"``), whichever limit comes first."""

    max_iterations: NotRequired[pulumi.Input[int]]
    """The most model calls in one run (default 10)."""
    max_tokens: NotRequired[pulumi.Input[int]]
    """The most tokens (input + output) summed over every model call of one run. Not the model
    settings' `maxTokens`, which bounds the output of each call."""
    timeout: NotRequired[pulumi.Input[int]]
    """The whole run's time limit in milliseconds, > 0."""


@dataclasses.dataclass(frozen=True)
class KeyRotationArgs:
    """A rotation of one environment's generated key pair, in two `pulumi up` steps."""

    generation: int
    """Bump it (from 0) to start a rotation."""
    phase: Literal["stage", "retire"] = "stage"
    """`stage`: a next key pair is made and keys are sealed to both; `retire`: the old pair is
    dropped."""


class KeyRotationArgsDict(TypedDict):
    """A rotation of one environment's generated key pair, in two `pulumi up` steps."""

    generation: int
    """Bump it (from 0) to start a rotation."""
    phase: NotRequired[Literal["stage", "retire"]]
    """`stage`: a next key pair is made and keys are sealed to both; `retire`: the old pair is
    dropped."""

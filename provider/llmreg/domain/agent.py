"""Agent: a system prompt, tools and override layers on top of one model of the product."""

from __future__ import annotations

import functools
import json
import math
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .common import STORED, Name, Owner, OwningProduct, Record, Slug
from .model_config import ModelConfig, PositiveInt
from .rules import RuleViolation, explain_pattern, require_unique

TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
explain_pattern(
    TOOL_NAME_PATTERN,
    "is not a valid tool name: use 1-64 letters, digits, '_' or '-' (no spaces)",
)


def _non_finite(value: Any, path: str = "") -> str | None:
    """The path of the first NaN or Infinity inside ``value`` (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(top)"
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _non_finite(v, f"{path}[{i}]")
            if found:
                return found
    return None


def check_json_schema(value: dict[str, Any]) -> None:
    """Raise ValueError unless ``value`` is a JSON Schema (draft 2020-12) for an object."""
    bad = _non_finite(value)
    if bad is not None:
        raise ValueError(f"{bad} is NaN or Infinity, which JSON cannot hold")
    if value.get("type") != "object":
        raise ValueError('must be a JSON Schema object: {"type": "object", "properties": {...}}')
    problem = _meta_schema_problem(json.dumps(value, sort_keys=True))
    if problem is not None:
        raise ValueError(problem)
    props = value.get("properties", {})
    required = value.get("required", [])
    missing = [r for r in required if r not in props]
    if missing:
        raise ValueError(
            f'"required" names {", ".join(map(repr, missing))}, not defined in "properties"'
        )


@functools.lru_cache(maxsize=1024)
def _meta_schema_problem(schema: str) -> str | None:
    """What is wrong with a JSON Schema (given as canonical JSON text), checked against the
    draft 2020-12 meta-schema; cached, since a deployment checks the same tools again and again.
    jsonschema is imported on first use: the dynamic provider's import path stays light."""
    from jsonschema import Draft202012Validator, SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(schema))
    except SchemaError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        return f"is not a valid JSON Schema at {where}: {err.message}"
    return None


class Tool(Record):
    """A function the agent may call; ``parameters`` is a JSON Schema object."""

    name: Annotated[str, Field(pattern=TOOL_NAME_PATTERN)] = Field(
        description="Unique among the agent's tools: 1-64 letters, digits, `_` or `-`."
    )
    description: str | None = Field(default=None, description="What the tool does.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description='A JSON Schema (draft 2020-12) object: `{"type": "object", "properties": '
        '{...}, "required": [...]}`.',
    )

    @field_validator("parameters")
    @classmethod
    def _json_schema_object(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if not (isinstance(info.context, dict) and info.context.get(STORED)):
            check_json_schema(value)
        return value


class AgentEnv(Record):
    """Environment-level overrides of one agent."""

    slug: Slug = Field(description="The environment: one of the product's envs.")
    overrides: ModelConfig = Field(
        default_factory=ModelConfig,
        alias="modelConfig",
        description="Environment-level overrides (the layer above the agent's own).",
    )


DEFAULT_MAX_ITERATIONS = 10


class Termination(Record):
    """When a run of the agent stops (``status="stopped"``), whichever limit comes first."""

    max_iterations: PositiveInt | None = Field(
        default=None,
        description=f"The most model calls in one run (default {DEFAULT_MAX_ITERATIONS}).",
    )
    max_tokens: PositiveInt | None = Field(
        default=None,
        description="The most tokens (input + output) summed over every model call of one run. "
        "Not the model settings' `maxTokens`, which bounds the output of each call.",
    )
    timeout: PositiveInt | None = Field(
        default=None, description="The whole run's time limit in milliseconds, > 0."
    )

    def limits(self) -> Termination:
        """These limits with the defaults filled in: what a run obeys."""
        return self.model_copy(
            update={"max_iterations": self.max_iterations or DEFAULT_MAX_ITERATIONS}
        )


class AgentBase(Record):
    """An Agent's declared fields (it holds no secret)."""

    product: OwningProduct
    tag: Slug = Field(description="The agent's tag: a slug, unique within the product.")
    name: Name
    description: str | None = Field(default=None, description="What the agent does.")
    model: Slug = Field(
        description="The model: an LlmModel resource, or the tag of a model of the same product "
        "(declared in this program or managed elsewhere)."
    )
    system_prompt: str | None = Field(default=None, description="The agent's system prompt.")
    tools: list[Tool] = Field(
        default_factory=list, description="Functions the agent may call (names unique)."
    )
    overrides: ModelConfig = Field(
        default_factory=ModelConfig,
        alias="modelConfig",
        description="Agent-level overrides of the model's settings.",
    )
    envs: list[AgentEnv] = Field(
        default_factory=list,
        description="Environment-level overrides (slugs unique and declared by the product).",
    )
    fallbacks: list[Slug] | None = Field(
        default=None,
        description="Models of the same product (LlmModel resources or tags, like `model`) to "
        "try in order when the one before fails with a rate limit (429), a server error (5xx), "
        "a timeout or a connection error; other errors do not fall back.",
    )
    termination: Termination | None = Field(
        default=None,
        description="When a run stops: `maxIterations` (model calls, default 10), `maxTokens` "
        "(input + output tokens summed over the run) and `timeout` (ms, the whole run).",
    )

    @model_validator(mode="after")
    def _unique(self) -> AgentBase:
        require_unique([t.name for t in self.tools], "tools", "tool name")
        require_unique([e.slug for e in self.envs], "envs", "slug")
        fallbacks = self.fallbacks or []
        require_unique(fallbacks, "fallbacks", "fallback model")
        if self.model in fallbacks:
            raise RuleViolation(
                f"fallbacks[{fallbacks.index(self.model)}]",
                f"'{self.model}' is the agent's own model: list only other models of the "
                "product to fall back to",
            )
        return self

    def chain(self) -> list[str]:
        """The agent's model, then its fallbacks, in the order a run tries them."""
        return [self.model, *(self.fallbacks or [])]

    def env(self, slug: str) -> AgentEnv | None:
        return next((e for e in self.envs if e.slug == slug), None)


class AgentSpec(AgentBase):
    """An Agent as a user declares it."""


class AgentRecord(AgentBase):
    """An Agent as the registry stores it."""

    owner: Owner | None = None

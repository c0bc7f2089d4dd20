"""Agent: a system prompt, tools and override layers on top of one model of the product."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from .common import NonEmpty, Owner, Record, Slug
from .model_config import ModelConfig
from .rules import explain_pattern, require_unique

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
    # jsonschema is imported on first use: the dynamic provider's import path stays light.
    from jsonschema import Draft202012Validator, SchemaError

    try:
        Draft202012Validator.check_schema(value)
    except SchemaError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        raise ValueError(f"is not a valid JSON Schema at {where}: {err.message}") from None
    props = value.get("properties", {})
    required = value.get("required", [])
    missing = [r for r in required if r not in props]
    if missing:
        raise ValueError(
            f'"required" names {", ".join(map(repr, missing))}, not defined in "properties"'
        )


class Tool(Record):
    """A function the agent may call; ``parameters`` is a JSON Schema object."""

    name: Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})

    @field_validator("parameters")
    @classmethod
    def _json_schema_object(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_json_schema(value)
        return value


class AgentEnv(Record):
    """Environment-level overrides of one agent."""

    slug: Slug
    overrides: ModelConfig = Field(default_factory=ModelConfig, alias="modelConfig")


class AgentBase(Record):
    """An Agent's declared fields (it holds no secret)."""

    product: Slug
    tag: Slug
    name: NonEmpty
    description: str | None = None
    model: Slug
    system_prompt: str | None = None
    tools: list[Tool] = Field(default_factory=list)
    overrides: ModelConfig = Field(default_factory=ModelConfig, alias="modelConfig")
    envs: list[AgentEnv] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> AgentBase:
        require_unique([t.name for t in self.tools], "tools", "tool name")
        require_unique([e.slug for e in self.envs], "envs", "slug")
        return self

    def env(self, slug: str) -> AgentEnv | None:
        return next((e for e in self.envs if e.slug == slug), None)


class AgentSpec(AgentBase):
    """An Agent as a user declares it."""


class AgentRecord(AgentBase):
    """An Agent as the registry stores it."""

    owner: Owner | None = None

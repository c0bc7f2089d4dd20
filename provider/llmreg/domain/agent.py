"""Agent: a system prompt, tools and override layers on top of one model of the product."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from .common import NonEmpty, Record, Slug
from .model_config import ModelConfig
from .rules import require_unique

TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"


class Tool(Record):
    """A function the agent may call; ``parameters`` is a JSON Schema object."""

    name: Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})

    @field_validator("parameters")
    @classmethod
    def _json_schema_object(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type") != "object":
            raise ValueError(
                'must be a JSON Schema object: {"type": "object", "properties": {...}}'
            )
        props = value.get("properties", {})
        if not isinstance(props, dict) or not all(isinstance(v, dict) for v in props.values()):
            raise ValueError('"properties" must map each parameter name to a JSON Schema')
        required = value.get("required", [])
        if not isinstance(required, list) or any(r not in props for r in required):
            raise ValueError('"required" must list names defined in "properties"')
        return value


class AgentEnv(Record):
    """Environment-level overrides of one agent."""

    slug: Slug
    overrides: ModelConfig = Field(default_factory=ModelConfig, alias="modelConfig")


class AgentRecord(Record):
    """An Agent as declared and as stored (it holds no secret)."""

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
    def _unique(self) -> AgentRecord:
        require_unique([t.name for t in self.tools], "tools", "tool name")
        require_unique([e.slug for e in self.envs], "envs", "slug")
        return self

    def env(self, slug: str) -> AgentEnv | None:
        return next((e for e in self.envs if e.slug == slug), None)

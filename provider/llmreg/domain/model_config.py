"""The overridable sampling settings, shared by models, agents, environments and runtimes.

:class:`ModelConfig` is the one declaration of them: a new setting is one field here, then
``make generate`` (the SDKs, the runtime's attributes, the docs), plus one row per provider that
has such a request parameter in ``llmreg/runtime/params.py``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .common import Record

DEFAULT_TEMPERATURE = 0.7

Temperature = Annotated[float, Field(ge=0, le=2)]
TopP = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]


class ModelConfig(Record):
    """One override layer: each field it leaves out (None) is inherited from the layer below."""

    temperature: Temperature | None = Field(default=None, description="Sampling temperature, 0-2.")
    max_tokens: PositiveInt | None = Field(
        default=None, description="Maximum number of tokens to generate, > 0."
    )
    top_p: TopP | None = Field(default=None, description="Nucleus sampling, 0-1.")
    stop_sequences: list[str] | None = Field(
        default=None,
        description="Stop sequences; a layer that sets them replaces the inherited list whole.",
    )
    timeout: PositiveInt | None = Field(
        default=None, description="Request timeout in milliseconds, > 0."
    )

    def set_fields(self) -> dict[str, object]:
        """The settings this layer sets, by snake_case name."""
        return {
            name: getattr(self, name)
            for name in OVERRIDABLE_FIELDS
            if getattr(self, name) is not None
        }

    def layer(self) -> ModelConfig:
        """Just the overridable settings of this object, as one layer of the override chain."""
        return ModelConfig.model_validate(self.set_fields())


OVERRIDABLE_FIELDS: tuple[str, ...] = tuple(ModelConfig.model_fields)
"""Snake_case names of the settings each override layer may set, in declared order."""

OVERRIDABLE_WIRE_NAMES: tuple[str, ...] = tuple(
    ModelConfig.model_fields[name].alias or name for name in OVERRIDABLE_FIELDS
)
"""The same settings by their camelCase names (records, state, JSON)."""


def listed(names: tuple[str, ...] = OVERRIDABLE_WIRE_NAMES) -> str:
    """The settings for prose: ```temperature`, `maxTokens`, ...`` (descriptions, docs)."""
    return ", ".join(f"`{name}`" for name in names)

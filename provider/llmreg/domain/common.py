"""Shared pieces of the domain: the camelCase base model, slugs, the provider names, owners."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic.alias_generators import to_camel
from typing_extensions import Self

from .text import check_model_text

SLUG_PATTERN = r"^[a-z0-9][a-z0-9\-_.]{0,62}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""A lowercase slug: tags of products, models and agents, and environment names."""

NonEmpty = Annotated[str, StringConstraints(min_length=1)]

Provider = Literal["anthropic", "openai", "google", "cohere", "custom"]
"""The LLM vendors a model entity can point at (``custom``: any OpenAI-compatible endpoint)."""

PROVIDERS: tuple[str, ...] = get_args(Provider)

Owner = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
"""The Pulumi resource that manages a record: its URN (``urn:pulumi:<stack>::<project>::...``)."""


class Record(BaseModel):
    """Base of every shape that crosses a boundary: camelCase on the wire, snake_case in Python.

    Unknown fields are rejected (a typo must not be silently dropped) and instances are frozen.
    Every string must be storable and every number finite (``text.check_model_text``).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=True,
    )

    @model_validator(mode="after")
    def _storable_text(self) -> Self:
        check_model_text(self)
        return self

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready camelCase dict, with unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

"""Shared pieces of the domain: the camelCase base model, slugs, the provider names, owners."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel
from typing_extensions import Self

from .._literals import PROVIDERS, Provider
from .text import check_model_text

__all__ = [
    "PROVIDERS",
    "SLUG_PATTERN",
    "STORED",
    "Name",
    "NonEmpty",
    "Owner",
    "OwningProduct",
    "Provider",
    "Record",
    "Slug",
]

STORED = "llmreg_stored"
"""Validation context key: ``model_validate(data, context={STORED: True})`` parses a record the
registry already validated when it was written, skipping the costly checks of what it declares
(each tool's JSON Schema against the meta-schema: the jsonschema import alone costs a process
0.15 s)."""

SLUG_PATTERN = r"^[a-z0-9][a-z0-9\-_.]{0,62}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""A lowercase slug: tags of products, models and agents, and environment names."""

NonEmpty = Annotated[str, StringConstraints(min_length=1)]

OwningProduct = Annotated[
    Slug,
    Field(
        description="The owning product: the Product resource (or its `tag`), or the tag of a "
        "product managed elsewhere."
    ),
]
"""The ``product`` field of the records that belong to a product."""

Name = Annotated[NonEmpty, Field(description="Human-readable name.")]

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
        defer_build=True,  # validators are built on first use: imports stay cheap
    )

    @model_validator(mode="after")
    def _storable_text(self) -> Self:
        check_model_text(self)
        return self

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready camelCase dict, with unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

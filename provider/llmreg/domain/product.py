"""Product: the owner of environments, each with its own encryption key pair."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .common import NonEmpty, Record, Slug
from .rules import require_unique


class ProductEnv(Record):
    """One environment: its current public key (the private key never reaches the registry)."""

    slug: Slug
    key_id: NonEmpty
    public_key: NonEmpty


class ProductRecord(Record):
    """A Product as stored in the registry."""

    tag: Slug
    name: NonEmpty
    envs: Annotated[list[ProductEnv], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> ProductRecord:
        require_unique([e.slug for e in self.envs], "envs", "slug")
        return self

    def env(self, slug: str) -> ProductEnv | None:
        return next((e for e in self.envs if e.slug == slug), None)

    def env_slugs(self) -> list[str]:
        return [e.slug for e in self.envs]

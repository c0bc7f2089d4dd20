"""LlmModel: a provider's model with its sampling defaults and one config per environment.

Two shapes share every rule: the *spec* a user declares (plaintext API key, a secret) and the
*record* the registry stores (the key sealed to the environment, plus its fingerprint).
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import Field, SecretStr, model_validator

from ..errors import NotFound
from .common import NonEmpty, Provider, Record, Slug
from .model_config import DEFAULT_TEMPERATURE, ModelConfig, Temperature
from .rules import RuleViolation, require_unique


class ModelEnvBase(Record):
    """The non-secret part of a model's configuration for one environment."""

    slug: Slug
    base_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    active: bool = True
    description: str | None = None

    def has_key(self) -> bool:
        raise NotImplementedError


class ModelEnvSpec(ModelEnvBase):
    """A model env as declared: the API key in plaintext, kept out of repr and logs."""

    api_key: SecretStr | None = None

    def has_key(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value())


class SealedKey(Record):
    """An API key sealed with HPKE to one environment key pair (see llmreg.sealing)."""

    key_id: NonEmpty
    ciphertext: NonEmpty


class ModelEnvRecord(ModelEnvBase):
    """A model env as stored: the sealed key and its non-secret fingerprint, never plaintext."""

    sealed_key: SealedKey | None = None
    key_fingerprint: str | None = None

    def has_key(self) -> bool:
        return self.sealed_key is not None


EnvT = TypeVar("EnvT", bound=ModelEnvBase)


class LlmModelBase(ModelConfig, Generic[EnvT]):
    """Fields and rules common to the spec and the record (design §2, LlmModel)."""

    product: Slug
    tag: Slug
    name: NonEmpty
    description: str | None = None
    provider: Provider
    model: NonEmpty
    temperature: Temperature = DEFAULT_TEMPERATURE
    envs: Annotated[list[EnvT], Field(min_length=1)]

    @model_validator(mode="after")
    def _env_rules(self) -> LlmModelBase[EnvT]:
        require_unique([e.slug for e in self.envs], "envs", "slug")
        for i, env in enumerate(self.envs):
            if self.provider == Provider.CUSTOM and env.base_url is None:
                raise RuleViolation(
                    f"envs[{i}].baseUrl",
                    f"environment '{env.slug}' of a 'custom' provider model needs a baseUrl "
                    "(the endpoint to call)",
                )
            if self.provider != Provider.CUSTOM and not env.has_key():
                raise RuleViolation(
                    f"envs[{i}].apiKey",
                    f"environment '{env.slug}' needs an apiKey for provider '{self.provider}' "
                    "(only 'custom' models may omit it)",
                )
        return self

    def settings(self) -> ModelConfig:
        """The model entity's layer of the override chain."""
        return ModelConfig.model_validate(self.set_fields())

    def env(self, slug: str) -> EnvT | None:
        return next((e for e in self.envs if e.slug == slug), None)

    def active_env(self, slug: str) -> EnvT:
        """The config of env ``slug``; NotFound (naming the envs that have one) when it is
        missing or inactive: then no agent of this model can run in that env."""
        env = self.env(slug)
        if env is None or not env.active:
            active = ", ".join(e.slug for e in self.envs if e.active) or "none"
            raise NotFound(
                f"model '{self.product}/{self.tag}' has no active configuration for environment "
                f"'{slug}' (it has: {active})"
            )
        return env


class LlmModelSpec(LlmModelBase[ModelEnvSpec]):
    """An LlmModel as a user declares it (Pulumi inputs, API keys in plaintext)."""


class LlmModelRecord(LlmModelBase[ModelEnvRecord]):
    """An LlmModel as the registry stores it (API keys sealed)."""

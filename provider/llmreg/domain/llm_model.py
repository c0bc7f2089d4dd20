"""LlmModel: a provider's model with its sampling defaults and one config per environment.

Two shapes share every rule: the resource's inputs (``llmreg.deploy.LlmModelArgs``: each env's
API key in plaintext, a secret) and the *record* the registry stores (each key sealed to its
environment's key pair(s), plus a non-secret fingerprint).
:class:`ModelSettings` is what agents resolve against: the record without keys.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Generic, TypeVar

from pydantic import Field, SecretStr, model_validator

from ..errors import NotFound
from .common import PROVIDERS, Name, NonEmpty, Owner, OwningProduct, Provider, Record, Slug
from .model_config import DEFAULT_TEMPERATURE, ModelConfig, Temperature
from .rules import RuleViolation, explain_pattern, require_unique

URL_PATTERN = r"^https?://\S+$"
explain_pattern(URL_PATTERN, "is not valid: it must be an http(s) URL")

BaseUrl = Annotated[str, Field(pattern=URL_PATTERN)]


class ModelEnv(Record):
    """The non-secret part of a model's configuration for one environment."""

    slug: Slug = Field(description="The environment: one of the product's envs.")
    base_url: BaseUrl | None = Field(
        default=None,
        description="Endpoint override (an http(s) URL); required for provider `custom`.",
    )
    active: bool = Field(
        default=True,
        description="False keeps the configuration but leaves the env out of agents' "
        "`resolved` and refuses runtimes there.",
    )
    description: str | None = Field(default=None, description="What this configuration is for.")


class ModelEnvSpec(ModelEnv):
    """A model's configuration for one environment of its product, as a program declares it:
    the API key in plaintext (a secret; the Python SDK's ``ModelEnvArgs``)."""

    api_key: SecretStr | None = Field(
        default=None,
        description="Secret API key; required for every provider but `custom`. Sealed to the "
        "env's key pair before it is stored.",
    )


class SealedKey(Record):
    """An API key sealed with HPKE to one environment key pair (see llmreg.sealing)."""

    key_id: NonEmpty
    ciphertext: NonEmpty


class ModelEnvRecord(ModelEnv):
    """A model env as stored: never plaintext. ``sealed_key`` is sealed to the env's current key
    pair, ``next_sealed_key`` to its staged next pair while a rotation is staged."""

    sealed_key: SealedKey | None = None
    next_sealed_key: SealedKey | None = None
    key_fingerprint: str | None = None

    def sealed_keys(self) -> list[SealedKey]:
        return [k for k in (self.sealed_key, self.next_sealed_key) if k is not None]


EnvT = TypeVar("EnvT", bound=ModelEnv)


class LlmModelBase(ModelConfig, Generic[EnvT]):
    """Fields and rules common to the spec and the record (design §2, LlmModel)."""

    product: OwningProduct
    tag: Slug = Field(description="The model's tag: a slug, unique within the product.")
    name: Name
    description: str | None = Field(default=None, description="What the model is for.")
    provider: Provider = Field(
        description=f"One of {', '.join(f'`{p}`' for p in PROVIDERS)} (`custom`: an "
        "OpenAI-compatible endpoint)."
    )
    model: NonEmpty = Field(description="The provider's model id, e.g. `claude-sonnet-4-20250514`.")
    temperature: Temperature = Field(
        default=DEFAULT_TEMPERATURE, description="Sampling temperature, 0-2 (default 0.7)."
    )
    envs: Annotated[list[EnvT], Field(min_length=1)] = Field(
        description="One configuration per environment (at least one; slugs unique and "
        "declared by the product)."
    )

    @model_validator(mode="after")
    def _env_rules(self) -> LlmModelBase[EnvT]:
        require_unique([e.slug for e in self.envs], "envs", "slug")
        for i, env in enumerate(self.envs):
            if self.provider == "custom" and env.base_url is None:
                raise RuleViolation(
                    f"envs[{i}].baseUrl",
                    f"environment '{env.slug}' of a 'custom' provider model needs a baseUrl "
                    "(the endpoint to call)",
                )
        return self

    def require_keys(self, keyed: Collection[str]) -> None:
        """Every env has an API key (``keyed``: the slugs of those that have one), but for a
        'custom' provider, whose endpoint may need none."""
        if self.provider == "custom":
            return
        for i, env in enumerate(self.envs):
            if env.slug not in keyed:
                raise RuleViolation(
                    f"envs[{i}].apiKey",
                    f"environment '{env.slug}' needs an apiKey for provider '{self.provider}' "
                    "(only 'custom' models may omit it)",
                )

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

    def model_settings(self) -> ModelSettings:
        """What agents resolve against: everything but keys and descriptions."""
        return ModelSettings(
            product=self.product,
            tag=self.tag,
            provider=self.provider,
            model=self.model,
            **self.set_fields(),
            envs=[ModelEnv(slug=e.slug, base_url=e.base_url, active=e.active) for e in self.envs],
        )


class LlmModelRecord(LlmModelBase[ModelEnvRecord]):
    """An LlmModel as the registry stores it (API keys sealed)."""

    owner: Owner | None = None

    @model_validator(mode="after")
    def _keys(self) -> LlmModelRecord:
        self.require_keys({e.slug for e in self.envs if e.sealed_key is not None})
        return self


class ModelSettings(ModelConfig):
    """A model as agents see it: product, provider, model id, sampling settings and, per env,
    slug, baseUrl and whether it is active. Never a key."""

    product: Slug
    tag: Slug | None = None
    """The model's tag, so an agent given both a tag and settings can tell that they agree
    (None in the state of models deployed before it was added)."""
    provider: Provider
    model: NonEmpty
    envs: list[ModelEnv]

    def active_envs(self) -> list[ModelEnv]:
        return [e for e in self.envs if e.active]

"""Agent: a system prompt, tools and override layers on top of one model.

The agent computes ``resolved`` in ``check``: for every env where its model has an active
config, the merged settings (model < agent < env) plus provider, model id and baseUrl, with the
layer each value came from (:func:`llmreg.overrides.resolve_all`). The model's settings come from
the LlmModel resource when it is in the same program (so a model change shows up in the agent's
diff in the same preview), else from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, model_validator

from ..domain import AgentRecord, AgentSpec, LlmModelRecord, ModelSettings, ProductRecord, Record
from ..domain.common import STORED
from ..domain.model_config import listed
from ..domain.rules import RuleViolation, check_envs, env_problems, problems
from ..errors import FieldProblem, NotFound
from ..overrides import ResolvedEnv, resolve_all
from ..store.base import Kind, Store, Stored
from .base import REPLACE_ON, Adopt, ProductEnvs, RegistryName, ResourceCore, wire_names
from .context import DeployContext
from .props import UNKNOWN, Props, is_unknown, pick, under_any


class AgentArgs(AgentSpec):
    """An AI agent of a product: model, system prompt, tools and override layers.

    Changing ``product``, ``tag`` or ``registry`` replaces it; everything else updates in place.
    """

    model_settings: ModelSettings | None = Field(
        default=None,
        json_schema_extra={"hidden": True},
        description="The model's `settings` output, when the LlmModel is in the same program "
        "(set from it), so that the agent's `resolved` follows the model in the same preview.",
    )
    fallback_settings: list[ModelSettings] | None = Field(
        default=None,
        json_schema_extra={"hidden": True},
        description="The `settings` outputs of the fallback models that are in the same "
        "program (set from them), so that the agent's `resolved` follows them in the same "
        "preview.",
    )
    product_envs: ProductEnvs = None
    adopt: Adopt = False
    registry: RegistryName = None

    @model_validator(mode="after")
    def _references(self) -> AgentArgs:
        if self.product_envs is not None:
            check_envs([e.slug for e in self.envs], self.product_envs, self.product)
        if self.model_settings is not None and self.model_settings.product != self.product:
            raise RuleViolation(
                "model",
                f"the model belongs to product '{self.model_settings.product}', not "
                f"'{self.product}': an agent can use only a model of its own product",
            )
        settings_of = self.model_settings.tag if self.model_settings is not None else None
        if settings_of is not None and settings_of != self.model:
            raise RuleViolation(
                "model",
                f"is '{self.model}', but modelSettings are those of model '{settings_of}': "
                "pass the tag and the settings of the same LlmModel (`model: m.tag`, "
                "`modelSettings: m.settings`), or no modelSettings for a model managed elsewhere",
            )
        for i, given in enumerate(self.fallback_settings or []):
            if given.product != self.product or given.tag not in (self.fallbacks or []):
                raise RuleViolation(
                    f"fallbackSettings[{i}]",
                    f"are those of model '{given.product}/{given.tag}', which is not one of "
                    f"this agent's fallbacks ({', '.join(self.fallbacks or []) or 'none'}): pass "
                    "the settings of the fallback models only",
                )
        return self

    def given_fallbacks(self) -> dict[str, ModelSettings]:
        """Fallback tag -> settings, for the fallback models of the same program."""
        return {s.tag: s for s in self.fallback_settings or [] if s.tag is not None}


class AgentOutputs(Record):
    """What the Agent computes, besides its inputs."""

    owner: str | None = Field(
        default=None, description="The resource's URN, recorded in the registry as its owner."
    )
    resolved: dict[str, ResolvedEnv] = Field(
        description="Env -> effective settings: `provider`, `model`, `baseUrl`, every setting "
        f"some layer sets ({listed()}) and `provenance` (field -> `model`, `agent` or `env`), for "
        "every env where the model has an active config; with fallbacks, the resolved chain "
        "(`fallbacks`, `fallbacksLeftOut`), and the `termination` limits when declared. Never a "
        "key."
    )
    version: int | None = Field(
        default=None, description="The registry record's version after the last write."
    )


_ARG_NAMES = wire_names(AgentArgs)
CHECK_ONLY = ("modelSettings", "fallbackSettings", "productEnvs")
"""Inputs that only carry other resources' outputs to ``check`` (``resolved`` holds what they
give): kept out of the checked inputs, so the engine does not store, diff and rewrite them on
every step (a refresh reads the model's settings from the registry)."""
_RECORD_NAMES = wire_names(AgentRecord)
_RESOLVED_FROM = (
    "modelSettings",
    "modelConfig",
    "envs",
    "product",
    "model",
    "fallbacks",
    "fallbackSettings",
    "termination",
)


def _resolved(
    settings: ModelSettings,
    agent: AgentSpec | AgentRecord,
    fallbacks: Mapping[str, ModelSettings] | None = None,
) -> Props:
    return {env: r.to_wire() for env, r in resolve_all(settings, agent, fallbacks).items()}


class AgentCore(ResourceCore[AgentRecord]):
    """CRUD of agent records; computes ``resolved``."""

    kind = Kind.AGENT
    type_name = "Agent"
    args = AgentArgs
    state = AgentOutputs
    compared = (
        *(n for n in wire_names(AgentSpec) if n not in REPLACE_ON),
        "resolved",
        "owner",
    )

    def checked(
        self, ctx: DeployContext, olds: Props, news: Props, unknown: list[str], seed: bytes | None
    ) -> tuple[Props, list[FieldProblem]]:
        inputs = {k: v for k, v in news.items() if k != "resolved"}
        try:
            # Tools checked at the last deploy need no second meta-schema check.
            same_tools = "tools" in olds and olds.get("tools") == news.get("tools")
            args = AgentArgs.model_validate(
                pick(news, _ARG_NAMES), context={STORED: True} if same_tools else None
            )
        except ValidationError as err:
            return inputs, problems(err)
        inputs.update(args.to_wire())
        found: list[FieldProblem] = []
        settings = args.model_settings
        lookups = not any(is_unknown(news.get(k)) for k in ("product", "model", "fallbacks"))
        if lookups and (settings is None or args.product_envs is None):
            store = ctx.store(args.registry)
            if args.product_envs is None:
                found += _registry_env_problems(store, args)
            if settings is None and not any(p.path == "product" for p in found):
                settings = _stored_settings(store, args.product, args.model)
                if settings is None:
                    found.append(
                        FieldProblem(
                            "model",
                            f"model '{args.product}/{args.model}' does not exist in the "
                            "registry: declare it in this program (llmreg.LlmModel) or fix the "
                            "tag",
                        )
                    )
        fallbacks = args.given_fallbacks()
        if lookups and not any(p.path == "product" for p in found):
            found += _fallback_problems(ctx, args, fallbacks)
        if settings is not None and not (unknown and under_any(unknown, _RESOLVED_FROM)):
            inputs["resolved"] = _resolved(settings, args, fallbacks)
        else:
            inputs["resolved"] = UNKNOWN
        return _without(inputs, CHECK_ONLY), found

    def declared(
        self, store: Store, inputs: Props, current: AgentRecord | None, olds: Props | None
    ) -> AgentRecord:
        return AgentRecord.model_validate(pick(inputs, _RECORD_NAMES))

    def refreshed(self, store: Store, state: Props, stored: Stored[AgentRecord]) -> Props:
        record = stored.record
        out = {k: v for k, v in state.items() if k not in _RECORD_NAMES or k == "owner"}
        out.update({k: v for k, v in record.to_wire().items() if k != "owner"})
        if "owner" not in state:
            out["owner"] = record.owner
        raw = state.get("modelSettings")
        settings = (
            ModelSettings.model_validate(raw)
            if isinstance(raw, Mapping) and record.model == state.get("model")
            else _stored_settings(store, record.product, record.model)
        )
        given = {
            s.tag: s
            for s in (ModelSettings.model_validate(r) for r in state.get("fallbackSettings") or [])
        }
        fallbacks = {
            tag: found
            for tag in record.fallbacks or []
            if (found := given.get(tag) or _stored_settings(store, record.product, tag))
        }
        out["resolved"] = _resolved(settings, record, fallbacks) if settings is not None else {}
        out["version"] = stored.version
        return out


def _without(props: Props, names: tuple[str, ...]) -> Props:
    return {k: v for k, v in props.items() if k not in names}


def _stored_settings(store: Store, product: str, tag: str) -> ModelSettings | None:
    try:
        record = store.get(Kind.MODEL, product, tag).record
    except NotFound:
        return None
    assert isinstance(record, LlmModelRecord)
    return record.model_settings()


def _fallback_problems(
    ctx: DeployContext, args: AgentArgs, given: dict[str, ModelSettings]
) -> list[FieldProblem]:
    """One problem per fallback model that is neither in this program nor in the registry; the
    settings of those in the registry are added to ``given``."""
    found: list[FieldProblem] = []
    for i, tag in enumerate(args.fallbacks or []):
        if tag in given:
            continue
        stored = _stored_settings(ctx.store(args.registry), args.product, tag)
        if stored is None:
            found.append(
                FieldProblem(
                    f"fallbacks[{i}]",
                    f"model '{args.product}/{tag}' does not exist in the registry: declare it "
                    "in this program (llmreg.LlmModel) or fix the tag",
                )
            )
        else:
            given[tag] = stored
    return found


def _registry_env_problems(store: Store, args: AgentArgs) -> list[FieldProblem]:
    try:
        product: Any = store.get(Kind.PRODUCT, args.product, args.product).record
    except NotFound:
        return [
            FieldProblem(
                "product",
                f"product '{args.product}' does not exist in the registry: declare an "
                "llmreg.Product in this program and pass product=<the Product>",
            )
        ]
    assert isinstance(product, ProductRecord)
    return env_problems([e.slug for e in args.envs], product.env_slugs(), args.product)[:1]

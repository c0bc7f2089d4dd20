"""``llmreg.Agent``: a system prompt, tools and override layers on top of one model.

At deploy time the agent computes ``resolved``: for every env where its model has an active
config, the merged settings (model < agent < env) plus provider, model id and baseUrl, with the
layer each value came from. It is computed in ``check``, so a model change shows up in the
agent's diff in the same preview.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, UpdateResult
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from ..domain import AgentRecord, LlmModelRecord, ModelConfig, problems
from ..errors import AlreadyExists, Conflict, FieldProblem, LlmregError, NotFound
from ..overrides import Layer, resolve_layers
from ..store.base import AnyRecord, Kind, Store, Stored
from ._outputs import StateOutput
from ._provider import (
    UNKNOWN,
    StoreProvider,
    drop_none,
    env_problems,
    ints,
    is_unknown,
    unknown_paths,
)
from .args import ModelConfigArgs
from .llm_model import SETTINGS, LlmModel, read_outs, settings_of

_IN_PLACE = ("name", "description", "model", "systemPrompt", "tools", "modelConfig", "envs")
RECORD_FIELDS = ("product", "tag", *_IN_PLACE)


def model_settings(record: LlmModelRecord) -> dict[str, Any]:
    """The non-secret settings of a stored model that ``resolved`` depends on."""
    return settings_of(read_outs(record, {}, 0))


def resolve(settings: Mapping[str, Any], agent: AgentRecord) -> dict[str, Any]:
    """Env slug -> effective settings (model < agent < env) with provenance; never a key."""
    model_layer = ModelConfig.model_validate({k: settings[k] for k in SETTINGS if k in settings})
    out: dict[str, Any] = {}
    for env in settings.get("envs") or []:
        if not env.get("active", True):
            continue
        agent_env = agent.env(env["slug"])
        layers = [(Layer.MODEL, model_layer), (Layer.AGENT, agent.overrides)]
        if agent_env is not None:
            layers.append((Layer.ENV, agent_env.overrides))
        merged = resolve_layers(layers)
        entry: dict[str, Any] = {"provider": settings["provider"], "model": settings["model"]}
        if env.get("baseUrl"):
            entry["baseUrl"] = env["baseUrl"]
        entry.update(merged.settings.to_wire())
        entry["provenance"] = {to_camel(k): str(v) for k, v in merged.provenance.items()}
        out[env["slug"]] = entry
    return out


def _normalize(news: Mapping[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = {k: news.get(k) for k in RECORD_FIELDS}
    inputs["tools"] = list(inputs["tools"] or [])
    inputs["modelConfig"] = ints(inputs["modelConfig"] or {})
    inputs["envs"] = [
        {**e, "modelConfig": ints(e.get("modelConfig") or {})} if isinstance(e, Mapping) else e
        for e in inputs["envs"] or []
    ]
    return drop_none(inputs)  # type: ignore[no-any-return]


class AgentProvider(StoreProvider):
    """CRUD of agent records; computes ``resolved``."""

    kind = Kind.AGENT
    resource = "Agent"
    compared = (*_IN_PLACE, "resolved")

    def checked(self, news: dict[str, Any]) -> tuple[dict[str, Any], list[FieldProblem], list[str]]:
        inputs = _normalize(news)
        unknown = unknown_paths(inputs)
        found: list[FieldProblem] = []
        agent: AgentRecord | None = None
        try:
            agent = AgentRecord.model_validate(inputs)
        except ValidationError as e:
            found += problems(e)
        if agent is not None and not unknown:
            inputs = agent.to_wire()
        settings: Any = ints(news.get("modelSettings"))
        product_tag = inputs.get("product")
        product = self.named_product(inputs)
        if product is not None:
            found += env_problems(inputs.get("envs"), product)
            model_tag = inputs.get("model")
            if settings is None and isinstance(model_tag, str) and not is_unknown(model_tag):
                settings = _stored_settings(self.store(), product.tag, model_tag)
                if settings is None:
                    found.append(
                        FieldProblem(
                            "model",
                            f"model '{product.tag}/{model_tag}' does not exist in the "
                            "registry: declare it (llmreg.LlmModel) or fix the tag",
                        )
                    )
        if isinstance(settings, Mapping) and not is_unknown(settings):
            owner = settings.get("product")
            if isinstance(owner, str) and isinstance(product_tag, str) and owner != product_tag:
                found.append(
                    FieldProblem(
                        "model",
                        f"the model belongs to product '{owner}', not '{product_tag}': an agent "
                        "can use only a model of its own product",
                    )
                )
        if "modelSettings" in news:
            inputs["modelSettings"] = settings
        inputs["adopt"] = bool(news.get("adopt") or False)
        if agent is not None and isinstance(settings, Mapping) and not is_unknown(settings):
            inputs["resolved"] = resolve(settings, agent)
        else:
            inputs["resolved"] = UNKNOWN
        return inputs, found, unknown

    def put(self, store: Store, record: AnyRecord, version: int | None) -> Stored[Any]:
        """Names the agent in the store's other errors (the referential rules)."""
        try:
            return super().put(store, record, version)
        except (AlreadyExists, Conflict):
            raise
        except LlmregError as err:
            raise LlmregError(f"{self.what(record)}: {err}") from None

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = ints(props)
        store = self.store()
        record = _record(props)
        stored = self.create_record(store, record, adopt=bool(props.get("adopt")))
        outs = self._outs(store, props, record, stored.version)
        return CreateResult(f"{record.product}/{record.tag}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = ints(olds), ints(news)
        store = self.store()
        record = _record(news)
        stored = self.update_record(store, record, int(olds.get("version") or 0) or None)
        return UpdateResult(self._outs(store, news, record, stored.version))

    def refreshed(self, store: Store, stored: Stored[Any], props: dict[str, Any]) -> dict[str, Any]:
        record = stored.record
        assert isinstance(record, AgentRecord)
        outs: dict[str, Any] = record.to_wire()
        if "modelSettings" in props:
            outs["modelSettings"] = props["modelSettings"]
        outs["adopt"] = bool(props.get("adopt") or False)
        return self._outs(store, outs, record, stored.version)

    def _outs(
        self, store: Store, props: Mapping[str, Any], record: AgentRecord, version: int
    ) -> dict[str, Any]:
        settings = props.get("modelSettings")
        if not isinstance(settings, Mapping):
            settings = _stored_settings(store, record.product, record.model)
        outs = dict(props)
        outs["resolved"] = resolve(settings, record) if settings is not None else {}
        outs["version"] = version
        return outs


def _stored_settings(store: Store, product: str, tag: str) -> dict[str, Any] | None:
    try:
        record = store.get(Kind.MODEL, product, tag).record
    except NotFound:
        return None
    assert isinstance(record, LlmModelRecord)
    return model_settings(record)


def _record(props: Mapping[str, Any]) -> AgentRecord:
    return AgentRecord.model_validate(_normalize(props))


@dataclass(frozen=True)
class ToolArgs:
    """A function the agent may call."""

    name: pulumi.Input[str]
    """Unique among the agent's tools; letters, digits, ``_`` and ``-``."""
    description: pulumi.Input[str] | None = None
    parameters: pulumi.Input[Mapping[str, Any]] | None = None
    """A JSON Schema object: ``{"type": "object", "properties": {...}, "required": [...]}``."""


@dataclass(frozen=True)
class AgentEnvArgs:
    """Environment-level overrides of an agent (the layer above the agent's own)."""

    slug: pulumi.Input[str]
    """The environment (one of the product's envs)."""
    model_config: ModelConfigArgs | None = None


class Agent(pulumi.dynamic.Resource, module="llmreg", name="Agent"):
    """An AI agent of a product: model, system prompt, tools and override layers.

    Changing ``product`` or ``tag`` replaces it; everything else updates in place.
    """

    product: pulumi.Output[str]
    tag: pulumi.Output[str]
    name: pulumi.Output[str]
    description: pulumi.Output[str | None]
    model: pulumi.Output[str]
    """The model's tag."""
    system_prompt = StateOutput[str | None]("systemPrompt")
    tools: pulumi.Output[list[dict[str, Any]]]
    model_config = StateOutput[dict[str, Any]]("modelConfig")
    """Agent-level overrides."""
    envs: pulumi.Output[list[dict[str, Any]]]
    """Per env: ``slug`` and ``modelConfig`` (env-level overrides)."""
    resolved: pulumi.Output[dict[str, dict[str, Any]]]
    """Env slug -> effective settings: ``provider``, ``model``, ``baseUrl``, ``temperature``,
    ``maxTokens``, ``topP``, ``stopSequences``, ``timeout`` and ``provenance`` (field -> layer
    ``model``/``agent``/``env``), for every env where the model has an active config. No key."""
    version: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        product: pulumi.Input[str],
        tag: pulumi.Input[str],
        name: pulumi.Input[str],
        model: LlmModel | pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        system_prompt: pulumi.Input[str] | None = None,
        tools: Sequence[ToolArgs] | None = None,
        model_config: ModelConfigArgs | None = None,
        envs: Sequence[AgentEnvArgs] | None = None,
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare an agent. ``model`` is an LlmModel resource (every change of the model
        reaches this agent's diff) or the tag of a model managed elsewhere."""
        props: dict[str, Any] = {
            "product": product,
            "tag": tag,
            "name": name,
            "description": description,
            "systemPrompt": system_prompt,
            "tools": [
                {"name": t.name, "description": t.description, "parameters": t.parameters}
                for t in tools or []
            ],
            "modelConfig": (model_config or ModelConfigArgs()).to_props(),
            "envs": [
                {"slug": e.slug, "modelConfig": (e.model_config or ModelConfigArgs()).to_props()}
                for e in envs or []
            ],
            "adopt": adopt,
            "resolved": None,
            "version": None,
        }
        if isinstance(model, LlmModel):
            props["model"] = model.tag
            props["modelSettings"] = model.settings
        else:
            props["model"] = model
        super().__init__(AgentProvider(), resource_name, props, opts)

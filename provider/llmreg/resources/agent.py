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
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from ..domain import AgentRecord, LlmModelRecord, ModelConfig, problems
from ..errors import AlreadyExists, Conflict, FieldProblem, LlmregError, NotFound
from ..overrides import Layer, resolve_layers
from ..store.base import Kind, Store
from ._provider import (
    UNKNOWN,
    StoreProvider,
    changed_keys,
    drop_none,
    failures,
    ints,
    is_unknown,
    unknown_paths,
)
from .args import ModelConfigArgs
from .llm_model import SETTINGS, LlmModel, env_problems, get_product, read_outs, settings_of

RECORD_FIELDS = (
    "product",
    "tag",
    "name",
    "description",
    "model",
    "systemPrompt",
    "tools",
    "modelConfig",
    "envs",
)
_COMPARED = (
    "name",
    "description",
    "model",
    "systemPrompt",
    "tools",
    "modelConfig",
    "envs",
    "resolved",
)


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

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        olds, news = ints(olds), ints(news)
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
        if isinstance(product_tag, str) and not is_unknown(product_tag):
            store = self.store()
            product = get_product(store, product_tag)
            if product is not None:
                found += env_problems(inputs.get("envs"), product)
                model_tag = inputs.get("model")
                if settings is None and isinstance(model_tag, str) and not is_unknown(model_tag):
                    settings = _stored_settings(store, product_tag, model_tag)
                    if settings is None:
                        found.append(
                            FieldProblem(
                                "model",
                                f"model '{product_tag}/{model_tag}' does not exist in the "
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
        return CheckResult(inputs, failures(found, unknown))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = ints(olds), ints(news)
        replaces = changed_keys(olds, news, ["product", "tag"])
        changes = changed_keys(olds, news, _COMPARED)
        return DiffResult(changes=bool(replaces or changes), replaces=replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = ints(props)
        store = self.store()
        record = _record(props)
        what = f"agent '{record.product}/{record.tag}'"
        try:
            stored = _put(store, record, 0, self.actor())
        except AlreadyExists:
            if not props.get("adopt"):
                raise LlmregError(
                    f"{what} already exists in the registry (made outside this stack?): set "
                    "adopt=True on the Agent to take it over"
                ) from None
            current = store.get(Kind.AGENT, record.product, record.tag)
            stored = _put(store, record, current.version, self.actor())
        outs = self._outs(store, props, record, stored.version)
        return CreateResult(f"{record.product}/{record.tag}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = ints(olds), ints(news)
        store = self.store()
        record = _record(news)
        try:
            stored = _put(store, record, int(olds.get("version") or 0) or None, self.actor())
        except Conflict:
            raise LlmregError(
                f"agent '{record.product}/{record.tag}' changed in the registry since the last "
                "pulumi up: run `pulumi refresh` to see the change, then `pulumi up` again"
            ) from None
        return UpdateResult(self._outs(store, news, record, stored.version))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = ints(props)
        product, _, tag = id_.partition("/")
        store = self.store()
        try:
            stored = store.get(Kind.AGENT, props.get("product") or product, props.get("tag") or tag)
        except NotFound:
            return ReadResult("", {})
        record = stored.record
        assert isinstance(record, AgentRecord)
        outs: dict[str, Any] = record.to_wire()
        if "modelSettings" in props:
            outs["modelSettings"] = props["modelSettings"]
        outs["adopt"] = bool(props.get("adopt") or False)
        return ReadResult(id_, self._outs(store, outs, record, stored.version))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        props = ints(props)
        self.store().delete(Kind.AGENT, props["product"], props["tag"], actor=self.actor())

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


def _put(store: Store, record: AgentRecord, version: int | None, actor: str) -> Any:
    try:
        return store.put(record, expected_version=version, actor=actor)
    except (AlreadyExists, Conflict):
        raise
    except LlmregError as err:
        raise LlmregError(f"agent '{record.product}/{record.tag}': {err}") from None


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
    systemPrompt: pulumi.Output[str | None]
    tools: pulumi.Output[list[dict[str, Any]]]
    modelConfig: pulumi.Output[dict[str, Any]]
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

"""The native provider: ``pulumi.provider.experimental.Provider`` over the resource cores.

Type tokens ``llmreg:index:Product|LlmModel|Agent``; the same check/diff/CRUD as the Python
dynamic resources. Differences that come from the protocol:

- the owner of a record is the resource's URN from the request, and a Product's key pairs come
  from the engine's random seed (so a preview and the ``up`` that applies its plan agree);
- secrets stay secrets end to end (the provider accepts them and marks its secret outputs);
- a preview never writes: create and update answer with the planned inputs;
- ``read`` with only an id (``pulumi import``) returns inputs as well as outputs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ..deploy import CONFIG_KEYS, CORES, DeployContext, ResourceCore
from ..deploy.base import wire_names
from ..errors import FieldProblem, LlmregError
from ._schema import TOKEN, schema
from ._values import plain, plain_map, secret_keys, wrap_map


def _core(urn: str) -> ResourceCore:  # type: ignore[type-arg]
    token = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else urn
    core = CORES.get(token.removeprefix(TOKEN))
    if core is None:
        raise LlmregError(f"unknown resource type {token!r}: llmreg has {', '.join(CORES)}")
    return core


class LlmregProvider(Provider):
    """Serves Product, LlmModel and Agent to programs of any Pulumi language."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.context = DeployContext()

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(json.dumps(schema(self.version)))

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        config: dict[str, Any] = {}
        for key in CONFIG_KEYS:
            value = request.args.get(key)
            if value is not None:
                config[key] = plain(value)
            elif f"{TOKEN.split(':')[0]}:{key}" in request.variables:
                config[key] = request.variables[f"llmreg:{key}"]
        self.context = DeployContext(config)
        return ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: CheckRequest) -> CheckResponse:
        core = _core(request.urn)
        news = {**plain_map(request.new_inputs), "owner": request.urn}
        checked = await asyncio.to_thread(
            core.check,
            self.context,
            plain_map(request.old_inputs),
            news,
            request.random_seed or None,
        )
        secrets = {*core.secrets(), *secret_keys(request.new_inputs)}
        return CheckResponse(
            inputs=wrap_map(checked.inputs, secrets),
            failures=[_failure(p, secrets) for p in checked.failures],
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        core = _core(request.urn)
        diffed = await asyncio.to_thread(
            core.diff,
            self.context,
            request.resource_id,
            plain_map(request.old_state),
            plain_map(request.new_inputs),
        )
        # Output diffs (as the dynamic resources'): a refresh changes outputs, not inputs.
        detailed = {
            name: PropertyDiff(
                PropertyDiffKind.UPDATE_REPLACE
                if name in diffed.replaces
                else PropertyDiffKind.UPDATE,
                input_diff=False,
            )
            for name in diffed.changed
        }
        return DiffResponse(
            changes=diffed.changes,
            replaces=diffed.replaces,
            diffs=diffed.changed,
            detailed_diff=detailed,
        )

    def _outputs(self, core: ResourceCore, outs: Mapping[str, Any]) -> dict[str, PropertyValue]:  # type: ignore[type-arg]
        return wrap_map(outs, core.secrets())

    async def create(self, request: CreateRequest) -> CreateResponse:
        core = _core(request.urn)
        inputs = plain_map(request.properties)
        if request.preview:  # a preview never writes: the planned state, outputs unknown
            planned = core.previewed({**_unknown_outputs(core), **inputs}, {})
            return CreateResponse(None, wrap_map(planned, core.secrets()))
        id_, outs = await asyncio.to_thread(core.create, self.context, inputs)
        return CreateResponse(id_, self._outputs(core, outs))

    async def read(self, request: ReadRequest) -> ReadResponse:
        core = _core(request.urn)
        # With no state, this is `pulumi import`: the state records the registry's owner, so
        # the first `pulumi up` shows the resource taking the record over, and writes it.
        state = plain_map(request.properties)
        found = await asyncio.to_thread(core.read, self.context, request.resource_id, state)
        if found is None:
            return ReadResponse(None, {}, {})
        id_, outs = found
        inputs = request.inputs or wrap_map(
            {k: v for k, v in outs.items() if k in wire_names(core.args) or k == "owner"},
            core.secrets(),
        )
        return ReadResponse(id_, self._outputs(core, outs), inputs)

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        core = _core(request.urn)
        news = plain_map(request.news)
        if request.preview:
            planned = core.previewed({**_unknown_outputs(core), **news}, plain_map(request.olds))
            return UpdateResponse(wrap_map(planned, core.secrets()))
        outs = await asyncio.to_thread(
            core.update, self.context, request.resource_id, plain_map(request.olds), news
        )
        return UpdateResponse(self._outputs(core, outs))

    async def delete(self, request: DeleteRequest) -> None:
        core = _core(request.urn)
        await asyncio.to_thread(
            core.delete, self.context, request.resource_id, plain_map(request.properties)
        )


def _failure(problem: FieldProblem, secrets: set[str]) -> CheckFailure:
    """The engine prints ``property <p> value {<inputs[p]>} has a problem: <reason>``, which
    reads ``{<nil>}`` for a nested path: those (and secrets) name the field in the reason
    instead, as the Python resources do."""
    path = problem.path
    if path and path.isidentifier() and path not in secrets:
        return CheckFailure(path, problem.message)
    return CheckFailure("", f"{path}: {problem.message}" if path else problem.message)


def _unknown_outputs(core: ResourceCore) -> dict[str, Any]:  # type: ignore[type-arg]
    from ..deploy.props import UNKNOWN

    return {name: UNKNOWN for name in wire_names(core.state)}

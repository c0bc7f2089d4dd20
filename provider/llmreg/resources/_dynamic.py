"""The dynamic-provider front door: ``pulumi.dynamic.ResourceProvider`` over a resource core.

The serialized provider (``__provider`` in the state) is an instance of a module-level class
with no state of its own, so it pickles by reference and captures no secret: the store URL and
token are read in :meth:`CoreProvider.configure` from the stack config the engine passes
(``llmreg:url``, ``llmreg:token``, ...), else from the environment.

Errors: the dynamic provider server (``pulumi.dynamic.__main__``) reports any exception with its
whole Python traceback. llmreg's own errors are one clear line instead (``error: model
'shop/claude': ...``); ``LLMREG_DEBUG=1`` brings the traceback back.
"""

from __future__ import annotations

import gc
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ..errors import FieldProblem, LlmregError
from ..settings import DEBUG

if TYPE_CHECKING:  # the core is imported on first use: the program's process never needs it
    from ..deploy import DeployContext, ResourceCore


def _failure(problem: FieldProblem) -> CheckFailure:
    # The engine prints "property <p> value {<inputs[p]>} has a problem: <reason>" for a
    # top-level property, so nested paths (and secrets) go into the reason instead.
    path = problem.path
    if path and path.isidentifier() and path not in ("apiKeys", "privateKeys"):
        return CheckFailure(path, problem.message)
    return CheckFailure("", f"{path}: {problem.message}" if path else problem.message)


def failures(problems: Iterable[FieldProblem]) -> list[CheckFailure]:
    return [_failure(p) for p in problems]


def _marked(value: Any) -> Any:
    """``value`` with the SDK's ``Unknown()`` objects (how the dynamic provider server hands a
    preview's unknown values over) as the core's unknown marker, the wire's own string."""
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    if isinstance(value, Unknown):
        return UNKNOWN  # the wire's own string, llmreg.deploy.props.UNKNOWN too
    return value


class _OneLineErrors:
    """Stands in for the ``traceback`` module of the dynamic provider server: an llmreg error
    is reported as its message alone."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(*args: Any, **kwargs: Any) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, LlmregError) and not DEBUG.get():
            return str(error)
        return traceback.format_exc(*args, **kwargs)


_diffed = threading.local()
"""The properties the last ``diff`` of this server thread found changed."""


class _DiffsNamingChanges:
    """Stands in for the ``proto`` module of the dynamic provider server, whose ``Diff`` has no
    room for the changed properties: the engine would then show an update without naming what
    changes (``[diff: ...]``), and a changed secret (an API key) not at all. Its
    ``DiffResponse`` names the properties the last ``diff`` found changed."""

    def __init__(self, proto: Any) -> None:
        self._proto = proto
        self.DiffResponse = _NamingDiffResponse(proto)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._proto, name)


class _NamingDiffResponse:
    def __init__(self, proto: Any) -> None:
        self._proto = proto

    def __getattr__(self, name: str) -> Any:  # the enum values: DIFF_SOME, DIFF_NONE, ...
        return getattr(self._proto.DiffResponse, name)

    def __call__(self, **fields: Any) -> Any:
        names: list[str] = getattr(_diffed, "names", [])
        _diffed.names = []
        if names:
            kind = self._proto.PropertyDiff
            replaces = set(fields.get("replaces") or [])
            fields["diffs"] = names
            # Not input diffs: the engine then shows old and new *outputs*, which is what a
            # refresh changed (its inputs stay as they were) and, in a preview, the same values.
            fields["detailedDiff"] = {
                n: kind(kind=kind.UPDATE_REPLACE if n in replaces else kind.UPDATE) for n in names
            }
            fields["hasDetailedDiff"] = True
        return self._proto.DiffResponse(**fields)


def _adapt_server() -> None:
    """Errors in one line, and diffs that name their changes, in the dynamic provider server
    (``pulumi.dynamic.__main__``, which runs this provider)."""
    server = sys.modules.get("__main__")
    if server is None or not hasattr(server, "_abort_with_traceback"):
        return
    server.traceback = _OneLineErrors()  # type: ignore[attr-defined]
    proto = getattr(server, "proto", None)
    if proto is not None and not isinstance(proto, _DiffsNamingChanges):
        server.proto = _DiffsNamingChanges(proto)  # type: ignore[attr-defined]


@contextmanager
def _long_lived() -> Iterator[None]:
    """Make what lives as long as the provider process (the cores' modules and pydantic
    shapes) with the garbage collector paused, then freeze it: none of it is garbage, and the
    collections while the engine's calls come in no longer walk it (issue 22: 0.1 s of the
    provider's CPU in a preview of 201 resources)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


class CoreProvider(ResourceProvider):
    """A dynamic provider that hands every operation to the core of one resource type."""

    serialize_as_secret_always = False
    type_name: ClassVar[str]

    @property
    def core(self) -> ResourceCore:  # type: ignore[type-arg]
        from ..deploy import CORES

        return CORES[self.type_name]

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process after deserialization: never part of the pickle.
        with _long_lived():
            from ..deploy import CONFIG_KEYS, DeployContext

            config = {key: req.config.get(f"llmreg:{key}") for key in CONFIG_KEYS}
            self._context = DeployContext(config)
        _adapt_server()

    def _ctx(self) -> DeployContext:
        context = getattr(self, "_context", None)
        if context is None:
            from ..deploy import DeployContext

            context = self._context = DeployContext()
        return context

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = self.core.check(self._ctx(), _marked(olds), _marked(news))
        return CheckResult(checked.inputs, failures(checked.failures))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        diffed = self.core.diff(self._ctx(), _id, _marked(olds), _marked(news))
        _diffed.names = diffed.changed
        return DiffResult(changes=diffed.changes, replaces=diffed.replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        id_, outs = self.core.create(self._ctx(), props)
        return CreateResult(id_, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = self.core.read(self._ctx(), id_, props)
        if found is None:
            return ReadResult("", {})
        return ReadResult(*found)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self.core.update(self._ctx(), _id, olds, news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.core.delete(self._ctx(), _id, props)


class ProductProvider(CoreProvider):
    type_name = "Product"


class LlmModelProvider(CoreProvider):
    type_name = "LlmModel"


class AgentProvider(CoreProvider):
    type_name = "Agent"

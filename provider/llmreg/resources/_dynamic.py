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

import sys
import traceback
from collections.abc import Iterable
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


def _report_errors_in_one_line() -> None:
    server = sys.modules.get("__main__")
    if server is not None and hasattr(server, "_abort_with_traceback"):
        server.traceback = _OneLineErrors()  # type: ignore[attr-defined]


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
        from ..deploy import CONFIG_KEYS, DeployContext

        config = {key: req.config.get(f"llmreg:{key}") for key in CONFIG_KEYS}
        self._context = DeployContext(config)
        _report_errors_in_one_line()

    def _ctx(self) -> DeployContext:
        context = getattr(self, "_context", None)
        if context is None:
            from ..deploy import DeployContext

            context = self._context = DeployContext()
        return context

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = self.core.check(self._ctx(), olds, news)
        return CheckResult(checked.inputs, failures(checked.failures))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        diffed = self.core.diff(self._ctx(), _id, olds, news)
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

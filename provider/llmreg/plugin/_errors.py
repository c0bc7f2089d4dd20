"""How the plugin reports a failure to the engine: one line, naming the field.

The plugin server of ``pulumi.provider.experimental`` re-raises every exception of a provider
method as ``Exception("<message>:\\n<python stack>")``, which gRPC then reports as
``Unexpected <class 'Exception'>: ...`` over several lines. :func:`one_line_servicer` wraps the
server's methods so that the engine gets the original error's message instead, as one line:
an invalid record as ``invalid agent 'shop/support': model: ...; envs[0].slug: ...``, any other
llmreg error as its message, anything else as its type and message. ``LLMREG_DEBUG=1`` keeps
the server's own report, with the Python stack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc  # type: ignore[import-untyped]  # no type stubs (pulumi's own dependency)
from pydantic import ValidationError

from ..domain.rules import problems
from ..errors import LlmregError, ValidationFailed
from ..settings import DEBUG

#: The servicer methods that call the provider (check/diff/CRUD, configuration, schema).
METHODS = (
    "CheckConfig",
    "DiffConfig",
    "Configure",
    "GetSchema",
    "Check",
    "Diff",
    "Create",
    "Read",
    "Update",
    "Delete",
)

S = TypeVar("S", bound=type)
Handler = Callable[[Any, Any, Any], Awaitable[Any]]


def _flat(text: str) -> str:
    return " ".join(text.split())


def one_line(error: BaseException) -> str:
    """``error`` as the one line the user sees after ``error:``."""
    if isinstance(error, ValidationFailed):
        fields = "; ".join(_flat(str(p)) for p in error.problems)
        return f"invalid {error.what}: {fields}" if fields else f"invalid {error.what}"
    if isinstance(error, ValidationError):
        return f"invalid {error.title}: " + "; ".join(_flat(str(p)) for p in problems(error))
    if isinstance(error, LlmregError):
        return _flat(str(error))
    return f"{type(error).__name__}: {_flat(str(error))} (LLMREG_DEBUG=1 shows the traceback)"


def _origin(error: Exception) -> BaseException:
    """The provider's own exception behind the server's ``Exception("...:\\n<stack>")``."""
    if type(error) is Exception and error.__context__ is not None:
        return error.__context__
    return error


def _reporting(method: Handler) -> Handler:
    async def reported(self: Any, request: Any, context: Any) -> Any:
        try:
            return await method(self, request, context)
        except (grpc.aio.AbortError, NotImplementedError):
            raise
        except Exception as error:
            if DEBUG.get():
                raise
            await context.abort(grpc.StatusCode.UNKNOWN, one_line(_origin(error)))

    reported.__name__ = reported.__qualname__ = method.__name__
    return reported


def one_line_servicer(base: S) -> S:
    """A subclass of the plugin server's servicer ``base`` whose errors are one line."""
    methods = {name: _reporting(getattr(base, name)) for name in METHODS if hasattr(base, name)}
    return type(base)(base.__name__, (base,), {**methods, "__doc__": __doc__})

"""The engine's side of a resource's life, in process: what `pulumi up`, `preview` and
`refresh` ask of a resource core, in the order the engine asks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmreg.deploy import DeployContext, ResourceCore
from llmreg.deploy.props import Props
from llmreg.errors import FieldProblem

URN = "urn:pulumi:test::unit::pulumi-python:dynamic/llmreg:{type}::{name}"


def urn(core: ResourceCore, name: str) -> str:  # type: ignore[type-arg]
    return URN.format(type=core.type_name, name=name)


class CheckFailed(AssertionError):
    def __init__(self, failures: list[FieldProblem]) -> None:
        super().__init__("; ".join(str(f) for f in failures))
        self.failures = failures


@dataclass
class Resource:
    """One resource of a stack: its checked inputs and its state (outputs), as the engine keeps
    them between operations."""

    core: ResourceCore  # type: ignore[type-arg]
    ctx: DeployContext
    name: str
    id: str = ""
    inputs: Props = field(default_factory=dict)
    state: Props = field(default_factory=dict)

    def check(self, news: Props) -> Props:
        checked = self.core.check(
            self.ctx, self.inputs, {"owner": urn(self.core, self.name), **news}
        )
        if checked.failures:
            raise CheckFailed(checked.failures)
        return checked.inputs

    def up(self, news: Props) -> bool:
        """``pulumi up`` of this resource; True if it wrote (created or updated)."""
        inputs = self.check(news)
        if not self.id:
            self.id, self.state = self.core.create(self.ctx, inputs)
            self.inputs = inputs
            return True
        diffed = self.core.diff(self.ctx, self.id, self.state, inputs)
        if not diffed.changes:
            return False
        assert not diffed.replaces, f"unexpected replacement of {diffed.replaces}"
        self.state = self.core.update(self.ctx, self.id, self.state, inputs)
        self.inputs = inputs
        return True

    def preview_changes(self, news: Props) -> list[str]:
        """The properties a ``pulumi preview`` would show as changed."""
        diffed = self.core.diff(self.ctx, self.id, self.state, self.check(news))
        return diffed.changed if diffed.changes else []

    def refresh(self) -> Any:
        found = self.core.read(self.ctx, self.id, self.state)
        if found is None:
            self.id, self.state = "", {}
            return None
        self.id, self.state = found
        return self.state

    def destroy(self) -> None:
        self.core.delete(self.ctx, self.id, self.state)
        self.id, self.state, self.inputs = "", {}, {}

"""The plugin's package schema, which the TypeScript SDK and YAML programs are typed by."""

from __future__ import annotations

from llmreg.deploy import CORES
from llmreg.deploy.base import wire_names
from llmreg.plugin._schema import TOKEN, schema


def test_outputs_the_shapes_require_are_required() -> None:
    """A required output is `Output<T>` in TypeScript, not `Output<T | undefined>`: a model's
    `settings` must go into an agent's `fallbackSettings: [gpt.settings]` as it is."""
    resources = schema("0.1.0")["resources"]
    for name, core in CORES.items():
        required = set(resources[f"{TOKEN}{name}"]["required"])
        shape_required = {
            wire
            for wire, (_, info) in zip(
                wire_names(core.state), core.state.model_fields.items(), strict=True
            )
            if info.is_required()
        }
        assert shape_required <= required, name
    assert "settings" in resources[f"{TOKEN}LlmModel"]["required"]
    assert "resolved" in resources[f"{TOKEN}Agent"]["required"]

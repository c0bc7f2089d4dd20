"""Override precedence (model < agent < env < runtime), inheritance and provenance."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from llmreg.domain import OVERRIDABLE_FIELDS, ModelConfig
from llmreg.overrides import Layer, resolve_layers

LAYERS = [Layer.MODEL, Layer.AGENT, Layer.ENV, Layer.RUNTIME]

configs = st.builds(
    ModelConfig,
    temperature=st.none() | st.floats(0, 2, allow_nan=False),
    max_tokens=st.none() | st.integers(1, 100_000),
    top_p=st.none() | st.floats(0, 1, allow_nan=False),
    stop_sequences=st.none()
    | st.lists(
        st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=5),
        max_size=3,
    ),
    timeout=st.none() | st.integers(1, 600_000),
)


def test_design_example() -> None:
    temperatures = [0.7, 0.5, 0.3, 0.2]
    layers = [
        (layer, ModelConfig(temperature=t)) for layer, t in zip(LAYERS, temperatures, strict=True)
    ]
    resolved = resolve_layers(layers)
    assert resolved.settings.temperature == 0.2
    assert resolved.provenance == {"temperature": Layer.RUNTIME}


def test_stop_sequences_are_replaced_whole_not_appended() -> None:
    resolved = resolve_layers(
        [
            (Layer.MODEL, ModelConfig(stop_sequences=["a", "b"])),
            (Layer.ENV, ModelConfig(stop_sequences=["c"])),
        ]
    )
    assert resolved.settings.stop_sequences == ["c"]
    assert resolved.provenance["stop_sequences"] == Layer.ENV


def test_empty_stop_sequences_override_is_kept() -> None:
    resolved = resolve_layers(
        [
            (Layer.MODEL, ModelConfig(stop_sequences=["a"])),
            (Layer.AGENT, ModelConfig(stop_sequences=[])),
        ]
    )
    assert resolved.settings.stop_sequences == []


@given(st.lists(configs, min_size=1, max_size=4))
def test_highest_layer_that_sets_a_field_wins(stack: list[ModelConfig]) -> None:
    layers = list(zip(LAYERS, stack, strict=False))
    resolved = resolve_layers(layers)
    for name in OVERRIDABLE_FIELDS:
        setters = [
            (layer, getattr(cfg, name)) for layer, cfg in layers if getattr(cfg, name) is not None
        ]
        if setters:
            layer, value = setters[-1]
            assert getattr(resolved.settings, name) == value
            assert resolved.provenance[name] == layer
        else:
            assert getattr(resolved.settings, name) is None
            assert name not in resolved.provenance


@given(configs, configs)
def test_a_layer_that_sets_nothing_changes_nothing(below: ModelConfig, above: ModelConfig) -> None:
    base = resolve_layers([(Layer.MODEL, below), (Layer.AGENT, above)])
    with_empty = resolve_layers(
        [(Layer.MODEL, below), (Layer.AGENT, above), (Layer.ENV, ModelConfig())]
    )
    assert base == with_empty


@given(configs)
def test_provenance_lists_fields_in_canonical_order(cfg: ModelConfig) -> None:
    resolved = resolve_layers([(Layer.AGENT, cfg)])
    assert list(resolved.provenance) == [
        n for n in OVERRIDABLE_FIELDS if getattr(cfg, n) is not None
    ]

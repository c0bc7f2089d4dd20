"""The runtime's view of the overridable settings, rendered from ``ModelConfig``.

``ResolvedConfig`` carries each setting as a typed attribute (``cfg.max_tokens``), and each
provider's request-parameter table may name a path for each (:mod:`llmreg.runtime.params`).
Both are generated into ``llmreg/runtime/_settings_gen.py`` from the one declaration of the
settings, :class:`llmreg.domain.ModelConfig`, so that the runtime imports nothing to build them.
"""

from __future__ import annotations

from ..domain.model_config import OVERRIDABLE_FIELDS, ModelConfig
from .pysdk import HEADER, Field, _docstring, fields, output_type


def _setting_fields() -> list[Field]:
    return [f for f in fields(ModelConfig) if f.python in OVERRIDABLE_FIELDS]


def _resolved_type(f: Field) -> str:
    """A list setting is a tuple in the (frozen) result."""
    text = output_type(f.annotation)
    if text.startswith("list["):
        item = text.removeprefix("list[").split("]")[0]
        text = f"tuple[{item}, ...]" + text.split("]", 1)[1]
    return text


def render_settings() -> str:
    out = [
        HEADER.format(doc="The overridable settings as the runtime holds them."),
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "",
        "from typing_extensions import TypedDict",
        "",
        "",
        "@dataclass(frozen=True, kw_only=True)",
        "class ResolvedSettings:",
        '    """The effective value of each overridable setting (None: no layer sets it)."""',
        "",
    ]
    for f in _setting_fields():
        out.append(f"    {f.python}: {_resolved_type(f)} = None")
        out += _docstring(f.description, 4)
    out += [
        "",
        "",
        "class SettingPaths(TypedDict, total=False):",
        '    """Where one provider\'s chat call takes each setting: a dotted keyword-argument path',
        '    (``config.max_output_tokens`` is ``config={"max_output_tokens": ...}``). A provider',
        '    without such a parameter leaves the setting out."""',
        "",
    ]
    for f in _setting_fields():
        out.append(f"    {f.python}: str")
    return "\n".join(out) + "\n"

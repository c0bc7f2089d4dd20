"""The argument and output tables of docs/resources/*.md, made from the resource cores' shapes.

The field descriptions of the shapes are the one declaration of what each argument and output
means: the docs' tables are rendered from them here (``make generate``, i.e.
``python -m llmreg.deploy.generate``, rewrites the generated blocks; tests/unit/test_generated.py
fails when they are stale), the plugin's schema takes them, and the Python SDK is generated from
them (:mod:`.pysdk`).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..domain import AgentEnv, KeyRotation, ModelConfig, ModelEnvSpec, ModelSettings, Tool
from ..domain.agent import Termination
from . import CORES
from .pysdk import SDK_TYPES, fields

TYPE_NAMES: dict[type[BaseModel], str] = {**SDK_TYPES, ModelSettings: "dict"}

NESTED: dict[str, list[type[BaseModel]]] = {
    "Product": [KeyRotation],
    "LlmModel": [ModelEnvSpec],
    "Agent": [Tool, ModelConfig, AgentEnv, Termination],
}
"""The input types documented with each resource."""

PAGES = {"Product": "product.md", "LlmModel": "llm_model.md", "Agent": "agent.md"}
_BLOCK = re.compile(r"(<!-- BEGIN generated: (\w+) -->\n)(.*?)(<!-- END generated -->)", re.S)


@dataclass(frozen=True)
class Row:
    python: str
    state: str
    type: str
    required: bool
    description: str


def type_name(annotation: Any) -> str:
    """A short, readable name of a field's type, with the SDK's names for nested inputs."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args if a is not type(None))
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(type_name(a) for a in args)}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return TYPE_NAMES.get(annotation, annotation.__name__)
    if annotation is Any:
        return "Any"
    name = getattr(annotation, "__name__", str(annotation))
    return {"SecretStr": "str (secret)"}.get(name, name)


def rows(shape: type[BaseModel]) -> Iterator[Row]:
    """One row per field the SDK exposes; inherited sampling settings after the shape's own."""
    for f in fields(shape):
        yield Row(f.python, f.state, type_name(f.annotation), f.required, f.description)


def table(shape: type[BaseModel], *, inputs: bool) -> str:
    if inputs:
        lines = ["| argument | state | type | required | description |", "|---|---|---|---|---|"]
        for r in rows(shape):
            required = "yes" if r.required else "no"
            lines.append(
                f"| `{r.python}` | `{r.state}` | {r.type} | {required} | {r.description} |"
            )
    else:
        lines = ["| output | state | type | description |", "|---|---|---|---|"]
        for r in rows(shape):
            lines.append(f"| `{r.python}` | `{r.state}` | {r.type} | {r.description} |")
    return "\n".join(lines) + "\n"


def blocks(resource: str) -> dict[str, str]:
    """The generated blocks of a resource's page, by name."""
    core = CORES[resource]
    out = {
        "arguments": table(core.args, inputs=True),
        "outputs": "All inputs are outputs too, plus:\n\n" + table(core.state, inputs=False),
    }
    out["types"] = "\n".join(
        f"`{SDK_TYPES[shape]}` (or a dict with the same keys, `{SDK_TYPES[shape]}Dict`):\n\n"
        + table(shape, inputs=True)
        for shape in NESTED[resource]
    )
    return out


def render(text: str, generated: dict[str, str]) -> str:
    """``text`` with each generated block replaced by its current content."""

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + generated[match.group(2)] + match.group(4)

    return _BLOCK.sub(replace, text)


def _path(path: str) -> str:
    """``config.http_options.timeout`` as Python reads it: ``config["http_options"]["timeout"]``."""
    head, *rest = path.split(".")
    return f"`{head}" + "".join(f'["{part}"]' for part in rest) + "`"


def request_params_table() -> str:
    """docs/runtime.md: where each provider's call takes each setting (``runtime.params``)."""
    from ..domain.model_config import OVERRIDABLE_FIELDS, ModelConfig
    from ..runtime.params import TABLES

    providers = list(TABLES)
    lines = [
        "| llmreg | " + " | ".join(f"`{p}`" for p in providers) + " |",
        "|---" * (len(providers) + 1) + "|",
        "| the call | " + " | ".join(f"`{TABLES[p].call}`" for p in providers) + " |",
        "| `model` | " + " | ".join("`model`" for _ in providers) + " |",
    ]
    for name in OVERRIDABLE_FIELDS:
        cells = []
        for provider in providers:
            table = TABLES[provider]
            path = table.settings.get(name)
            cell = "not sent" if path is None else _path(str(path))
            if name == "max_tokens" and path and table.default_max_tokens is not None:
                cell += f" (default **{table.default_max_tokens}**)"
            if name == "timeout" and path:
                cell += f" ({table.timeout_unit})"
            cells.append(cell)
        state = ModelConfig.model_fields[name].alias or name
        unit = " (ms)" if name == "timeout" else ""
        lines.append(f"| `{state}`{unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def pages(docs: Path) -> dict[Path, dict[str, str]]:
    """Each generated page under ``docs`` with its blocks: the resources' pages and
    settings.md."""
    from ..settings import markdown_table

    out = {docs / "resources" / page: blocks(resource) for resource, page in PAGES.items()}
    out[docs / "settings.md"] = {"settings": markdown_table()}
    out[docs / "runtime.md"] = {"request_params": request_params_table()}
    return out

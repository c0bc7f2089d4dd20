"""Docs that cannot drift: the tables of docs/resources/*.md and docs/settings.md are generated
from the code, and the Python SDK's docstrings (what an IDE shows on hover) say what the
resource cores' shapes say."""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

import llmreg.resources as sdk
from llmreg.deploy import CORES
from llmreg.deploy.reference import SDK_TYPES, python_name, stale_pages
from llmreg.domain import ModelEnvSpec
from llmreg.resources._outputs import StateOutput

PARAMS_OF_THE_SDK_ONLY = {"resource_name", "opts"}


def norm(text: str) -> str:
    return " ".join(text.split())


def attribute_docs(cls: type) -> dict[str, str]:
    """Attribute name -> the string right after its definition in the class body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        target = None
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target = node.target.id
        if (
            target
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[target] = norm(after.value.value)
    return docs


def descriptions(shape: type[BaseModel]) -> dict[str, str]:
    """Python SDK name -> description, for every field of ``shape``."""
    return {python_name(n, f): norm(f.description or "") for n, f in shape.model_fields.items()}


def param_docs(function: object) -> dict[str, str]:
    doc = inspect.getdoc(function) or ""
    found = re.findall(r":param (\w+): (.*?)(?=\n:param |\Z)", doc, flags=re.S)
    return {name: norm(text) for name, text in found}


DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_generated_docs_are_fresh() -> None:
    assert stale_pages(DOCS) == [], "run: python -m llmreg.deploy.reference --write"


@pytest.mark.parametrize("resource", ["Product", "LlmModel", "Agent"])
def test_every_output_has_the_docstring_of_its_shape(resource: str) -> None:
    core, cls = CORES[resource], getattr(sdk, resource)
    by_state = {
        (f.alias or n): norm(f.description or "")
        for shape in (core.args, core.state)
        for n, f in shape.model_fields.items()
    }
    by_state.update(
        {(f.alias or n): norm(f.description or "") for n, f in core.state.model_fields.items()}
    )
    docs = attribute_docs(cls)
    outputs = {n: v for n, v in vars(cls).items() if isinstance(v, StateOutput)}
    assert outputs, "the SDK declares its outputs as StateOutput descriptors"
    for name, output in outputs.items():
        assert docs.get(name) == by_state[output.state_name], f"{resource}.{name}"


@pytest.mark.parametrize("resource", ["Product", "LlmModel", "Agent"])
def test_every_argument_has_the_docstring_of_its_shape(resource: str) -> None:
    core, cls = CORES[resource], getattr(sdk, resource)
    params = param_docs(cls.__init__)
    signature = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert set(params) == signature, "every argument has a :param: line"
    shape = descriptions(core.args)
    for name, text in params.items():
        if name not in PARAMS_OF_THE_SDK_ONLY:
            assert text == shape[name], f"{resource}({name}=...)"


@pytest.mark.parametrize(
    ("cls", "shape"),
    [(getattr(sdk, name), shape) for shape, name in SDK_TYPES.items() if name != "dict"]
    + [(getattr(sdk, f"{name}Dict"), shape) for shape, name in SDK_TYPES.items() if name != "dict"],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_every_input_type_field_has_the_docstring_of_its_shape(
    cls: type, shape: type[BaseModel]
) -> None:
    docs = attribute_docs(cls)
    wanted = descriptions(shape)
    names = {f for f in (getattr(cls, "__annotations__", {}) or {})}
    assert names, cls
    if shape is ModelEnvSpec or cls.__name__.startswith("ModelEnvArgs"):
        wanted = descriptions(ModelEnvSpec)
    for name in names:
        assert docs.get(name) == wanted[name], f"{cls.__name__}.{name}"


def test_the_docs_mention_every_public_name() -> None:
    readme = DOCS.rglob("*.md")
    text = "\n".join(p.read_text() for p in readme)
    for name in sdk.__all__:
        assert name in text or name.endswith("Dict"), name

"""Docs that cannot drift: the tables of docs/resources/*.md and docs/settings.md are generated
from the code, and the Python SDK's docstrings (what an IDE shows on hover) say what the
resource cores' shapes say."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import re
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

import llmreg.resources as sdk
from llmreg.deploy import CORES
from llmreg.deploy.pysdk import ARGS, INPUT_ONLY, fields
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


def descriptions(shape: type[BaseModel], *, sdk_only: bool = True) -> dict[str, str]:
    """Python SDK name -> description, for every field of ``shape`` the SDK exposes."""
    return {f.python: f.description for f in fields(shape, sdk_only=sdk_only)}


def param_docs(function: object) -> dict[str, str]:
    doc = inspect.getdoc(function) or ""
    found = re.findall(r":param (\w+):(.*?)(?=\n:param |\Z)", doc, flags=re.S)
    return {name: norm(text) for name, text in found}


DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("resource", ["Product", "LlmModel", "Agent"])
def test_the_outputs_are_the_fields_of_the_shapes(resource: str) -> None:
    """Both ways: every output is a field of the shapes, every field of them an output (but the
    inputs that are not), each with the field's description as its docstring."""
    core, cls = CORES[resource], getattr(sdk, resource)
    wanted = {
        f.state: f.description
        for shape in (core.args, core.state)
        for f in fields(shape, sdk_only=False)
        if f.state not in INPUT_ONLY
    }
    docs = attribute_docs(cls)
    outputs = {n: v for n, v in vars(cls).items() if isinstance(v, StateOutput)}
    assert {o.state_name for o in outputs.values()} == set(wanted)
    for name, output in outputs.items():
        assert docs.get(name, "") == wanted[output.state_name], f"{resource}.{name}"


@pytest.mark.parametrize("resource", ["Product", "LlmModel", "Agent"])
def test_the_arguments_are_the_fields_of_the_shape(resource: str) -> None:
    """Both ways: every argument is a field of the resource's inputs and every field one
    argument, with its description as the ``:param:`` text."""
    core, cls = CORES[resource], getattr(sdk, resource)
    params = param_docs(cls.__init__)
    signature = set(inspect.signature(cls.__init__).parameters) - {"self"}
    shape = descriptions(core.args)
    assert signature == set(shape) | PARAMS_OF_THE_SDK_ONLY
    assert set(params) == signature, "every argument has a :param: line"
    for name, text in shape.items():
        assert params[name] == text, f"{resource}({name}=...)"


@pytest.mark.parametrize(("shape", "name"), ARGS.items(), ids=list(ARGS.values()))
def test_the_input_types_are_the_fields_of_their_shape(shape: type[BaseModel], name: str) -> None:
    """Both ways, for the Args class and its Dict: the same names, each with its field's
    description, and an Args class with every field set has every field in its props."""
    wanted = descriptions(shape)
    for cls in (getattr(sdk, name), getattr(sdk, f"{name}Dict")):
        names = (
            {f.name for f in dataclasses.fields(cls)}
            if dataclasses.is_dataclass(cls)
            else set(cls.__annotations__)
        )
        assert names == set(wanted), cls.__name__
        docs = attribute_docs(cls)
        for field, text in wanted.items():
            assert docs.get(field, "") == text, f"{cls.__name__}.{field}"
    args_cls = getattr(sdk, name)
    nested = vars(args_cls).get("_nested", {})
    full = args_cls(
        **{f.name: {} if f.name in nested else f"v-{f.name}" for f in dataclasses.fields(args_cls)}
    )
    assert set(full.to_props()) == {f.state for f in fields(shape)}


def test_a_nested_input_type_becomes_its_props() -> None:
    env = sdk.AgentEnvArgs(slug="dev", model_config={"max_tokens": 5})
    assert env.to_props() == {"slug": "dev", "modelConfig": {"maxTokens": 5}}


def test_the_docs_mention_every_public_name() -> None:
    readme = DOCS.rglob("*.md")
    text = "\n".join(p.read_text() for p in readme)
    for name in sdk.__all__:
        assert name in text or name.endswith("Dict"), name

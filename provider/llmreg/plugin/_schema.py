"""The plugin's Pulumi package schema, made from the resource cores' shapes.

One declaration serves every front door: the shapes' fields give the properties, their types,
which are required, which are secret and what each means; the SDKs of other languages are
generated from this schema (``pulumi package gen-sdk``).
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from ..deploy import CONFIG_KEYS, CORES, ResourceCore
from ..deploy.base import secret_names

PACKAGE = "llmreg"
TOKEN = f"{PACKAGE}:index:"

CONFIG: dict[str, dict[str, Any]] = {
    "url": {
        "type": "string",
        "description": "The registry: `sqlite:///path`, `postgresql://...` or `http(s)://` of "
        "`llmreg serve` (default: `LLMREG_URL`, else the embedded SQLite file).",
    },
    "token": {
        "type": "string",
        "secret": True,
        "description": "Bearer token for an `http(s)://` registry (default: `LLMREG_TOKEN`).",
    },
    "retrySeconds": {
        "type": "number",
        "description": "Seconds the HTTP store keeps retrying a request the registry did not "
        "answer (default 60).",
    },
    "registries": {
        "type": "object",
        "additionalProperties": {"$ref": "pulumi.json#/Any"},
        "description": "More registries, by name: `{name: {url, token, retrySeconds}}`; a "
        "resource's `registry` input names one.",
    },
}
assert set(CONFIG) == set(CONFIG_KEYS), "the schema's config and the provider's agree"


class _Builder:
    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def type_of(self, annotation: Any) -> dict[str, Any]:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            return self.type_of(args[0])
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            return self.type_of(inner[0]) if len(inner) == 1 else {"$ref": "pulumi.json#/Any"}
        if origin is typing.Literal or (
            isinstance(annotation, type) and issubclass(annotation, enum.Enum)
        ):
            return {"type": "string"}
        if origin is list:
            return {"type": "array", "items": self.type_of(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.type_of(args[1])}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return {"$ref": f"#/types/{self.object_type(annotation)}"}
        simple = {
            str: "string",
            SecretStr: "string",
            int: "integer",
            float: "number",
            bool: "boolean",
        }
        if annotation in simple:
            return {"type": simple[annotation]}
        return {"$ref": "pulumi.json#/Any"}

    def object_type(self, model: type[BaseModel]) -> str:
        token = TOKEN + model.__name__.removesuffix("Spec").removesuffix("Record")
        if token not in self.types:
            self.types[token] = {}  # placeholder against recursion
            properties, required = self.properties(model)
            self.types[token] = {
                "type": "object",
                "description": " ".join((model.__doc__ or "").split()),
                "properties": properties,
                "required": required,
            }
        return token

    def properties(self, model: type[BaseModel]) -> tuple[dict[str, Any], list[str]]:
        secrets = set(secret_names(model))
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, info in model.model_fields.items():
            wire = info.alias or name
            properties[wire] = self.property(info, secret=wire in secrets)
            if info.is_required():
                required.append(wire)
        return properties, required

    def property(self, info: FieldInfo, *, secret: bool) -> dict[str, Any]:
        out = {**self.type_of(info.annotation), "description": " ".join(
            (info.description or "").split()
        )}  # fmt: skip
        if secret or info.annotation is SecretStr:
            out["secret"] = True
        return out

    def resource(self, core: ResourceCore) -> dict[str, Any]:  # type: ignore[type-arg]
        inputs, required_inputs = self.properties(core.args)
        # An output its shape requires is there after every create, update and read (unknown in
        # a preview): typed as such, `[gpt.settings]` is an input list of settings in TypeScript.
        outputs, required_outputs = self.properties(core.state)
        return {
            "description": " ".join((core.args.__doc__ or "").split()),
            "inputProperties": inputs,
            "requiredInputs": required_inputs,
            "properties": {**inputs, **outputs},
            "required": [*required_inputs, *required_outputs, "version"],
        }


def schema(version: str) -> dict[str, Any]:
    """The package schema of the plugin ``version``."""
    builder = _Builder()
    resources = {TOKEN + name: builder.resource(core) for name, core in CORES.items()}
    return {
        "name": PACKAGE,
        "displayName": "llmreg",
        "version": version,
        "description": "LLM model configurations and AI agents, with API keys sealed to each "
        "environment of a product.",
        "keywords": ["llm", "agents", "registry", "category/utility"],
        "license": "Apache-2.0",
        "meta": {"moduleFormat": "(.*)"},
        "config": {"variables": CONFIG},
        "provider": {
            "description": "Where llmreg's records go (see docs/resources/store-config.md).",
            "inputProperties": CONFIG,
        },
        "resources": resources,
        "types": builder.types,
        "language": {
            "nodejs": {
                "packageName": "@llmreg/pulumi",
                "respectSchemaVersion": True,
                # The SDK is compiled when it is installed (a "local" SDK, as `pulumi package
                # add` makes), with the program's own TypeScript when it is 5.x.
                "typescriptVersion": "^5.0.0",
            },
        },
    }

"""Rules across records: what a model or an agent refers to must exist and agree with it.

Functions of typed records, so that every store applies the same rules with the same words: the
SQL store in its write transaction, the resource cores in ``check`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..errors import FieldProblem
from .agent import AgentRecord
from .llm_model import LlmModelRecord
from .product import ProductRecord
from .rules import env_problems


def reference_problems(
    record: LlmModelRecord | AgentRecord,
    product: ProductRecord | None,
    missing_models: Collection[str] = (),
) -> list[FieldProblem]:
    """What is wrong with the references of ``record``: its ``product`` (which must exist and
    declare each of its envs) and, for an agent, its ``model`` and ``fallbacks``
    (``missing_models``: the tags among them that the product has no model of)."""
    if product is None:
        return [
            FieldProblem(
                "product", f"product '{record.product}' does not exist: create the product first"
            )
        ]
    found: list[FieldProblem] = []
    if isinstance(record, AgentRecord):
        paths = [("model", record.model)]
        paths += [(f"fallbacks[{i}]", tag) for i, tag in enumerate(record.fallbacks or [])]
        found += [
            FieldProblem(
                path,
                f"model '{record.product}/{tag}' does not exist: create it first, or name a "
                "model of the same product",
            )
            for path, tag in paths
            if tag in missing_models
        ]
    found += env_problems([e.slug for e in record.envs], product.env_slugs(), record.product)
    return found


def agents_using(model_tag: str, agents: Iterable[AgentRecord]) -> list[str]:
    """The tags of the ``agents`` that use the model ``model_tag``, as their model or as a
    fallback (the model then may not go)."""
    return [agent.tag for agent in agents if model_tag in agent.chain()]

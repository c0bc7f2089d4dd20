"""Rules across records: what a model or an agent refers to must exist and agree with it.

Functions of typed records, so that every store applies the same rules with the same words: the
SQL store in its write transaction, the resource cores in ``check`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import FieldProblem
from .agent import AgentRecord
from .llm_model import LlmModelRecord
from .product import ProductRecord
from .rules import env_problems


def reference_problems(
    record: LlmModelRecord | AgentRecord, product: ProductRecord | None, model_exists: bool
) -> list[FieldProblem]:
    """What is wrong with the references of ``record``: its ``product`` (which must exist and
    declare each of its envs) and, for an agent, its ``model`` (``model_exists``: whether the
    product has a model of that tag)."""
    if product is None:
        return [
            FieldProblem(
                "product", f"product '{record.product}' does not exist: create the product first"
            )
        ]
    found = env_problems([e.slug for e in record.envs], product.env_slugs(), record.product)
    if isinstance(record, AgentRecord) and not model_exists:
        found.insert(
            0,
            FieldProblem(
                "model",
                f"model '{record.product}/{record.model}' does not exist: create it first, or "
                "name a model of the same product",
            ),
        )
    return found


def agents_using(model_tag: str, agents: Iterable[AgentRecord]) -> list[str]:
    """The tags of the ``agents`` that use the model ``model_tag`` (which then may not go)."""
    return [agent.tag for agent in agents if agent.model == model_tag]

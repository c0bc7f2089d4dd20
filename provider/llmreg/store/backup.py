"""Export and import of a product's records (API keys as ciphertext only), for any store.

The export is ``{"format": "llmreg-export/1", "product": {...}, "models": [...], "agents":
[...]}`` in the records' wire form. An import validates the whole file first, then upserts
product, models and agents: in one transaction on a SQL store; over HTTP one idempotent write
each, in that order, so an import interrupted halfway can simply be run again.
"""

from __future__ import annotations

from typing import Any

from ..domain import AgentRecord, LlmModelRecord, ProductRecord, parse
from ..errors import FieldProblem, ValidationFailed
from .base import AnyRecord, BatchWriter, Kind, Store

EXPORT_FORMAT = "llmreg-export/1"


def export_product(store: Store, product: str) -> dict[str, Any]:
    """A product's records in wire form, ready for ``json.dumps``."""
    stored = store.get(Kind.PRODUCT, product, product)
    return {
        "format": EXPORT_FORMAT,
        "product": stored.record.to_wire(),
        "models": [s.record.to_wire() for s in store.list(Kind.MODEL, product)],
        "agents": [s.record.to_wire() for s in store.list(Kind.AGENT, product)],
    }


def parse_export(data: object) -> list[AnyRecord]:
    """The records of an export, product first; every problem of the file at once."""
    if not isinstance(data, dict) or "product" not in data:
        raise ValidationFailed(
            "import", [FieldProblem("product", "is required (use the output of llmreg export)")]
        )
    if data.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise ValidationFailed(
            "import", [FieldProblem("format", f"must be '{EXPORT_FORMAT}', not {data['format']!r}")]
        )
    product = parse(ProductRecord, data["product"], "product")
    records: list[AnyRecord] = [product]
    problems: list[FieldProblem] = []
    kinds: tuple[tuple[str, type[LlmModelRecord | AgentRecord]], ...] = (
        ("models", LlmModelRecord),
        ("agents", AgentRecord),
    )
    for key, record_type in kinds:
        items = data.get(key, [])
        if not isinstance(items, list):
            problems.append(FieldProblem(key, "must be a list of records"))
            continue
        for i, item in enumerate(items):
            record: LlmModelRecord | AgentRecord = parse(record_type, item, f"{key}[{i}]")
            if record.product != product.tag:
                problems.append(
                    FieldProblem(
                        f"{key}[{i}].product",
                        f"belongs to product '{record.product}', not '{product.tag}'",
                    )
                )
            records.append(record)
    if problems:
        raise ValidationFailed(f"import of product '{product.tag}'", problems)
    return records


def import_product(store: Store, data: object, *, actor: str) -> list[AnyRecord]:
    """Upsert the records of an export into ``store``; returns them."""
    records = parse_export(data)
    if isinstance(store, BatchWriter):
        store.put_all(records, actor=actor)
    else:
        for record in records:
            store.put(record, expected_version=None, actor=actor)
    return records


__all__ = ["EXPORT_FORMAT", "export_product", "import_product", "parse_export"]

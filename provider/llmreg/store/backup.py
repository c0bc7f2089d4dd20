"""Export and import of a product's records (API keys as ciphertext only), for any store.

The export is ``{"format": "llmreg-export/1", "product": {...}, "models": [...], "agents":
[...]}`` in the records' wire form. An import validates the whole file first, then upserts
product, models and agents: in one transaction on a SQL store; over HTTP one idempotent write
each, in that order, so an import interrupted halfway can simply be run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain import AgentRecord, LlmModelRecord, ProductRecord, parse
from ..errors import FieldProblem, NotFound, ValidationFailed
from .base import AnyRecord, BatchWriter, Kind, Store, kind_of

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


@dataclass(frozen=True)
class Imported:
    """What an import did: the records it wrote, and those the store already held as is."""

    product: str
    written: list[AnyRecord]
    unchanged: list[AnyRecord]


def _held(store: Store, product: str) -> dict[tuple[Kind, str], dict[str, Any]]:
    """The product's records the store holds now, in wire form, by (kind, tag)."""
    held: dict[tuple[Kind, str], dict[str, Any]] = {}
    try:
        held[(Kind.PRODUCT, product)] = store.get(Kind.PRODUCT, product, product).record.to_wire()
    except NotFound:
        return held  # a new product has no models or agents yet
    for kind in (Kind.MODEL, Kind.AGENT):
        for stored in store.list(kind, product):
            held[(kind, stored.record.tag)] = stored.record.to_wire()
    return held


def import_product(store: Store, data: object, *, actor: str) -> Imported:
    """Upsert the records of an export into ``store``, writing only those that differ from
    what the store holds (an identical record writes no version and no audit entry)."""
    records = parse_export(data)
    product = records[0].tag
    held = _held(store, product)
    written: list[AnyRecord] = []
    unchanged: list[AnyRecord] = []
    for record in records:
        same = held.get((kind_of(record), record.tag)) == record.to_wire()
        (unchanged if same else written).append(record)
    if isinstance(store, BatchWriter):
        if written:
            store.put_all(written, actor=actor)
    else:
        for record in written:
            store.put(record, expected_version=None, actor=actor)
    return Imported(product, written, unchanged)


__all__ = ["EXPORT_FORMAT", "Imported", "export_product", "import_product", "parse_export"]

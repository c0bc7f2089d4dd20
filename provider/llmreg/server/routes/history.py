"""The audit history: per product (read scope) and across products (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...store.base import AuditEntry, Kind
from ..auth import require_admin, require_read
from ..bodies import StrictJsonRoute
from ..deps import Caller, Limit, ProductPath, Reg, SlugQuery
from ..openapi import READ, errors

router = APIRouter(prefix="/v1", tags=["history"], route_class=StrictJsonRoute)


def _answer(entries: list[AuditEntry]) -> Response:
    body = b"[" + b",".join(e.model_dump_json(by_alias=True).encode() for e in entries) + b"]"
    return Response(body, media_type="application/json")


@router.get("/products/{product}/history", response_model=list[AuditEntry], responses=errors(*READ))
def product_history(
    product: ProductPath,
    reg: Reg,
    who: Caller,
    kind: Kind | None = None,
    tag: SlugQuery = None,
    limit: Limit = 100,
) -> Response:
    """A product's writes, newest first (names of changed fields only, never values)."""
    require_read(who, product)
    return _answer(reg.store.history(product=product, kind=kind, tag=tag, limit=limit))


@router.get("/history", response_model=list[AuditEntry], responses=errors(*READ))
def all_history(
    reg: Reg,
    who: Caller,
    product: SlugQuery = None,
    kind: Kind | None = None,
    tag: SlugQuery = None,
    limit: Limit = 100,
) -> Response:
    """Every product's writes, newest first (admin only)."""
    require_admin(who)
    return _answer(reg.store.history(product=product, kind=kind, tag=tag, limit=limit))

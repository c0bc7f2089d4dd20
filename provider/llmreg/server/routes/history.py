"""The audit history: per product (read scope) and across products (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...store.base import AuditEntry, Kind
from ..auth import require_admin, require_read
from ..deps import Caller, Reg

router = APIRouter(prefix="/v1", tags=["history"])

Limit = Annotated[int, Query(ge=0, le=1000)]


@router.get("/products/{product}/history", response_model=list[AuditEntry])
def product_history(
    product: str,
    reg: Reg,
    who: Caller,
    kind: Kind | None = None,
    tag: str | None = None,
    limit: Limit = 100,
) -> list[AuditEntry]:
    """A product's writes, newest first (names of changed fields only, never values)."""
    require_read(who, product)
    return reg.store.history(product=product, kind=kind, tag=tag, limit=limit)


@router.get("/history", response_model=list[AuditEntry])
def all_history(
    reg: Reg,
    who: Caller,
    product: str | None = None,
    kind: Kind | None = None,
    tag: str | None = None,
    limit: Limit = 100,
) -> list[AuditEntry]:
    """Every product's writes, newest first (admin only)."""
    require_admin(who)
    return reg.store.history(product=product, kind=kind, tag=tag, limit=limit)

"""Liveness and readiness, without authentication (they reveal nothing)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...errors import NotFound
from ...store.base import Kind
from ..deps import Reg

router = APIRouter(tags=["health"])
log = logging.getLogger("llmreg.server")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(reg: Reg) -> dict[str, str] | JSONResponse:
    """The database answers (one indexed lookup)."""
    try:
        reg.store.get(Kind.PRODUCT, "-readyz-", "-readyz-")
    except NotFound:
        return {"status": "ready"}
    except Exception as exc:
        log.warning("readiness check failed", extra={"fields": {"error": type(exc).__name__}})
        return JSONResponse(
            {"error": {"code": "unavailable", "message": "the database does not answer"}},
            status_code=503,
        )
    return {"status": "ready"}

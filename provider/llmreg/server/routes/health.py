"""Liveness, readiness and metrics, without authentication (they reveal nothing)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from ...errors import NotFound
from ...store.base import Kind
from .. import metrics
from ..deps import Reg
from ..errors import ErrorBody, error_response, unavailable
from ..openapi import DESCRIPTIONS

router = APIRouter(tags=["operations"])
log = logging.getLogger("llmreg.server")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def _database_answers(reg: Reg) -> None:
    try:
        reg.store.get(Kind.PRODUCT, "-readyz-", "-readyz-")
    except NotFound:
        return


@router.get(
    "/readyz",
    response_model=dict[str, str],
    responses={503: {"description": DESCRIPTIONS[503], "model": ErrorBody}},
)
async def readyz(reg: Reg) -> Response:
    """The database answers (one indexed lookup)."""
    try:
        await run_in_threadpool(_database_answers, reg)
    except Exception as exc:
        metrics.STORE_ERRORS.labels(type(exc).__name__).inc()
        log.warning("readiness check failed", extra={"fields": {"error": type(exc).__name__}})
        return error_response(unavailable("the database does not answer"))
    return Response(b'{"status":"ready"}', media_type="application/json")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition (summed over worker processes)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics_endpoint() -> Response:
    """Request counts and latencies by route template and status, database errors, rate-limit
    refusals (see ``llmreg.server.metrics``)."""
    body, content_type = await run_in_threadpool(metrics.exposition)
    return Response(body, media_type=content_type)

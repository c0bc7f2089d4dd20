"""Prometheus metrics of the registry server, exposed at ``GET /metrics`` (no token needed).

- ``llmreg_http_requests_total{method, route, status}``: answered requests, by route *template*
  (``/v1/products/{product}/models/{tag}``; ``unmatched`` for paths of no route), never by path;
- ``llmreg_http_request_duration_seconds{method, route}``: their latency (histogram);
- ``llmreg_store_errors_total{error}``: database failures, by exception type;
- ``llmreg_rate_limited_total{scope}``: requests refused with 429 (``token`` or ``address``).

With ``llmreg serve --workers N`` every worker process writes its samples to files in a
directory that ``serve`` creates (prometheus-client's multiprocess mode, selected by
``PROMETHEUS_MULTIPROC_DIR``), and ``/metrics`` answers the sum over all workers, whichever
worker serves the scrape. Several servers are scraped one by one, as usual.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's own variable (read when it is imported): multiprocess mode."""

REQUESTS = Counter(
    "llmreg_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
)
LATENCY = Histogram(
    "llmreg_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ("method", "route"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
STORE_ERRORS = Counter(
    "llmreg_store_errors_total",
    "Failures of the registry database, by exception type.",
    ("error",),
)
RATE_LIMITED = Counter(
    "llmreg_rate_limited_total",
    "Requests refused by the rate limit (429), by what was limited: token or address.",
    ("scope",),
)


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric (summed over worker processes in multiprocess
    mode) and its content type."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

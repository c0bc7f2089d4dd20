"""Operations: Prometheus metrics (summed over worker processes), JSON logs for everything
(uvicorn's lines and unexpected errors included), database failures as 503, the OpenAPI
document's exactness and the documentation pages' local assets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from llmreg.server import create_app
from llmreg.server.logging import JsonFormatter
from tests.harness.postgres import postgres_database, require_postgres_dsn
from tests.harness.registry import RegistryServer, running_registry
from tests.store import records as r


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        if line.startswith(name + "{"):
            found = line[len(name) + 1 : line.rindex("}")]
            if ",".join(sorted(found.split(","))) == wanted:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def _settled_metrics(
    client: httpx.Client, expected: dict[tuple[str, tuple[tuple[str, str], ...]], float]
) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """``/metrics`` once it shows ``expected`` (within 10 s), and the samples it showed last.

    A worker counts a request after its answer went out, so the last answers of a burst may
    reach the client a moment before their counts reach the metrics."""
    deadline = time.monotonic() + 10
    while True:
        text = client.get("/metrics").text
        found = {key: _sample(text, key[0], **dict(key[1])) for key in expected}
        if found == expected or time.monotonic() > deadline:
            return text, found
        time.sleep(0.1)


def test_metrics_sum_over_workers_by_route_template(tmp_path: Path) -> None:
    route = "/v1/products/{tag}"

    def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return name, tuple(sorted(labels.items()))

    total = "llmreg_http_requests_total"
    expected = {
        key(total, method="GET", route=route, status="200"): 30.0,
        key(total, method="GET", route=route, status="404"): 1.0,
        key(total, method="PUT", route=route, status="200"): 1.0,
        key(total, method="GET", route="unmatched", status="404"): 1.0,
        key("llmreg_http_request_duration_seconds_count", method="GET", route=route): 31.0,
    }
    with running_registry(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", workers=2) as server:
        auth = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.url, headers=auth, timeout=10) as client:
            client.put("/v1/products/shop", json=r.product("shop").to_wire()).raise_for_status()
            for _ in range(30):  # new connections: both workers take some
                httpx.get(f"{server.url}/v1/products/shop", headers=auth).raise_for_status()
            httpx.get(f"{server.url}/v1/products/nope", headers=auth)
            httpx.get(f"{server.url}/no/such/path")
            text, found = _settled_metrics(client, expected)
        assert found == expected
        assert "/v1/products/shop" not in text  # templates, never paths
        assert server.log_text().count("Started server process") == 2  # two workers, one sum


def test_uvicorn_and_shutdown_lines_are_json(tmp_path: Path) -> None:
    with running_registry(tmp_path, f"sqlite:///{tmp_path / 'l.db'}") as server:
        httpx.get(server.url + "/healthz").raise_for_status()
        process = server.process
    process.wait(timeout=10)
    lines = server.log_text().splitlines()
    events = [json.loads(line)["event"] for line in lines]
    assert any(e.startswith("Uvicorn running on") for e in events)
    assert any("Shutting down" in e or "Finished server process" in e for e in events)


def _captured(logger: str) -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger(logger).addHandler(handler)
    return stream


def test_an_unexpected_error_is_one_json_line_and_a_500(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'e.db'}", admin_token="t")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a message with a value: sk-secret-canary")

    errors = _captured("llmreg.server")
    uvicorn_errors = _captured("uvicorn.error")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.get("/boom", headers={"X-Request-ID": "req-1"})

    answer = asyncio.run(call())
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert answer.headers["x-request-id"] == "req-1"
    lines = errors.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["event"] == "unhandled error" and entry["requestId"] == "req-1"
    assert entry["error"] == "RuntimeError"
    assert "sk-secret-canary" not in errors.getvalue() + answer.text
    assert uvicorn_errors.getvalue() == ""  # nothing re-raised for uvicorn to log
    app.state.registry.store.close()


@pytest.mark.postgres
def test_a_database_that_goes_away_is_503_and_one_json_line(tmp_path: Path) -> None:
    dsn = require_postgres_dsn()
    with postgres_database(dsn) as url, running_registry(tmp_path, url) as server:
        auth = {"Authorization": f"Bearer {server.admin_token}"}
        assert httpx.get(server.url + "/v1/products", headers=auth).status_code == 200
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        # A dropped connection is retried once on a fresh one: reads keep working.
        assert httpx.get(server.url + "/v1/products", headers=auth).status_code == 200
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        try:
            answer = httpx.get(server.url + "/v1/products", headers=auth)
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "1"
            assert answer.json()["error"]["code"] == "unavailable"
            assert httpx.get(server.url + "/readyz").status_code == 503
            text = httpx.get(server.url + "/metrics").text
            assert 'llmreg_store_errors_total{error="OperationalError"}' in text
        finally:
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        deadline = time.monotonic() + 10
        while httpx.get(server.url + "/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the server did not recover"
            time.sleep(0.2)
        log = server.log_text()
        assert '"event":"store error"' in log
        assert "Traceback" not in log and "[parameters" not in log and "SQL:" not in log
        for line in log.splitlines():
            json.loads(line)


# -- the OpenAPI document and the documentation pages ------------------------------------------


@pytest.fixture(scope="module")
def document(registry: RegistryServer) -> dict[str, Any]:
    spec: dict[str, Any] = httpx.get(registry.url + "/openapi.json").json()
    return spec


def test_every_operation_declares_its_statuses_and_the_bearer_scheme(
    document: dict[str, Any],
) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "422" not in statuses, (method, path)
            if path.startswith("/v1/"):
                assert operation["security"] == [{"bearer": []}], (method, path)
                assert {"401", "429", "503"} <= statuses, (method, path)
                for status in statuses - {"200", "201", "204", "304"}:
                    schema = operation["responses"][status]["content"]["application/json"]
                    assert schema["schema"]["$ref"].endswith("/ErrorBody"), (method, path)
                retry = operation["responses"]["429"]["headers"]["Retry-After"]
                assert retry["required"] is True
            for status in ("204", "304"):
                if status in statuses:
                    assert "content" not in operation["responses"][status], (method, path)
            for parameter in operation.get("parameters", []):
                assert "anyOf" not in parameter["schema"], (method, path, parameter["name"])
    put_model = document["paths"]["/v1/products/{product}/models/{tag}"]["put"]
    assert {"400", "409", "412", "413"} <= set(put_model["responses"])
    assert put_model["requestBody"]["content"]["application/json"]["examples"]
    assert put_model["parameters"][0]["examples"]


def test_documentation_pages_load_their_assets_from_the_server(registry: RegistryServer) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(registry.url + page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/"), (page, asset)  # no CDN, no other host
            assert httpx.get(registry.url + asset).status_code == 200, asset
        assert "googleapis" not in html and "jsdelivr" not in html and "unpkg" not in html

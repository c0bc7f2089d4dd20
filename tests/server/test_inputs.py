"""No 5xx on any input, on SQLite and PostgreSQL: NUL characters, lone surrogates, overlong
values and non-finite numbers in every path parameter, query parameter, header and body field
are a 400 naming the field (or a 404/401 where no record or token can match), and the server's
log stays one JSON object per line, with no traceback and no request value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.harness.postgres import postgres_database, require_postgres_dsn
from tests.harness.registry import RegistryServer, running_registry
from tests.store import records as r

BAD_TEXT = {
    "nul": "a\x00b",
    "long": "a" * 65,
    "huge": "a" * 5000,
    "upper": "Not A Slug",
}
"""Values for path and query parameters (URL-encoded by httpx)."""

CANARY = "canary-value-7f3a"
"""Part of every bad value sent: the log must never hold it."""


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RegistryServer]:
    tmp = tmp_path_factory.mktemp(f"inputs-{request.param}")
    if request.param == "sqlite":
        with running_registry(tmp, f"sqlite:///{tmp / 'r.db'}") as srv:
            _seed(srv)
            yield srv
        return
    with postgres_database(require_postgres_dsn()) as url, running_registry(tmp, url) as srv:
        _seed(srv)
        yield srv


def _seed(server: RegistryServer) -> None:
    with _client(server) as client:
        client.put("/v1/products/shop", json=r.product("shop").to_wire()).raise_for_status()
        client.put(
            "/v1/products/shop/models/m", json=r.model("shop", "m").to_wire()
        ).raise_for_status()
        client.put(
            "/v1/products/shop/agents/a", json=r.agent("shop", "a", model="m").to_wire()
        ).raise_for_status()


def _client(server: RegistryServer) -> httpx.Client:
    auth = {"Authorization": f"Bearer {server.admin_token}"}
    return httpx.Client(base_url=server.url, headers=auth, timeout=30)


PATHS = [
    ("GET", "/v1/products/{x}"),
    ("DELETE", "/v1/products/{x}"),
    ("GET", "/v1/products/{x}/models"),
    ("GET", "/v1/products/shop/models/{x}"),
    ("DELETE", "/v1/products/shop/models/{x}"),
    ("GET", "/v1/products/{x}/agents/a"),
    ("DELETE", "/v1/products/{x}/agents/a"),
    ("GET", "/v1/products/shop/agents/a/resolved/{x}"),
    ("GET", "/v1/products/shop/agents/{x}/resolved/prd"),
    ("GET", "/v1/products/{x}/history"),
    ("DELETE", "/v1/tokens/{x}"),
]


def _error(answer: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_bad_path_and_query_values_are_400_naming_the_parameter(server: RegistryServer) -> None:
    with _client(server) as client:
        for method, template in PATHS:
            for name, value in BAD_TEXT.items():
                answer = client.request(method, template.format(x=quote(value + CANARY, safe="")))
                assert answer.status_code == 400, (method, template, name, answer.text)
                fields = [f["path"] for f in _error(answer)["fields"]]
                assert fields and all(f.startswith("path.") for f in fields), fields
        for query in ("product", "tag"):
            for name, value in BAD_TEXT.items():
                answer = client.get("/v1/history", params={query: value})
                assert answer.status_code == 400, (query, name, answer.text)
                assert _error(answer)["fields"][0]["path"] == f"query.{query}"
        for limit in ("-1", "1001", "NaN", "1e3", "\x00"):
            answer = client.get("/v1/history", params={"limit": limit})
            assert answer.status_code == 400, limit
        bad_kind = client.get("/v1/history", params={"kind": "models\x00"})
        assert bad_kind.status_code == 400


def test_bad_headers_are_400_or_ignored_never_5xx(server: RegistryServer) -> None:
    body = r.product("shop").to_wire()
    with _client(server) as client:
        for header, value, status in [
            ("If-Match", '"1"x', 400),
            ("If-Match", '"' + "9" * 40 + '"', 400),
            ("If-None-Match", "W/1", 400),
            ("Idempotency-Key", "k" * 201, 400),
            ("Idempotency-Key", "key with spaces", 400),
            ("X-Llmreg-Actor", "a" * 201, 400),
            ("X-Llmreg-Actor", "é x" * 10, 200),  # not printable ASCII: recorded as "admin"
        ]:
            raw = value.encode("latin-1")  # as a client may send it
            answer = client.put("/v1/products/shop", json=body, headers=[(header.encode(), raw)])
            assert answer.status_code == status, (header, answer.text)
        for value in ("x" * 2000, "\xff" * 10):
            answer = client.get(
                "/v1/products/shop", headers=[(b"If-None-Match", value.encode("latin-1"))]
            )
            assert answer.status_code in (200, 400), value


def _bodies() -> Iterator[tuple[str, str, str, bytes]]:
    """(what, path, field path the 400 must name, raw JSON body)."""
    model = r.model("shop", "m").to_wire()
    agent = r.agent("shop", "a", model="m").to_wire()

    def raw(value: Any) -> bytes:
        return json.dumps(value).encode()

    for field in ("name", "description", "model"):
        for what, value in (("nul", "x\x00" + CANARY), ("surrogate", "x\ud800" + CANARY)):
            yield (
                f"model {field} {what}",
                "/v1/products/shop/models/m",
                field,
                raw({**model, field: value}),
            )
    yield (
        "agent stop sequence surrogate",
        "/v1/products/shop/agents/a",
        "modelConfig.stopSequences[1]",
        raw({**agent, "modelConfig": {"stopSequences": ["ok", "\udfff" + CANARY]}}),
    )
    yield (
        "agent tool schema key nul",
        "/v1/products/shop/agents/a",
        "tools[0].parameters.properties.k\\u0000",
        raw(
            {
                **agent,
                "tools": [
                    {
                        "name": "t",
                        "parameters": {"type": "object", "properties": {"k\x00": {}}},
                    }
                ],
            }
        ),
    )
    yield (
        "temperature NaN",
        "/v1/products/shop/models/m",
        "",
        raw(model).replace(b'"provider"', b'"temperature": NaN, "provider"'),
    )
    yield (
        "maxTokens Infinity",
        "/v1/products/shop/models/m",
        "",
        raw(model).replace(b'"provider"', b'"maxTokens": Infinity, "provider"'),
    )
    yield (
        "huge exponent",
        "/v1/products/shop/models/m",
        "temperature",
        raw(model).replace(b'"provider"', b'"temperature": 1e999, "provider"'),
    )
    yield ("not UTF-8", "/v1/products/shop/models/m", "", b'{"name": "\xff\xfe"}')
    yield ("deep nesting", "/v1/products/shop/agents/a", "", b"[" * 100_000 + b"]" * 100_000)
    yield (
        "long owner",
        "/v1/products/shop",
        "owner",
        raw({**r.product("shop").to_wire(), "owner": "u" * 1001}),
    )
    for what, token in (
        ("name nul", {"name": "a\x00" + CANARY, "scope": "read", "product": "shop"}),
        ("name long", {"name": "n" * 201, "scope": "read", "product": "shop"}),
        ("product long", {"name": "n", "scope": "read", "product": "p" * 65}),
        ("admin with product", {"name": "n", "scope": "admin", "product": "shop"}),
        ("read without product", {"name": "n", "scope": "read"}),
    ):
        yield f"token {what}", "/v1/tokens", "*", raw(token)


@pytest.mark.parametrize("case", list(_bodies()), ids=lambda c: c[0])
def test_bad_bodies_are_400_naming_the_field(
    server: RegistryServer, case: tuple[str, str, str, bytes]
) -> None:
    what, path, field, content = case
    method = "POST" if path == "/v1/tokens" else "PUT"
    with _client(server) as client:
        answer = client.request(
            method, path, content=content, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 400, (what, answer.status_code, answer.text)
    error = _error(answer)
    assert error["code"] == "validation_failed"
    paths = [f["path"] for f in error["fields"]]
    if field != "*":
        assert field in paths, (what, paths)
    assert CANARY not in answer.text or "\\u0000" in answer.text or "\\ud" in answer.text


def test_integral_numbers_are_integers(server: RegistryServer) -> None:
    model = r.model("shop", "ints").to_wire()
    content = json.dumps(model).replace('"provider"', '"maxTokens": 1.0e3, "provider"')
    with _client(server) as client:
        answer = client.put(
            "/v1/products/shop/models/ints",
            content=content.encode(),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["record"]["maxTokens"] == 1000


def test_the_log_is_json_lines_without_tracebacks_or_request_values(
    server: RegistryServer,
) -> None:
    with _client(server) as client:  # one more bad request of each kind, then read the log
        client.get(f"/v1/products/a%00{CANARY}")
        client.put("/v1/products/shop/models/m", content=b'{"name": NaN}')
    lines = server.log_text().splitlines()
    assert any('"event":"request"' in line for line in lines)
    assert any('"logger":"uvicorn.error"' in line for line in lines)  # uvicorn's start-up lines
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert isinstance(entry, dict) and {"ts", "level", "event"} <= set(entry), line
        assert entry.get("status", 0) < 500, line
    text = "\n".join(lines)
    assert "Traceback" not in text and "[parameters" not in text and "secret_hash" not in text
    assert CANARY not in text

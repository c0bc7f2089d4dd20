"""Schemathesis against a real ``llmreg serve`` on SQLite and on PostgreSQL: every operation of
the OpenAPI document, with its examples, coverage cases (boundary values, NUL bytes, missing and
malformed parameters) and fuzzed requests, bounded in count (``MAX_EXAMPLES`` per operation and
phase) and time (the pytest timeout).

Every built-in check runs: no 5xx, every status and content type declared, every body and
header as declared, requests that break the schema refused, authentication never ignored,
unsupported methods answered 405. One check is narrowed, not dropped: a request that follows the
schema may still break a rule that JSON Schema cannot state (the body must match its URL, env
slugs must be the product's, an agent's model must exist, names must be unique, ...); such a
400 is accepted only when every field it names is one of ``RULES_BEYOND_THE_SCHEMA``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.harness.postgres import postgres_database, require_postgres_dsn
from tests.harness.registry import RegistryServer, running_registry
from tests.store import records as r

MAX_EXAMPLES = 12
ADMIN = "admin-test-token"

RULES_BEYOND_THE_SCHEMA = [
    re.compile(p)
    for p in (
        r"^(product|tag)$",  # the body names its URL's product and tag; the product exists
        r"^envs$",  # env slugs are unique
        r"^envs\[\d+\]\.(slug|apiKey|baseUrl|nextPublicKey)$",  # the product's envs; key rules
        r"^model$",  # an agent's model exists in the product
        r"^tools$",  # tool names are unique
        r"^tools\[\d+\]\.parameters(\..*)?$",  # a valid JSON Schema (its own meta-schema)
    )
]


def _server(tmp: Path, db_url: str) -> Iterator[RegistryServer]:
    with running_registry(tmp, db_url, admin_token=ADMIN) as server:
        _seed(server)
        yield server


def _seed(server: RegistryServer) -> None:
    """The records the document's examples name: product shop (dev, prd), model
    claude-sonnet, agent customer-support."""
    auth = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
        client.put("/v1/products/shop", json=r.product("shop").to_wire()).raise_for_status()
        model = r.model("shop", "claude-sonnet")
        client.put(
            "/v1/products/shop/models/claude-sonnet", json=model.to_wire()
        ).raise_for_status()
        agent = r.agent("shop", "customer-support", model="claude-sonnet")
        client.put(
            "/v1/products/shop/agents/customer-support", json=agent.to_wire()
        ).raise_for_status()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    if request.param == "sqlite":
        yield from _server(tmp, f"sqlite:///{tmp / 'registry.db'}")
        return
    with postgres_database(require_postgres_dsn()) as url:
        yield from _server(tmp, url)


def _document() -> dict[str, Any]:
    """The server's OpenAPI document, built in-process (the same code ``/openapi.json`` runs);
    the tests send their requests to the real servers of the ``api`` fixture."""
    from llmreg.server import create_app

    with tempfile.TemporaryDirectory(prefix="llmreg-openapi-") as tmp:
        app = create_app(f"sqlite:///{tmp}/registry.db", admin_token=ADMIN)
        document = app.openapi()
        app.state.registry.store.close()
    return document


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261125,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "request-timeout": 30,
        "auth": {"openapi": {"bearer": {"bearer": ADMIN}}},
    }
)


@schemathesis.check
def positive_data_rejected_only_by_rules_beyond_the_schema(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """A schema-valid request may get 400 only for the rules JSON Schema cannot state."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    error = response.json()["error"]
    if error["code"] == "bad_precondition":  # If-Match and If-None-Match together
        return None
    paths = [f["path"] for f in error.get("fields", [])]
    sent = response.request.headers
    explained = [
        any(rule.match(p) for rule in RULES_BEYOND_THE_SCHEMA) or _not_as_declared(case, sent, p)
        for p in paths
    ]
    if error["code"] == "validation_failed" and paths and all(explained):
        return None
    raise AssertionError(f"schema-valid request refused: {error}")


def _not_as_declared(case: Any, sent: Any, path: str) -> bool:
    """Whether the header ``path`` (``header.<name>``) that was sent breaks its declared
    pattern: schemathesis' coverage phase sends ``If-Match: 0`` and ``If-None-Match: 0`` for
    the patterns ``^(\\*|(W/)?"[0-9]{1,18}")$`` and ``^\\*$`` as if they matched."""
    location, _, name = path.partition(".")
    if location != "header":
        return False
    operation = DOCUMENT["paths"][case.operation.path][case.method.lower()]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter["name"] == name:
            pattern = parameter.get("schema", {}).get("pattern")
            value = sent.get(name)
            return pattern is not None and value is not None and not re.search(pattern, str(value))
    return False


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.mark.timeout(900)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_api_conforms_to_its_openapi_document(case: Any, api: RegistryServer) -> None:
    case.call_and_validate(
        base_url=api.url,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_rejected_only_by_rules_beyond_the_schema],
    )

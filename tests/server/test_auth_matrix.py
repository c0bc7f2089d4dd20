"""Every endpoint x {no token, wrong product, read-only, write, admin} -> the expected status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.harness.registry import RegistryServer
from tests.store import records as r

from .conftest import Fixture

PUBLIC, READ, WRITE, ADMIN, ANY = "public", "read", "write", "admin", "any-token"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {a} is product a
    needs: str
    ok: int  # the status an allowed caller gets (the requests change nothing lasting)
    body: str | None = None  # which body: product | model | agent | token


ENDPOINTS = [
    Endpoint("GET", "/healthz", PUBLIC, 200),
    Endpoint("GET", "/readyz", PUBLIC, 200),
    Endpoint("GET", "/openapi.json", PUBLIC, 200),
    Endpoint("GET", "/v1/products", ANY, 200),
    Endpoint("GET", "/v1/products/{a}", READ, 200),
    Endpoint("PUT", "/v1/products/{a}", WRITE, 200, "product"),
    Endpoint("DELETE", "/v1/products/{a}", WRITE, 409),  # it still has records
    Endpoint("GET", "/v1/products/{a}/models", READ, 200),
    Endpoint("GET", "/v1/products/{a}/models/claude", READ, 200),
    Endpoint("PUT", "/v1/products/{a}/models/claude", WRITE, 200, "model"),
    Endpoint("DELETE", "/v1/products/{a}/models/claude", WRITE, 409),  # used by an agent
    Endpoint("GET", "/v1/products/{a}/agents", READ, 200),
    Endpoint("GET", "/v1/products/{a}/agents/support", READ, 200),
    Endpoint("PUT", "/v1/products/{a}/agents/support", WRITE, 200, "agent"),
    Endpoint("DELETE", "/v1/products/{a}/agents/ghost", WRITE, 404),
    Endpoint("GET", "/v1/products/{a}/agents/support/resolved/prd", READ, 200),
    Endpoint("GET", "/v1/products/{a}/history", READ, 200),
    Endpoint("GET", "/v1/history", ADMIN, 200),
    Endpoint("GET", "/v1/tokens", ADMIN, 200),
    Endpoint("POST", "/v1/tokens", ADMIN, 201, "token"),
    Endpoint("DELETE", "/v1/tokens/no-such-token", ADMIN, 404),
]

CALLERS = ["none", "wrong-product", "read", "write", "admin"]


def expected(endpoint: Endpoint, caller: str) -> int:
    if endpoint.needs == PUBLIC:
        return endpoint.ok
    if caller == "none":
        return 401
    allowed = {
        ANY: True,
        READ: caller in ("read", "write", "admin"),
        WRITE: caller in ("write", "admin"),
        ADMIN: caller == "admin",
    }[endpoint.needs]
    return endpoint.ok if allowed else 403


@pytest.fixture(scope="module")
def bodies(registry: RegistryServer, world: Fixture) -> dict[str, Any]:
    with httpx.Client(base_url=registry.url, timeout=10) as client:
        auth = {"Authorization": f"Bearer {registry.admin_token}"}
        model = client.get(f"/v1/products/{world.a}/models/claude", headers=auth).json()
        agent = client.get(f"/v1/products/{world.a}/agents/support", headers=auth).json()
    return {
        "product": r.product(world.a).to_wire(),
        "model": model["record"],  # identical content: a PUT writes no new version
        "agent": agent["record"],
        "token": {"name": "matrix", "scope": "read", "product": world.a},
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_auth_matrix(
    registry: RegistryServer,
    world: Fixture,
    bodies: dict[str, Any],
    endpoint: Endpoint,
    caller: str,
) -> None:
    token = {
        "none": None,
        "wrong-product": world.tokens["read-b"],
        "read": world.tokens["read-a"],
        "write": world.tokens["write-a"],
        "admin": world.tokens["admin"],
    }[caller]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = endpoint.path.format(a=world.a)
    body = bodies[endpoint.body] if endpoint.body else None
    answer = httpx.request(
        endpoint.method, registry.url + path, headers=headers, json=body, timeout=10
    )
    assert answer.status_code == expected(endpoint, caller), answer.text
    if answer.status_code == 401:
        assert answer.headers["www-authenticate"].startswith("Bearer")
    if answer.status_code >= 400:
        assert answer.json()["error"]["code"]


def test_matrix_writes_changed_nothing(registry: RegistryServer, world: Fixture) -> None:
    """The allowed PUTs sent identical content: versions stay 1, nothing was deleted."""
    with httpx.Client(base_url=registry.url, timeout=10) as client:
        auth = {"Authorization": f"Bearer {registry.admin_token}"}
        for path in ("", "/models/claude", "/agents/support"):
            got = client.get(f"/v1/products/{world.a}{path}", headers=auth)
            assert got.status_code == 200
            assert got.json()["version"] == 1


def test_wrong_product_list_shows_only_own_product(
    registry: RegistryServer, world: Fixture
) -> None:
    answer = httpx.get(
        registry.url + "/v1/products",
        headers={"Authorization": f"Bearer {world.tokens['read-b']}"},
        timeout=10,
    )
    assert [p["record"]["tag"] for p in answer.json()] == [world.b]


def test_unknown_and_revoked_tokens_are_401(registry: RegistryServer, world: Fixture) -> None:
    url = f"{registry.url}/v1/products/{world.a}"
    for bad in ("nope", "llmreg_0000_xxxx", f"{registry.admin_token}x", "Basic abc"):
        answer = httpx.get(url, headers={"Authorization": f"Bearer {bad}"}, timeout=10)
        assert answer.status_code == 401, bad
    with httpx.Client(base_url=registry.url, timeout=10) as client:
        client.headers["Authorization"] = f"Bearer {registry.admin_token}"
        created = client.post(
            "/v1/tokens", json={"name": "short-lived", "scope": "read", "product": world.a}
        ).json()
        secret = created["secret"]
        assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert client.delete(f"/v1/tokens/{created['token']['id']}").status_code == 204
    assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401

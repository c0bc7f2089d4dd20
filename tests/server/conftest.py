"""A real ``llmreg serve`` over SQLite for the server tests, with a product and its tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.harness.registry import RegistryServer, running_registry
from tests.store import records as r


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    tmp = tmp_path_factory.mktemp("registry")
    with running_registry(tmp, f"sqlite:///{tmp / 'registry.db'}") as server:
        yield server


def admin_client(server: RegistryServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {server.admin_token}"}, timeout=10
    )


@dataclass
class Fixture:
    """Product ``a`` (model ``claude``, agent ``support``), product ``b``, and tokens."""

    a: str
    b: str
    tokens: dict[str, str]  # read-a, write-a, read-b, admin


def make_token(client: httpx.Client, name: str, scope: str, product: str | None) -> str:
    body = {"name": name, "scope": scope, **({"product": product} if product else {})}
    answer = client.post("/v1/tokens", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["secret"])


@pytest.fixture(scope="module")
def world(registry: RegistryServer) -> Fixture:
    a, b = r.unique("a"), r.unique("b")
    with admin_client(registry) as client:
        for tag in (a, b):
            put = client.put(f"/v1/products/{tag}", json=r.product(tag).to_wire())
            assert put.status_code == 200, put.text
        model = r.model(a, "claude", temperature=0.5)
        assert client.put(f"/v1/products/{a}/models/claude", json=model.to_wire()).is_success
        agent = r.agent(
            a,
            "support",
            modelConfig={"maxTokens": 500},
            envs=[{"slug": "prd", "modelConfig": {"temperature": 0.1}}],
        )
        assert client.put(f"/v1/products/{a}/agents/support", json=agent.to_wire()).is_success
        tokens = {
            "read-a": make_token(client, "reader-a", "read", a),
            "write-a": make_token(client, "writer-a", "write", a),
            "read-b": make_token(client, "reader-b", "read", b),
            "admin": registry.admin_token,
        }
    return Fixture(a, b, tokens)

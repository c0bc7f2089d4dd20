"""The REST API's behaviour: ETags and preconditions, JSON errors with field paths, the
resolved endpoint, OpenAPI, limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.harness.registry import RegistryServer
from tests.store import records as r

from .conftest import Fixture, admin_client


@pytest.fixture
def client(registry: RegistryServer) -> Iterator[httpx.Client]:
    with admin_client(registry) as c:
        yield c


def _error(answer: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = answer.json()["error"]
    return error


# -- ETag / If-Match ----------------------------------------------------------------------------


def test_etags_and_conditional_updates(client: httpx.Client, world: Fixture) -> None:
    path = f"/v1/products/{world.a}/models/etag"
    model = r.model(world.a, "etag")
    created = client.put(path, json=model.to_wire(), headers={"If-None-Match": "*"})
    assert created.status_code == 200
    assert created.headers["etag"] == '"1"'

    got = client.get(path)
    assert got.headers["etag"] == '"1"'
    assert client.get(path, headers={"If-None-Match": '"1"'}).status_code == 304

    changed = {**model.to_wire(), "name": "Changed"}
    updated = client.put(path, json=changed, headers={"If-Match": '"1"'})
    assert (updated.status_code, updated.headers["etag"]) == (200, '"2"')

    stale = client.put(path, json={**changed, "name": "Lost"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert _error(stale)["code"] == "precondition_failed"
    assert f"model '{world.a}/etag'" in _error(stale)["message"]
    assert client.get(path).json()["record"]["name"] == "Changed"

    again = client.put(path, json={**changed, "name": "X"}, headers={"If-None-Match": "*"})
    assert (again.status_code, _error(again)["code"]) == (409, "already_exists")

    bad = client.put(path, json=changed, headers={"If-Match": "version-2"})
    assert bad.status_code == 400

    assert client.delete(path, headers={"If-Match": '"1"'}).status_code == 412
    assert client.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    assert client.get(path).status_code == 404
    gone = client.put(path, json=changed, headers={"If-Match": "*"})
    assert gone.status_code == 412


def test_idempotency_key_replays_a_write(client: httpx.Client, world: Fixture) -> None:
    path = f"/v1/products/{world.a}/models/idem"
    model = r.model(world.a, "idem")
    assert client.put(path, json=model.to_wire(), headers={"If-None-Match": "*"}).is_success
    body = {**model.to_wire(), "temperature": 0.2}
    headers = {"If-Match": '"1"', "Idempotency-Key": f"k-{world.a}-idem"}
    first = client.put(path, json=body, headers=headers)
    retry = client.put(path, json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert first.json()["version"] == retry.json()["version"] == 2
    reused = client.put(path, json={**body, "temperature": 1.0}, headers=headers)
    assert (reused.status_code, _error(reused)["code"]) == (409, "idempotency_key_reused")


def test_actor_header_is_recorded_for_admin_and_prefixed_for_tokens(
    registry: RegistryServer, world: Fixture
) -> None:
    path = f"{registry.url}/v1/products/{world.a}/models/actor"
    model = r.model(world.a, "actor").to_wire()
    httpx.put(
        path,
        json=model,
        headers={
            "Authorization": f"Bearer {registry.admin_token}",
            "X-Llmreg-Actor": "pulumi:proj/dev",
        },
    ).raise_for_status()
    by_token = httpx.put(
        path,
        json={**model, "name": "By token"},
        headers={"Authorization": f"Bearer {world.tokens['write-a']}", "X-Llmreg-Actor": "bob"},
    )
    by_token.raise_for_status()
    assert by_token.json()["updatedBy"] == "token:writer-a (bob)"
    history = httpx.get(
        f"{registry.url}/v1/products/{world.a}/history",
        params={"kind": "models", "tag": "actor"},
        headers={"Authorization": f"Bearer {world.tokens['read-a']}"},
    ).json()
    assert [h["actor"] for h in history] == ["token:writer-a (bob)", "pulumi:proj/dev"]


# -- 400 errors -------------------------------------------------------------------------------


def test_validation_errors_name_each_field(client: httpx.Client, world: Fixture) -> None:
    body: dict[str, Any] = r.model(world.a, "bad").to_wire()
    body.update(temperature=3, provider="acme")
    body["envs"][0]["slug"] = "Not A Slug"
    answer = client.put(f"/v1/products/{world.a}/models/bad", json=body)
    assert answer.status_code == 400
    error = _error(answer)
    assert error["code"] == "validation_failed"
    paths = {f["path"] for f in error["fields"]}
    assert {"temperature", "provider", "envs[0].slug"} <= paths, error
    assert all(f["message"] for f in error["fields"])


def test_plaintext_api_key_is_rejected_without_echoing_it(
    client: httpx.Client, world: Fixture
) -> None:
    secret = "sk-plaintext-" + r.unique("x")
    body: dict[str, Any] = r.model(world.a, "plain").to_wire()
    body["envs"][0]["apiKey"] = secret
    answer = client.put(f"/v1/products/{world.a}/models/plain", json=body)
    assert answer.status_code == 400
    assert "envs[0].apiKey" in [f["path"] for f in _error(answer)["fields"]]
    assert secret not in answer.text
    assert client.get(f"/v1/products/{world.a}/models/plain").status_code == 404


def test_referential_errors_name_the_field(client: httpx.Client, world: Fixture) -> None:
    agent = r.agent(world.a, "orphan", model="missing").to_wire()
    answer = client.put(f"/v1/products/{world.a}/agents/orphan", json=agent)
    assert answer.status_code == 400
    assert [f["path"] for f in _error(answer)["fields"]] == ["model"]


def test_body_must_match_the_url(client: httpx.Client, world: Fixture) -> None:
    body = r.model(world.a, "claude").to_wire()
    answer = client.put(f"/v1/products/{world.a}/models/other", json=body)
    assert answer.status_code == 400
    assert [f["path"] for f in _error(answer)["fields"]] == ["tag"]


@pytest.mark.parametrize(
    "content", [b"{not json", b"[]", b"", b'"text"'], ids=["malformed", "array", "empty", "str"]
)
def test_malformed_bodies_are_400(client: httpx.Client, world: Fixture, content: bytes) -> None:
    answer = client.put(
        f"/v1/products/{world.a}/models/claude",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert _error(answer)["code"] == "validation_failed"


def test_oversized_body_is_413(client: httpx.Client, world: Fixture) -> None:
    body = r.agent(world.a, "big").to_wire()
    body["systemPrompt"] = "x" * (2 * 1024 * 1024)
    answer = client.put(f"/v1/products/{world.a}/agents/big", json=body)
    assert answer.status_code == 413
    assert _error(answer)["code"] == "too_large"


def test_unknown_route_is_json_404(client: httpx.Client) -> None:
    answer = client.get("/v1/nothing-here")
    assert answer.status_code == 404
    assert _error(answer)["code"] == "not_found"


# -- resolved ---------------------------------------------------------------------------------


def test_resolved_config_has_the_sealed_key_and_merged_settings(
    client: httpx.Client, world: Fixture
) -> None:
    path = f"/v1/products/{world.a}/agents/support/resolved/prd"
    answer = client.get(path)
    assert answer.status_code == 200
    body = answer.json()
    model = client.get(f"/v1/products/{world.a}/models/claude").json()
    assert answer.headers["etag"] == f'"a1.m{model["version"]}"'
    assert body["product"] == world.a and body["env"] == "prd"
    assert body["agent"]["tag"] == "support"
    assert body["model"]["tag"] == "claude"
    prd = next(e for e in model["record"]["envs"] if e["slug"] == "prd")
    assert body["envConfig"]["sealedKey"] == prd["sealedKey"]
    assert body["envConfig"]["keyFingerprint"] == prd["keyFingerprint"]
    assert body["resolved"] == {
        "provider": "anthropic",
        "model": body["model"]["model"],
        "temperature": 0.1,
        "maxTokens": 500,
        "provenance": {"temperature": "env", "maxTokens": "agent"},
    }

    dev = client.get(f"/v1/products/{world.a}/agents/support/resolved/dev").json()
    assert dev["resolved"]["temperature"] == 0.5
    assert dev["resolved"]["provenance"]["temperature"] == "model"

    assert client.get(path, headers={"If-None-Match": answer.headers["etag"]}).status_code == 304
    missing = client.get(f"/v1/products/{world.a}/agents/support/resolved/qa")
    assert missing.status_code == 404
    assert "environment 'qa'" in _error(missing)["message"]


# -- OpenAPI, health, logs ----------------------------------------------------------------------


def test_openapi_is_published_with_the_domain_models(registry: RegistryServer) -> None:
    spec = httpx.get(registry.url + "/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/v1/products/{tag}",
        "/v1/products/{product}/models/{tag}",
        "/v1/products/{product}/agents/{tag}",
        "/v1/products/{product}/agents/{agent}/resolved/{env}",
        "/v1/products/{product}/history",
        "/v1/tokens",
    ):
        assert path in paths
    schemas = spec["components"]["schemas"]
    assert any(name.startswith("LlmModelRecord") for name in schemas)
    assert any(name.startswith("SealedKey") for name in schemas)
    model_put = paths["/v1/products/{product}/models/{tag}"]["put"]
    ref = model_put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "LlmModelRecord" in ref


def test_health_and_request_ids(registry: RegistryServer) -> None:
    assert httpx.get(registry.url + "/healthz").json() == {"status": "ok"}
    answer = httpx.get(registry.url + "/readyz", headers={"X-Request-ID": "trace-42"})
    assert answer.headers["x-request-id"] == "trace-42"
    assert '"requestId":"trace-42"' in registry.log_text_with('"requestId":"trace-42"')

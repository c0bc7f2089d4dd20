"""What the pages show, through the bearer access scripts use: the product page follows every
write at once (its view is reused only while the product's audit history is unchanged), and
the history filters."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.harness.postgres import postgres_database, require_postgres_dsn
from tests.harness.registry import RegistryServer, running_registry
from tests.server.conftest import Fixture, admin_client
from tests.store import records as r


def test_pages_follow_every_write(registry: RegistryServer, world: Fixture) -> None:
    reader = {"Authorization": f"Bearer {world.tokens['read-a']}"}
    product = f"/console/products/{world.a}"
    with (
        httpx.Client(base_url=registry.url, headers=reader, timeout=30) as client,
        admin_client(registry) as admin,
    ):
        before = client.get(product).text
        assert "fresh-agent" not in before
        count = client.get("/console/").text
        agent = r.agent(world.a, "fresh-agent", tools=[{"name": "fresh_tool"}])
        admin.put(f"{'/v1/products/'}{world.a}/agents/fresh-agent", json=agent.to_wire())
        after = client.get(product).text
        assert "fresh-agent" in after and "fresh_tool" in after
        assert client.get("/console/").text != count  # the agents count moved
        users = client.get(f"{product}/models/claude").text
        assert "fresh-agent" in users
        renamed = r.agent(world.a, "fresh-agent", name="Renamed Fresh")
        admin.put(f"/v1/products/{world.a}/agents/fresh-agent", json=renamed.to_wire())
        assert "Renamed Fresh" in client.get(product).text
        admin.delete(f"/v1/products/{world.a}/agents/fresh-agent").raise_for_status()
        gone = client.get(product).text
        assert "fresh-agent" not in gone
        assert "fresh-agent" not in client.get(f"{product}/models/claude").text


def test_history_filters(registry: RegistryServer, world: Fixture) -> None:
    admin_token = {"Authorization": f"Bearer {world.tokens['admin']}"}
    with httpx.Client(base_url=registry.url, headers=admin_token, timeout=30) as client:
        everything = client.get("/console/history").text
        assert world.a in everything and world.b in everything
        only_b = client.get("/console/history", params={"product": world.b}).text
        assert f"product {world.b}" in only_b and f"{world.a}/" not in only_b
        agents = client.get(
            "/console/history", params={"product": world.a, "kind": "agents", "tag": "support"}
        ).text
        assert f"agent {world.a}/support" in agents and f"model {world.a}/" not in agents
        nobody = client.get("/console/history", params={"actor": "no-such-actor-anywhere"})
        assert nobody.status_code == 200 and "No entries match." in nobody.text
        limited = client.get("/console/history", params={"limit": "1"}).text
        assert limited.count("<tr>") == 2  # the header row and one entry


def test_more_writes_than_the_window_and_product_changes_show(
    registry: RegistryServer, world: Fixture
) -> None:
    reader = {"Authorization": f"Bearer {world.tokens['read-a']}"}
    product = f"/console/products/{world.a}"
    tags = [f"bulk-{i:02d}" for i in range(60)]  # more writes than views.AUDIT_WINDOW
    with (
        httpx.Client(base_url=registry.url, headers=reader, timeout=30) as client,
        admin_client(registry) as admin,
    ):
        assert "bulk-00" not in client.get(product).text
        for tag in reversed(tags):
            agent = r.agent(world.a, tag)
            admin.put(f"/v1/products/{world.a}/agents/{tag}", json=agent.to_wire())
        page = client.get(product).text
        positions = [page.index(f'agents/{tag}"') for tag in tags]
        assert positions == sorted(positions), "rows in tag order"
        admin.put(
            f"/v1/products/{world.a}", json=r.product(world.a, name="Renamed Product").to_wire()
        ).raise_for_status()
        assert "Renamed Product" in client.get(product).text
        for tag in tags[:3]:
            admin.delete(f"/v1/products/{world.a}/agents/{tag}").raise_for_status()
        page = client.get(product).text
        assert "bulk-00" not in page and "bulk-03" in page
        for tag in tags[3:]:
            admin.delete(f"/v1/products/{world.a}/agents/{tag}").raise_for_status()


@pytest.mark.postgres
def test_every_page_on_postgresql(tmp_path: Path) -> None:
    """The same pages over PostgreSQL, following a write, and hostile paths never a 5xx."""
    with postgres_database(require_postgres_dsn()) as url, running_registry(tmp_path, url) as srv:
        auth = {"Authorization": f"Bearer {srv.admin_token}"}
        with httpx.Client(base_url=srv.url, headers=auth, timeout=30) as client:
            client.put("/v1/products/pg", json=r.product("pg").to_wire()).raise_for_status()
            model = r.model("pg", "m", temperature=0.4)
            client.put("/v1/products/pg/models/m", json=model.to_wire()).raise_for_status()
            agent = r.agent("pg", "a", model="m", modelConfig={"maxTokens": 9})
            client.put("/v1/products/pg/agents/a", json=agent.to_wire()).raise_for_status()
            for path in (
                "/console/",
                "/console/products/pg",
                "/console/products/pg/agents/a",
                "/console/products/pg/models/m",
                "/console/history?product=pg&kind=agents&tag=a&actor=admin",
            ):
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.text[:300])
            page = client.get("/console/products/pg/agents/a").text
            assert 'data-setting="maxTokens"><span class="value">9</span>' in page
            agent = r.agent("pg", "b", model="m")
            client.put("/v1/products/pg/agents/b", json=agent.to_wire()).raise_for_status()
            assert "agents/b" in client.get("/console/products/pg").text
            for value in ("a%00b", "%ED%A0%80", "x" * 300, "..", "%FF"):
                for path in (f"/console/products/{value}", f"/console/history?tag={value}"):
                    assert client.get(path).status_code < 500, path


def test_an_agents_fallback_chain_and_limits_show_per_env(
    registry: RegistryServer, world: Fixture
) -> None:
    reader = {"Authorization": f"Bearer {world.tokens['read-a']}"}
    with (
        httpx.Client(base_url=registry.url, headers=reader, timeout=30) as client,
        admin_client(registry) as admin,
    ):
        gpt = r.model(world.a, "gpt", envs=("prd",), provider="openai", model="gpt-4o")
        admin.put(f"/v1/products/{world.a}/models/gpt", json=gpt.to_wire()).raise_for_status()
        agent = r.agent(world.a, "chained", fallbacks=["gpt"], termination={"maxTokens": 900})
        admin.put(f"/v1/products/{world.a}/agents/chained", json=agent.to_wire())
        page = client.get(f"/console/products/{world.a}/agents/chained").text
        assert "fallbacks: " in page and f"/console/products/{world.a}/models/gpt" in page
        assert "maxIterations 10" in page and "maxTokens 900" in page
        prd = page.split('data-env="prd" data-setting="fallbacks">')[1].split("</td>")[0]
        assert "gpt (openai gpt-4o)" in prd
        dev = page.split('data-env="dev" data-setting="fallbacks">')[1].split("</td>")[0]
        assert "left out (no active config): gpt" in dev

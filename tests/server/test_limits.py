"""The rate limit: fixed 10-second windows counted in the registry database, so every server
(and worker) on one database shares them; per token, and per client address for requests
without a valid token. Probes (/healthz, /readyz, /metrics) are never limited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from llmreg.server.limits import WINDOW_SECONDS, RateLimiter
from tests.harness.registry import RegistryServer, running_registry

LIMIT = {"LLMREG_RATE_LIMIT": "60"}  # ceil(60 / 6) = 10 requests per 10-second window
PER_WINDOW = 10


def _start_of_a_window() -> None:
    """Sleep until just after a window starts, so a short burst falls in one window."""
    time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 0.05)


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[RegistryServer]]:
    """Two `llmreg serve` processes on one SQLite database, with the rate limit on."""
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    with ExitStack() as stack:
        yield [
            stack.enter_context(running_registry(tmp_path / name, db, env=LIMIT))
            for name in ("one", "two")
        ]


def test_servers_of_one_database_share_each_tokens_limit(
    two_servers: list[RegistryServer],
) -> None:
    auth = {"Authorization": f"Bearer {two_servers[0].admin_token}"}
    _start_of_a_window()
    statuses = [
        httpx.get(two_servers[i % 2].url + "/v1/products", headers=auth).status_code
        for i in range(PER_WINDOW + 4)
    ]
    assert statuses[:PER_WINDOW] == [200] * PER_WINDOW, statuses
    assert statuses[PER_WINDOW:] == [429] * 4, statuses  # on both servers: one shared count
    limited = httpx.get(two_servers[1].url + "/v1/products", headers=auth)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= WINDOW_SECONDS
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "this token" in limited.json()["error"]["message"]
    for server in two_servers:  # probes are never limited
        for path in ("/healthz", "/readyz", "/metrics"):
            assert httpx.get(server.url + path).status_code == 200, path
    refusals = httpx.get(two_servers[1].url + "/metrics").text
    assert 'llmreg_rate_limited_total{scope="token"}' in refusals


def test_requests_without_a_valid_token_are_limited_per_address(tmp_path: Path) -> None:
    with running_registry(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", env=LIMIT) as server:
        _start_of_a_window()
        anonymous = [httpx.get(server.url + "/openapi.json").status_code for _ in range(6)]
        bad_token = [
            httpx.get(
                server.url + "/v1/products", headers={"Authorization": "Bearer guess"}
            ).status_code
            for _ in range(6)
        ]
        assert anonymous == [200] * 6
        assert bad_token == [401] * 4 + [429] * 2  # the same address: 10 in the window
        refused = httpx.get(server.url + "/v1/products")
        assert refused.status_code == 429
        assert "this address" in refused.json()["error"]["message"]
        assert int(refused.headers["retry-after"]) >= 1
        # A valid token has its own count.
        ok = httpx.get(
            server.url + "/v1/products",
            headers={"Authorization": f"Bearer {server.admin_token}"},
        )
        assert ok.status_code == 200
        assert httpx.get(server.url + "/healthz").status_code == 200


class _Counter:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.forgotten: list[int] = []

    def count_request(self, key: str, window_start: int) -> int:
        self.counts[(key, window_start)] = self.counts.get((key, window_start), 0) + 1
        return self.counts[(key, window_start)]

    def forget_requests(self, before: int) -> int:
        self.forgotten.append(before)
        return 0


def test_a_key_over_its_limit_is_refused_without_a_query_until_its_window_ends() -> None:
    now = [1000.0]
    counter = _Counter()
    limiter = RateLimiter(12, counter, clock=lambda: now[0])  # 2 per window
    limiter.check("k", "token")
    limiter.check("k", "token")
    with pytest.raises(Exception, match="retry after 10 s"):
        limiter.check("k", "token")
    with pytest.raises(Exception, match="retry after"):
        limiter.check("k", "token")
    assert counter.counts[("k", 1000)] == 3  # the 4th request asked nobody
    now[0] = 1010.5
    limiter.check("k", "token")  # a new window
    assert counter.forgotten == [990, 1000]  # old windows' rows are deleted as time moves on

"""Fault tests: HttpStore through a proxy that answers 503/429/502/504, hangs past the
client's timeout, or drops the answer after the registry handled a write. The client either
succeeds within its retry budget with exactly one record (no duplicate or clobbering write), or
raises StoreUnavailable naming the registry."""

from __future__ import annotations

import time

import httpx
import pytest

from llmreg.errors import StoreUnavailable
from llmreg.store.base import Kind, TokenScope
from llmreg.store.http import HttpStore, RetryPolicy
from tests.harness.registry import RegistryServer
from tests.store import records as r

from .faultproxy import Schedule, actions, fault_proxy

FAST = RetryPolicy(attempts=8, total_seconds=20, backoff=0.01, backoff_max=0.05)
TIMEOUT = httpx.Timeout(0.5)


def _store(url: str, token: str, policy: RetryPolicy = FAST) -> HttpStore:
    return HttpStore(url, token, retry=policy, timeout=TIMEOUT)


def test_seeded_faults_every_write_lands_exactly_once(registry: RegistryServer) -> None:
    weights: dict[str, float] = {"pass": 5, "503": 1, "502": 1, "504": 1, "429": 1, "hang": 1}
    weights["drop"] = 2
    schedule = Schedule.seeded(seed=20261125, n=200, weights=weights)
    direct = HttpStore(registry.url, registry.admin_token)
    shop = r.unique("faults")
    direct.put(r.product(shop), expected_version=0, actor="test:faults")
    with fault_proxy(registry.url, schedule, hang_seconds=0.8) as proxy:
        store = _store(proxy.url, registry.admin_token)
        try:
            model = r.model(shop, "m", stopSequences=[])
            assert store.put(model, expected_version=0, actor="test:faults").version == 1
            for i in range(12):
                current = store.get(Kind.MODEL, shop, "m")
                record = current.record.model_copy(
                    update={"stop_sequences": [*current.record.stop_sequences, f"s{i}"]}  # type: ignore[union-attr,misc]
                )
                written = store.put(record, expected_version=current.version, actor="test:faults")
                assert written.version == current.version + 1
            listed = store.list(Kind.MODEL, shop)
        finally:
            store.close()
    seen = actions(schedule)
    assert {"503", "429", "hang", "drop"} <= set(seen), seen  # the faults really happened
    assert len(listed) == 1
    final = direct.get(Kind.MODEL, shop, "m")
    assert final.version == 13
    assert final.record.stop_sequences == [f"s{i}" for i in range(12)]  # type: ignore[union-attr]
    writes = direct.history(product=shop, kind=Kind.MODEL, tag="m")
    assert len(writes) == 13  # one audit entry per logical write: no retry wrote twice
    direct.close()


def test_write_whose_answer_is_lost_is_not_repeated(registry: RegistryServer) -> None:
    """The registry handles each first attempt but its answer is dropped: the retry (same
    Idempotency-Key, same stale If-Match) gets the first result, not a conflict or a 2nd write."""
    direct = HttpStore(registry.url, registry.admin_token)
    shop = r.unique("drop")
    direct.put(r.product(shop), expected_version=0, actor="test:drop")
    schedule = Schedule(["drop", "pass", "drop", "pass", "drop", "pass"])
    with fault_proxy(registry.url, schedule) as proxy:
        store = _store(proxy.url, registry.admin_token)
        try:
            model = r.model(shop, "m")
            assert store.put(model, expected_version=0, actor="test:drop").version == 1
            changed = model.model_copy(update={"name": "Changed"})
            assert store.put(changed, expected_version=1, actor="test:drop").version == 2
            again = changed.model_copy(update={"name": "Again"})
            assert store.put(again, expected_version=None, actor="test:drop").version == 3
        finally:
            store.close()
    assert actions(schedule) == ["drop", "pass"] * 3
    assert len(direct.history(product=shop, kind=Kind.MODEL)) == 3
    assert direct.get(Kind.MODEL, shop, "m").record.name == "Again"
    direct.close()


def test_retry_after_is_honoured(registry: RegistryServer) -> None:
    schedule = Schedule(["429", "pass"])
    with fault_proxy(registry.url, schedule, retry_after="1") as proxy:
        store = _store(proxy.url, registry.admin_token)
        try:
            started = time.monotonic()
            store.list(Kind.PRODUCT)
            elapsed = time.monotonic() - started
        finally:
            store.close()
    assert actions(schedule) == ["429", "pass"]
    assert 0.9 <= elapsed < 5, elapsed


@pytest.mark.parametrize("fault", ["503", "hang"])
def test_persistent_faults_raise_store_unavailable(registry: RegistryServer, fault: str) -> None:
    schedule = Schedule([], default=fault)
    policy = RetryPolicy(attempts=3, total_seconds=10, backoff=0.01, backoff_max=0.05)
    with fault_proxy(registry.url, schedule, hang_seconds=0.7) as proxy:
        store = _store(proxy.url, registry.admin_token, policy)
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as caught:
                store.get(Kind.PRODUCT, "anything", "anything")
            elapsed = time.monotonic() - started
        finally:
            store.close()
    message = str(caught.value)
    assert proxy.url in message
    assert "after 3 attempt(s)" in message
    assert ("HTTP 503" if fault == "503" else "timed out") in message
    assert len(schedule.seen) == 3
    assert elapsed < 10


def test_unreachable_registry_raises_store_unavailable() -> None:
    from tests.harness.registry import free_port

    url = f"http://127.0.0.1:{free_port()}"
    store = _store(url, "t", RetryPolicy(attempts=2, total_seconds=5, backoff=0.01))
    with pytest.raises(StoreUnavailable, match=r"did not answer GET .* after 2 attempt"):
        store.list(Kind.PRODUCT)
    store.close()


def test_total_time_budget_bounds_retries(registry: RegistryServer) -> None:
    schedule = Schedule([], default="hang")
    policy = RetryPolicy(attempts=100, total_seconds=1.5, backoff=0.01, backoff_max=0.05)
    with fault_proxy(registry.url, schedule, hang_seconds=0.7) as proxy:
        store = _store(proxy.url, registry.admin_token, policy)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.list(Kind.PRODUCT)
        elapsed = time.monotonic() - started
        store.close()
    assert elapsed < 3.5
    assert 2 <= len(schedule.seen) <= 5


def _tokens_named(registry: RegistryServer, name: str) -> int:
    direct = HttpStore(registry.url, registry.admin_token)
    return sum(1 for t in direct.list_tokens() if t.name == name)


def test_token_creation_is_never_sent_twice(registry: RegistryServer) -> None:
    """Creating a token is not idempotent: after a lost answer the client does not resend
    (a retry would mint a second token whose secret nobody saw); it says so instead."""
    name = r.unique("lost")
    schedule = Schedule(["drop"])
    with fault_proxy(registry.url, schedule) as proxy:
        store = _store(proxy.url, registry.admin_token)
        with pytest.raises(StoreUnavailable, match="not resent since it must not run twice"):
            store.create_token(name, TokenScope.ADMIN, None)
    assert [a for _, path, a in schedule.seen if path == "/v1/tokens"] == ["drop"]
    assert _tokens_named(registry, name) == 1  # the registry did create it, once


def test_token_creation_is_resent_after_failures_that_did_nothing(
    registry: RegistryServer,
) -> None:
    name = r.unique("resent")
    schedule = Schedule(["429", "503", "pass"])
    with fault_proxy(registry.url, schedule, retry_after="0") as proxy:
        store = _store(proxy.url, registry.admin_token)
        info, secret = store.create_token(name, TokenScope.ADMIN, None)
    assert info.name == name and secret.startswith("llmreg_")
    assert [a for _, _, a in schedule.seen] == ["429", "503", "pass"]
    assert _tokens_named(registry, name) == 1

    gateway = Schedule(["502"])
    with fault_proxy(registry.url, gateway) as proxy:
        store = _store(proxy.url, registry.admin_token)
        with pytest.raises(StoreUnavailable, match="HTTP 502"):
            store.create_token(r.unique("gw"), TokenScope.ADMIN, None)
    assert [a for _, _, a in gateway.seen] == ["502"]  # a gateway error may hide a write

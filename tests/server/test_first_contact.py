"""A registry that has never answered this process fails fast; one that has answered gets the
long retry budget (issue 18, item 7). Real sockets: a closed port, a listener that accepts and
never answers, and the fault proxy in front of a real registry."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from llmreg.errors import StoreUnavailable
from llmreg.store.base import Kind
from llmreg.store.http import HttpStore, RetryPolicy
from tests.harness.registry import RegistryServer, free_port

from .faultproxy import Schedule, actions, fault_proxy

DEFAULT_BUDGET = RetryPolicy()
"""The default policy: 60 s once the registry has answered, 5 s before."""
FAST_ENOUGH = 9.0
"""Seconds within which a never-answering registry must fail (5 s budget, slack for load)."""


@contextmanager
def silent_listener() -> Iterator[str]:
    """A TCP listener that accepts connections, reads nothing, and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        server.close()


def _fails_fast(url: str) -> tuple[str, float]:
    store = HttpStore(url, "t", retry=DEFAULT_BUDGET)
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.list(Kind.PRODUCT)
    finally:
        store.close()
    return str(caught.value), time.monotonic() - started


def test_nothing_listening_fails_within_seconds() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    message, elapsed = _fails_fast(url)
    assert elapsed < FAST_ENOUGH, elapsed
    assert url in message and "did not answer GET /v1/products" in message
    assert "never answered" in message and "\n" not in message


def test_a_listener_that_never_answers_fails_within_seconds() -> None:
    with silent_listener() as url:
        message, elapsed = _fails_fast(url)
    assert 3.0 < elapsed < FAST_ENOUGH, elapsed  # it waited for an answer, but not 60 s
    assert url in message and "timed out" in message and "\n" not in message


def test_once_answered_the_long_budget_rides_out_an_outage(registry: RegistryServer) -> None:
    """After one answer, hangs lasting longer than the first-contact budget are retried
    through; the same hangs on a registry that never answered fail within that budget."""
    policy = RetryPolicy(total_seconds=30, backoff=0.01, backoff_max=0.05, first_contact_seconds=1)
    timeout = httpx.Timeout(0.5)
    outage = ["hang"] * 5  # >= 2.5 s of timeouts: past the 1 s first-contact budget

    answered = Schedule(["pass", *outage, "pass"])
    with fault_proxy(registry.url, answered, hang_seconds=0.7) as proxy:
        store = HttpStore(proxy.url, registry.admin_token, retry=policy, timeout=timeout)
        try:
            store.list(Kind.PRODUCT)
            started = time.monotonic()
            store.list(Kind.PRODUCT)  # rides out the outage
            assert time.monotonic() - started > 2.0
        finally:
            store.close()
    assert actions(answered) == ["pass", *outage, "pass"]

    never = Schedule([*outage, "pass"])
    with fault_proxy(registry.url, never, hang_seconds=0.7) as proxy:
        store = HttpStore(proxy.url, registry.admin_token, retry=policy, timeout=timeout)
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="never answered"):
                store.list(Kind.PRODUCT)
            assert time.monotonic() - started < 2.0
        finally:
            store.close()
    assert "pass" not in actions(never)

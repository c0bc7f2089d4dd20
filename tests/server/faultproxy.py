"""A fault-injecting HTTP proxy on loopback, in front of a real registry.

Each request takes the next action of a schedule (a list, or a seeded random one):

- ``pass``: forward and answer;
- ``503`` / ``502`` / ``504``: answer that status without forwarding;
- ``429``: answer 429 with ``Retry-After: <retry_after>`` without forwarding;
- ``hang``: wait ``hang_seconds`` (past the client's timeout), then close without answering;
- ``drop``: forward the request (the registry DOES handle it), then close without answering.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

ACTIONS = ("pass", "503", "502", "504", "429", "hang", "drop")


@dataclass
class Schedule:
    actions: list[str]
    default: str = "pass"
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, action)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def seeded(cls, seed: int, n: int, weights: dict[str, float]) -> Schedule:
        rng = random.Random(seed)
        names, w = zip(*weights.items(), strict=True)
        return cls(rng.choices(names, weights=w, k=n))

    def next(self, method: str, path: str) -> str:
        with self.lock:
            i = len(self.seen)
            action = self.actions[i] if i < len(self.actions) else self.default
            self.seen.append((method, path, action))
            return action


@dataclass
class FaultProxy:
    url: str
    schedule: Schedule


@contextmanager
def fault_proxy(
    upstream: str,
    schedule: Schedule,
    *,
    hang_seconds: float = 1.5,
    retry_after: str = "0",
) -> Iterator[FaultProxy]:
    forward = httpx.Client(base_url=upstream, timeout=30)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            action = schedule.next(self.command, self.path)
            if action in ("503", "502", "504", "429"):
                headers = {"Retry-After": retry_after} if action == "429" else {}
                self._answer(
                    int(action), b'{"error":{"code":"injected","message":"fault"}}', headers
                )
                return
            if action == "hang":
                time.sleep(hang_seconds)
                self.close_connection = True
                return
            skip = {"host", "content-length", "connection", "accept-encoding"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            answer = forward.request(self.command, self.path, content=body, headers=headers)
            if action == "drop":
                self.close_connection = True
                return
            passed = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in ("content-type", "etag", "retry-after", "www-authenticate")
            }
            self._answer(answer.status_code, answer.content, passed)

        def _answer(self, status: int, content: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if status != 304:
                self.wfile.write(content)

        do_GET = do_PUT = do_DELETE = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FaultProxy(f"http://127.0.0.1:{server.server_address[1]}", schedule)
    finally:
        server.shutdown()
        server.server_close()
        forward.close()


def actions(schedule: Schedule) -> Sequence[str]:
    return [a for _, _, a in schedule.seen]

"""The Store over the registry server's REST API (``llmreg serve``), with httpx and tenacity.

- One pooled ``httpx.Client`` per process and base URL, shared by every ``HttpStore`` on it
  (the token travels per request), closed when the last store on it closes.
- Retries (tenacity): connection errors and timeouts, 429 (honouring ``Retry-After``, capped),
  502/503/504; exponential backoff with full jitter; bounded by total time (default 60 s,
  ``$LLMREG_RETRY_SECONDS`` or stack config ``llmreg:retrySeconds``: long enough to ride out a
  registry restart) and optionally by attempts (``$LLMREG_HTTP_RETRIES``). That budget holds
  only once the registry has answered this process: until then (a wrong URL, nothing
  listening, a listener that never answers) the whole request, each attempt's timeouts
  included, gets ``RetryPolicy.first_contact_seconds`` (5 s). After that:
  ``StoreUnavailable`` naming the URL, the request, the attempts and the last failure.
- Every write carries an ``Idempotency-Key`` made once per logical call and reused by its
  retries, so a retry after a lost response returns the first result instead of writing again.
- HTTP errors map back to llmreg's errors (400 -> ValidationFailed with the field problems,
  401 Unauthorized, 403 Forbidden, 404 NotFound, 409 AlreadyExists/Conflict, 412 Conflict).

The resolved-config endpoint (see ``llmreg.server.routes.resolved``) is ``get_resolved``.
"""

from __future__ import annotations

import builtins
import random
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import tenacity
from pydantic import Field

from ..domain.common import STORED, Record
from ..errors import (
    FieldProblem,
    NotFound,
    StoreUnavailable,
    Unauthorized,
    ValidationFailed,
    error_for,
)
from ..settings import RETRY_ATTEMPTS, RETRY_SECONDS
from .base import (
    RECORD_TYPES,
    AnyRecord,
    AuditEntry,
    Kind,
    Stored,
    TokenInfo,
    TokenScope,
    check_expected_version,
    kind_of,
    product_of,
)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RETRY_AFTER = 10.0
"""Seconds: a longer ``Retry-After`` is capped (and still bounded by the total budget)."""
RETRY_STATUSES = frozenset({429, 502, 503, 504})


# -- one pooled client per base URL -----------------------------------------------------------


class _Clients:
    """Reference-counted ``httpx.Client`` per base URL, shared by the process's stores."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, tuple[httpx.Client, int]] = {}

    def acquire(self, base_url: str, timeout: httpx.Timeout) -> httpx.Client:
        with self._lock:
            entry = self._clients.get(base_url)
            if entry is None or entry[0].is_closed:
                client = httpx.Client(
                    base_url=base_url,
                    timeout=timeout,
                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                    headers={"User-Agent": "llmreg-http-store/1"},
                )
                entry = (client, 0)
            self._clients[base_url] = (entry[0], entry[1] + 1)
            return entry[0]

    def release(self, base_url: str) -> None:
        with self._lock:
            entry = self._clients.get(base_url)
            if entry is None:
                return
            client, count = entry
            if count <= 1:
                del self._clients[base_url]
                client.close()
            else:
                self._clients[base_url] = (client, count - 1)


CLIENTS = _Clients()

_ANSWERED: set[str] = set()
"""Base URLs that have answered this process (any HTTP status): only a registry known to be
there is worth waiting for through the long retry budget (it is restarting)."""


# -- retry policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries: total seconds, an optional cap on attempts, backoff base and
    cap (each wait is uniform in [0, min(cap, base * 2**n)])."""

    total_seconds: float = RETRY_SECONDS.default
    attempts: int | None = None
    backoff: float = 0.1
    backoff_max: float = 2.0
    first_contact_seconds: float = 5.0
    """The budget (timeouts included) while the registry has never answered this process."""

    @classmethod
    def from_settings(cls, total_seconds: float | None = None) -> RetryPolicy:
        """``total_seconds`` (e.g. from stack config), else ``$LLMREG_RETRY_SECONDS``; the
        attempt cap from ``$LLMREG_HTTP_RETRIES``."""
        return cls(
            total_seconds=total_seconds or RETRY_SECONDS.get(),
            attempts=RETRY_ATTEMPTS.get(),
        )


class _Retryable(Exception):
    """An answer worth retrying (429/502/503/504), with the server's Retry-After if any."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.status = response.status_code
        self.retry_after = _retry_after(response)


def _not_handled(exc: BaseException) -> bool:
    """Whether a failed attempt surely left the registry untouched, so that even a request that
    must not run twice may be resent: it never connected, or the registry refused it (429) or
    could not reach its database (503). A 502/504 from a proxy, or a lost answer, may follow a
    request the registry did handle."""
    if isinstance(exc, _Retryable):
        return exc.status in (429, 503)
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to backoff


def _describe_failure(exc: BaseException | None) -> str:
    if isinstance(exc, _Retryable):
        return f"the last answer was HTTP {exc.status}"
    if isinstance(exc, httpx.TimeoutException):
        return f"the last attempt timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.TransportError):
        return f"the last attempt failed to connect or transfer ({type(exc).__name__})"
    return "unknown failure"


# -- error mapping ----------------------------------------------------------------------------


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _raise_for(response: httpx.Response, request: str) -> None:
    """Raise the llmreg error an error response stands for."""
    error = _error_body(response)
    message = str(error.get("message") or f"{request} answered HTTP {response.status_code}")
    status = response.status_code
    if status == 400:
        fields = [
            FieldProblem(str(f.get("path", "")), str(f.get("message", "")))
            for f in error.get("fields", [])
            if isinstance(f, dict)
        ]
        raise ValidationFailed(
            str(error.get("what") or "request"), fields or [FieldProblem("", message)]
        )
    if status == 413:
        raise ValidationFailed("request", [FieldProblem("", message)])
    error_class = error_for(status, error.get("code"))
    if error_class is Unauthorized:
        raise Unauthorized(f"the registry refused the token: {message}")
    if error_class is StoreUnavailable or error_class is ValidationFailed:
        raise StoreUnavailable(
            f"the registry at {response.request.url} answered {request} with HTTP {status}: "
            f"{message}"
        )
    raise error_class(message)


def _deleted(response: httpx.Response, request: str) -> bool:
    """A DELETE's answer: True if deleted, False if it was missing (a 404 ``not_found``)."""
    if response.status_code == 404:
        if _error_body(response).get("code") != "not_found":
            _raise_for(response, request)
        return False
    return True


# -- the store --------------------------------------------------------------------------------


class WhoAmI(Record):
    """What the registry says of the token that asks (``GET /v1/whoami``): never its secret."""

    name: str = Field(description="The token's name (the audit history's actor).")
    scope: TokenScope
    product: str | None = Field(default=None, description="The product of a read/write token.")

    def may_write(self, product: str) -> bool:
        return self.scope == TokenScope.ADMIN or (
            self.scope == TokenScope.WRITE and self.product == product
        )

    def write_refusal(self, product: str) -> str | None:
        """Why writes to ``product`` would be refused (403), in one line; None if allowed."""
        if self.may_write(product):
            return None
        if self.scope == TokenScope.WRITE:
            has = f"a write token of product '{self.product}'"
        elif self.product == product:
            has = f"a read token of product '{product}': it may only read"
        else:
            has = f"a {TokenScope(self.scope).value} token of product '{self.product}'"
        return (
            f"token '{self.name}' is {has}; changing product '{product}' needs a write token "
            f"of '{product}' or an admin token"
        )


def _path(*parts: str) -> str:
    return "/v1/" + "/".join(quote(p, safe="") for p in parts)


def _record_path(kind: Kind, product: str, tag: str) -> str:
    if kind is Kind.PRODUCT:
        return _path("products", tag)
    return _path("products", product, kind.value, tag)


def _stored(kind: Kind, data: dict[str, Any]) -> Stored[AnyRecord]:
    record = RECORD_TYPES[kind].model_validate(data["record"], context={STORED: True})
    return Stored[AnyRecord](
        record=record,
        version=data["version"],
        updated_at=data["updatedAt"],
        updated_by=data["updatedBy"],
    )


class HttpStore:
    """``Store`` over ``http(s)://host[:port]`` (the registry server), thread-safe."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.retry = retry or RetryPolicy.from_settings()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._client = CLIENTS.acquire(self.url, self._timeout)
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HttpStore({self.url!r})"  # never the token

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                CLIENTS.release(self.url)

    def __enter__(self) -> HttpStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _budget(self) -> float:
        """Seconds a request may take: the retry budget, or the short first-contact one while
        the registry has never answered this process."""
        if self.url in _ANSWERED:
            return self.retry.total_seconds
        return min(self.retry.total_seconds, self.retry.first_contact_seconds)

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        """Each attempt's timeouts, cut to ``remaining`` until the registry first answers (a
        listener that accepts and never answers must not hold a first request for the full
        read timeout)."""
        if self.url in _ANSWERED:
            return self._timeout
        t, cap = self._timeout, max(0.1, remaining)

        def cut(value: float | None) -> float:
            return cap if value is None else min(value, cap)

        return httpx.Timeout(
            connect=cut(t.connect), read=cut(t.read), write=cut(t.write), pool=cut(t.pool)
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        remaining = max(0.0, self._budget() - (state.seconds_since_start or 0.0))
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER, remaining)
        ceiling = min(self.retry.backoff_max, self.retry.backoff * 2 ** (state.attempt_number - 1))
        return min(random.uniform(0, ceiling), remaining)  # noqa: S311 (jitter, not crypto)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        ok: tuple[int, ...] = (200,),
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send with retries; return a response whose status is in ``ok`` (or 304/404 if
        listed there), else raise the mapped llmreg error. A request that is not
        ``idempotent`` is resent only after failures the registry surely did not act on."""
        what = f"{method} {path}"
        sent_headers = self._headers(headers)
        started = time.monotonic()

        def stop(state: tenacity.RetryCallState) -> bool:
            if (state.seconds_since_start or 0.0) >= self._budget():
                return True
            return bool(self.retry.attempts and state.attempt_number >= self.retry.attempts)

        def attempt() -> httpx.Response:
            timeout = self._attempt_timeout(self._budget() - (time.monotonic() - started))
            response = self._client.request(
                method, path, json=json, headers=sent_headers, params=params, timeout=timeout
            )
            _ANSWERED.add(self.url)
            if response.status_code in RETRY_STATUSES:
                raise _Retryable(response)
            return response

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((_Retryable, httpx.TransportError))
            if idempotent
            else tenacity.retry_if_exception(_not_handled),
            stop=stop,
            wait=self._wait,
            reraise=False,
        )
        try:
            response = retrying(attempt)
        except _Retryable as exc:  # not idempotent: a 502/504 is final
            response = exc.response
        except httpx.TransportError as exc:  # not idempotent: the registry may have acted
            raise StoreUnavailable(
                f"{what} was sent to the registry at {self.url} but no answer came back "
                f"({type(exc).__name__}); it was not resent since it must not run twice: "
                "check whether it took effect"
            ) from None
        except tenacity.RetryError as exc:
            last = exc.last_attempt
            failure = last.exception() if last.failed else None
            fix = (
                f"raise {RETRY_SECONDS.name} / {RETRY_SECONDS.config}"
                if self.url in _ANSWERED
                else "check the URL (it has never answered this process)"
            )
            raise StoreUnavailable(
                f"the registry at {self.url} did not answer {what} after "
                f"{last.attempt_number} attempt(s) in {time.monotonic() - started:.1f}s: "
                f"{_describe_failure(failure)}. Check that `llmreg serve` runs there, or {fix}"
            ) from None
        if response.status_code in ok:
            return response
        _raise_for(response, what)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reads ----------------------------------------------------------------------------

    def get(self, kind: Kind, product: str, tag: str) -> Stored[AnyRecord]:
        kind = Kind(kind)
        response = self.request("GET", _record_path(kind, product, tag))
        return _stored(kind, response.json())

    def list(self, kind: Kind, product: str | None = None) -> builtins.list[Stored[AnyRecord]]:
        kind = Kind(kind)
        if kind is Kind.PRODUCT:
            if product is not None:
                try:
                    return [self.get(kind, product, product)]
                except NotFound:
                    return []
            path = _path("products")
        else:
            if product is None:
                raise ValueError(f"listing {kind.value} needs the product")
            path = _path("products", product, kind.value)
        return [_stored(kind, item) for item in self.request("GET", path).json()]

    def history(
        self,
        *,
        product: str | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditEntry]:
        params: dict[str, Any] = {"limit": max(0, limit)}
        if kind is not None:
            params["kind"] = Kind(kind).value
        if tag is not None:
            params["tag"] = tag
        path = _path("products", product, "history") if product is not None else _path("history")
        response = self.request("GET", path, params=params)
        return [AuditEntry.model_validate(item) for item in response.json()]

    def get_resolved(
        self, product: str, agent: str, env: str, etag: str | None = None
    ) -> tuple[dict[str, Any] | None, str]:
        """The agent's resolved config in ``env`` with the sealed key, and its ETag.

        With ``etag`` (from an earlier answer) an unchanged config answers ``(None, etag)``
        without a body. The payload's shape: ``llmreg.server.routes.resolved``.
        """
        headers = {"If-None-Match": etag} if etag else None
        response = self.request(
            "GET",
            _path("products", product, "agents", agent, "resolved", env),
            headers=headers,
            ok=(200, 304),
        )
        new_etag = response.headers.get("etag", etag or "")
        if response.status_code == 304:
            return None, new_etag
        payload: dict[str, Any] = response.json()
        return payload, new_etag

    # -- tokens -------------------------------------------------------------------------------

    def whoami(self) -> WhoAmI:
        """The name, scope and product of this store's token (any valid token may ask)."""
        return WhoAmI.model_validate(self.request("GET", _path("whoami")).json())

    def create_token(
        self, name: str, scope: TokenScope, product: str | None
    ) -> tuple[TokenInfo, str]:
        body = {"name": name, "scope": TokenScope(scope).value, "product": product}
        response = self.request("POST", _path("tokens"), json=body, ok=(201,), idempotent=False)
        data = response.json()
        return TokenInfo.model_validate(data["token"]), str(data["secret"])

    def revoke_token(self, token_id: str) -> bool:
        response = self.request("DELETE", _path("tokens", token_id), ok=(204, 404))
        return _deleted(response, f"DELETE token {token_id}")

    def list_tokens(self) -> builtins.list[TokenInfo]:
        response = self.request("GET", _path("tokens"))
        return [TokenInfo.model_validate(item) for item in response.json()]

    # -- writes ---------------------------------------------------------------------------

    def put(
        self,
        record: AnyRecord,
        *,
        expected_version: int | None,
        actor: str,
        idempotency_key: str | None = None,
    ) -> Stored[AnyRecord]:
        check_expected_version(expected_version)
        kind = kind_of(record)
        headers = {
            "Idempotency-Key": idempotency_key or f"llmreg-{uuid.uuid4()}",
            "X-Llmreg-Actor": actor,
        }
        if expected_version == 0:
            headers["If-None-Match"] = "*"
        elif expected_version is not None:
            headers["If-Match"] = f'"{expected_version}"'
        response = self.request(
            "PUT",
            _record_path(kind, product_of(record), record.tag),
            json=record.to_wire(),
            headers=headers,
        )
        return _stored(kind, response.json())

    def delete(
        self, kind: Kind, product: str, tag: str, *, expected_version: int | None = None, actor: str
    ) -> bool:
        """Delete; False if it was missing. (A delete retried after a lost answer may report
        False although this call deleted it: the record is gone either way.)"""
        headers = {"X-Llmreg-Actor": actor}
        if expected_version is not None:
            headers["If-Match"] = f'"{expected_version}"'
        response = self.request(
            "DELETE", _record_path(Kind(kind), product, tag), headers=headers, ok=(204, 404)
        )
        return _deleted(response, f"DELETE {tag}")


__all__ = ["CLIENTS", "HttpStore", "RetryPolicy", "WhoAmI"]

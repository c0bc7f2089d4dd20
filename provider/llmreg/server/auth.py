"""Bearer-token authentication and the scope rules (design §3).

A request carries ``Authorization: Bearer <token>``. The admin token (``create_app``'s argument
or ``$LLMREG_ADMIN_TOKEN``) is compared in constant time; any other token is looked up in the
database (``TokenStore.verify_token``: stored hashed, revocable). A verified token is remembered
by the process for ``$LLMREG_TOKEN_CACHE_SECONDS`` (default 1 s, 0 turns it off), keyed by the
SHA-256 of its secret, so a busy runtime costs one lookup a second rather than one a request. A
token revoked through this process stops working at once; on other processes and servers within
that many seconds. Scopes:

- ``admin``: everything, including ``/v1/tokens`` and ``/v1/history``;
- ``read`` for product P: GET of P's records, history and resolved configs;
- ``write`` for product P: that, plus PUT/DELETE of P's records (and of product P itself).

A token of one product gets 403 on another product's paths, whatever the record.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers

from ..store.base import TokenScope, TokenStore
from .errors import ApiError, unauthorized

ACTOR_HEADER = "X-Llmreg-Actor"
ACTOR_LENGTH = 200
"""Characters of the audit actor column."""
_ACTOR = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,199}$")
_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name, scope and product (None for admin)."""

    name: str
    scope: TokenScope
    product: str | None
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.scope is TokenScope.ADMIN

    def may_read(self, product: str) -> bool:
        return self.is_admin or self.product == product

    def may_write(self, product: str) -> bool:
        return self.is_admin or (self.product == product and self.scope is TokenScope.WRITE)

    def actor(self, declared: str | None) -> str:
        """The audit actor of a write (at most 200 characters).

        The admin token may act for anyone (the Pulumi provider declares
        ``pulumi:<project>/<stack>``), so its declared actor is recorded as is; a product token
        is recorded under its own name, with the declared actor in brackets.
        """
        if declared is not None and not _ACTOR.match(declared):
            declared = None
        if self.is_admin:
            return declared or "admin"
        base = f"token:{self.name}"
        full = f"{base} ({declared})" if declared else base
        return full if len(full) <= ACTOR_LENGTH else full[: ACTOR_LENGTH - 3] + "..."


class Authenticator:
    """Turns a request's bearer token into a Principal, or raises 401."""

    def __init__(
        self,
        admin_token: str | None,
        tokens: TokenStore | None,
        *,
        cache_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._admin = admin_token.encode() if admin_token else None
        self._tokens = tokens
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[float, Principal]] = {}

    @staticmethod
    def secret(headers: Headers) -> str:
        """The bearer secret of a request, or 401 saying how to send one."""
        header = headers.get("authorization")
        if not header:
            raise unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>'")
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise unauthorized("use 'Authorization: Bearer <token>'")
        return secret

    def known(self, secret: str) -> Principal | None:
        """The principal of ``secret`` without I/O: the admin token, or a product token verified
        within the cache time; None when the database must be asked."""
        encoded = secret.encode("utf-8", "surrogateescape")
        if self._admin is not None and hmac.compare_digest(encoded, self._admin):
            return Principal("admin", TokenScope.ADMIN, None, "admin")
        if self.cache_seconds <= 0:
            return None
        digest = hashlib.sha256(encoded).digest()
        with self._lock:
            entry = self._cache.get(digest)
        if entry is not None and self._clock() < entry[0]:
            return entry[1]
        return None

    def verify(self, secret: str) -> Principal:
        """The principal of a product token, asking the database (blocking); 401 if the token
        is unknown or revoked."""
        info = self._tokens.verify_token(secret) if self._tokens is not None else None
        if info is None:
            raise unauthorized(
                "the token is unknown or revoked: ask the registry's admin for a valid one"
            )
        who = Principal(info.name, TokenScope(info.scope), info.product, info.id)
        if self.cache_seconds > 0:
            digest = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest()
            with self._lock:
                if len(self._cache) >= _CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[digest] = (self._clock() + self.cache_seconds, who)
        return who

    def forget(self, token_id: str) -> None:
        """Drop the cached verifications of a token (it was just revoked)."""
        with self._lock:
            for digest in [d for d, (_, p) in self._cache.items() if p.token_id == token_id]:
                del self._cache[digest]


def require_read(principal: Principal, product: str) -> None:
    if not principal.may_read(product):
        raise ApiError(
            403, "forbidden", f"token '{principal.name}' may not read product '{product}'"
        )


def require_write(principal: Principal, product: str) -> None:
    if principal.may_write(product):
        return
    if principal.may_read(product):
        raise ApiError(
            403,
            "forbidden",
            f"token '{principal.name}' may only read product '{product}': "
            "use a write token to change it",
        )
    raise ApiError(403, "forbidden", f"token '{principal.name}' may not change product '{product}'")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise ApiError(403, "forbidden", f"token '{principal.name}' is not an admin token")

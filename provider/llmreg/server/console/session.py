"""The console's session cookie: the token, sealed by the server, with an expiry.

A person signs in by pasting a token; the cookie then carries that token encrypted and
authenticated (Fernet: AES-128-CBC + HMAC-SHA256) under a key derived from the server's
console secret (``$LLMREG_CONSOLE_SECRET``, random per ``llmreg serve`` when unset). Every
request opens it and checks the token exactly as the API checks a bearer token
(``deps.verified``), so revoking the token ends the session, and the session ends by itself
after ``SESSION_SECONDS``. Nobody without the server's secret can read the token from the cookie
or forge one; the cookie is ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` unless the page is
served over plain HTTP on loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from base64 import urlsafe_b64encode

from cryptography.fernet import Fernet, InvalidToken
from starlette.types import Scope

COOKIE = "llmreg_console"
PATH = "/console"
SESSION_SECONDS = 8 * 3600
_MAX_COOKIE = 4096


class Sessions:
    """Seals tokens into cookie values and opens them again (see the module)."""

    def __init__(self, secret: str | None, *, seconds: int = SESSION_SECONDS) -> None:
        raw = (secret or secrets.token_urlsafe(32)).encode()
        self._key = hashlib.sha256(b"llmreg-console-session|" + raw).digest()
        self._fernet = Fernet(urlsafe_b64encode(self._key))
        self.seconds = seconds

    def seal(self, token: str) -> str:
        body = json.dumps({"t": token, "x": int(time.time()) + self.seconds})
        return self._fernet.encrypt(body.encode()).decode("ascii")

    def open(self, value: str) -> str | None:
        """The token of a cookie value; None when it is forged, damaged or expired."""
        if not value or len(value) > _MAX_COOKIE or not value.isascii():
            return None
        try:
            body = json.loads(self._fernet.decrypt(value.encode("ascii"), ttl=self.seconds))
        except (InvalidToken, ValueError):
            return None
        if not isinstance(body, dict) or not isinstance(body.get("t"), str):
            return None
        expiry = body.get("x")
        if not isinstance(expiry, int) or expiry < time.time():
            return None
        return str(body["t"])

    def form_token(self, cookie: str) -> str:
        """The sign-out form's CSRF token: bound to the session cookie."""
        mac = hmac.new(self._key, b"sign-out|" + cookie.encode("ascii", "replace"), "sha256")
        return mac.hexdigest()[:32]

    def form_token_ok(self, cookie: str, sent: str) -> bool:
        expected = self.form_token(cookie).encode()
        return bool(cookie) and hmac.compare_digest(expected, sent.encode("utf-8", "replace"))


def secure(scope: Scope) -> bool:
    """Whether the cookie needs ``Secure``: always, except over plain HTTP to a loopback
    address of this server (a browser would drop a Secure cookie there)."""
    if scope.get("scheme") == "https":
        return True
    server = scope.get("server")
    host = server[0] if server else ""
    try:
        return not ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return str(host) != "localhost"


def set_cookie_header(value: str, *, secure_cookie: bool, max_age: int) -> str:
    parts = [
        f"{COOKIE}={value}",
        f"Path={PATH}",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure_cookie:
        parts.append("Secure")
    return "; ".join(parts)

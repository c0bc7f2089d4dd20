"""Who is asking: the same tokens, checks and rate limits as the API (``deps``).

A console request authenticates with ``Authorization: Bearer <token>`` (for scripts: exactly
the API's ``deps.principal``) or with the session cookie (``session``), whose token goes through
the same verification (``deps.verified``) and per-token rate limit (``deps.admitted``).
Form posts (sign-in, sign-out) must come from the console's own pages: a browser's ``Origin``
(or ``Sec-Fetch-Site``) naming another site is refused, and sign-out also needs the form token
bound to the session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from ..auth import Principal
from ..deps import Registry, admitted, principal, verified
from ..errors import ApiError
from .session import COOKIE, Sessions


class SignIn(Exception):
    """The caller has no (valid) session: send a person to the sign-in page."""

    def __init__(self, ended: bool) -> None:
        super().__init__("sign in")
        self.ended = ended
        """A cookie was sent but no longer opens a session (expired, revoked, forged)."""


def registry_of(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.console_sessions
    return sessions


async def caller(request: Request) -> Principal:
    """The principal of a console request (``SignIn`` without credentials or session; the
    API's 401/429 ``ApiError`` for a bad bearer token or a caller over its limit)."""
    if "authorization" in request.headers:
        return await principal(request)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise SignIn(ended=False)
    secret = sessions_of(request).open(cookie)
    if secret is None:
        raise SignIn(ended=True)
    reg = registry_of(request)
    try:
        who = await verified(reg, secret)
    except ApiError as err:
        if err.status == 401:
            raise SignIn(ended=True) from None
        raise
    return await admitted(request, reg, who)


async def sign_in(request: Request, secret: str) -> Principal:
    """Check a pasted token as the API checks a bearer token (401 ``ApiError`` if bad)."""
    reg = registry_of(request)
    return await admitted(request, reg, await verified(reg, secret))


def same_origin(request: Request) -> bool:
    """Whether a form post comes from this server's own pages (or from no browser page)."""
    origin = request.headers.get("origin")
    if origin is not None:
        host = request.headers.get("host", "")
        try:
            return origin != "null" and urlsplit(origin).netloc == host and bool(host)
        except ValueError:
            return False
    site = request.headers.get("sec-fetch-site")
    return site in (None, "same-origin", "none")

"""Access to the console without a browser: the session cookie's attributes and binding to the
token, bearer tokens, product scope, form posts from elsewhere, the rate limit, and turning the
console off."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from llmreg.server import create_app
from llmreg.server.console.session import COOKIE, Sessions, secure
from tests.harness.registry import RegistryServer, running_registry
from tests.server.conftest import Fixture, admin_client, make_token


def _client(server: RegistryServer, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=headers, timeout=30, follow_redirects=False)


def _sign_in(client: httpx.Client, token: str) -> httpx.Response:
    origin = str(client.base_url).rstrip("/")
    return client.post("/console/sign-in", data={"token": token}, headers={"Origin": origin})


def test_sign_in_sets_a_strict_http_only_cookie_that_hides_the_token(
    registry: RegistryServer, world: Fixture
) -> None:
    token = world.tokens["read-a"]
    with _client(registry) as client:
        answer = _sign_in(client, token)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
        assert re.search(r"Max-Age=\d{4,}", cookie)
        assert "Secure" not in cookie  # plain HTTP on loopback: a browser would drop it
        assert token not in cookie and token.split("_")[1] not in cookie
        page = client.get("/console/")
        assert page.status_code == 200 and world.a in page.text and world.b not in page.text
        assert token not in page.text


def test_a_bad_pasted_token_is_refused_without_echo(registry: RegistryServer) -> None:
    with _client(registry) as client:
        answer = _sign_in(client, "llmreg_0123456789abcdef_not-a-real-secret-canary")
        assert answer.status_code == 401 and "set-cookie" not in answer.headers
        assert "canary" not in answer.text and "unknown or revoked" in answer.text


def test_forged_foreign_and_expired_sessions_send_a_person_to_sign_in(
    registry: RegistryServer, world: Fixture
) -> None:
    token = world.tokens["read-a"]
    with _client(registry) as client:
        assert _sign_in(client, token).status_code == 303
        good = client.cookies[COOKIE]
    forged = good[:-5] + ("AAAAA" if not good.endswith("AAAAA") else "BBBBB")
    foreign = Sessions("another server's secret").seal(token)
    for value in (forged, foreign, "", "x" * 5000, "\xe9\xff", '"quoted"; other=1'):
        with _client(registry) as client:
            raw = f"{COOKIE}={value}".encode("latin-1")
            answer = client.get(f"/console/products/{world.a}", headers=[(b"cookie", raw)])
            assert answer.status_code == 303, value[:20]
            assert answer.headers["location"] == "/console/sign-in"


def test_sessions_expire_and_are_bound_to_the_server_key() -> None:
    sessions = Sessions("k")
    assert sessions.open(sessions.seal("llmreg_x_y")) == "llmreg_x_y"
    assert Sessions("k", seconds=-1).open(Sessions("k", seconds=-1).seal("t")) is None
    assert Sessions("other").open(sessions.seal("t")) is None
    cookie = sessions.seal("t")
    assert sessions.form_token_ok(cookie, sessions.form_token(cookie))
    assert not sessions.form_token_ok(cookie, Sessions("other").form_token(cookie))


def test_the_cookie_is_secure_except_over_plain_http_on_loopback() -> None:
    assert not secure({"scheme": "http", "server": ("127.0.0.1", 8080)})
    assert not secure({"scheme": "http", "server": ("::1", 8080)})
    assert secure({"scheme": "https", "server": ("127.0.0.1", 8443)})
    assert secure({"scheme": "http", "server": ("10.1.2.3", 8080)})
    assert secure({"scheme": "http", "server": ("registry.example", 80)})
    assert secure({"scheme": "http"})


def test_form_posts_from_another_site_are_refused(registry: RegistryServer, world: Fixture) -> None:
    with _client(registry) as client:
        evil = {"Origin": "http://evil.example"}
        answer = client.post(
            "/console/sign-in", data={"token": world.tokens["read-a"]}, headers=evil
        )
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        cross = {"Sec-Fetch-Site": "cross-site"}
        answer = client.post(
            "/console/sign-in", data={"token": world.tokens["read-a"]}, headers=cross
        )
        assert answer.status_code == 403
        assert _sign_in(client, world.tokens["read-a"]).status_code == 303
        origin = str(client.base_url).rstrip("/")
        # Sign-out needs the page's form token: a bare post keeps the session.
        refused = client.post("/console/sign-out", headers={"Origin": origin})
        assert refused.status_code == 403
        assert client.get("/console/").status_code == 200
        page = client.get("/console/").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf is not None
        out = client.post(
            "/console/sign-out", data={"csrf": csrf.group(1)}, headers={"Origin": origin}
        )
        assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
        client.cookies.clear()
        assert client.get("/console/").status_code == 303


def test_bearer_tokens_and_product_scope(registry: RegistryServer, world: Fixture) -> None:
    with _client(registry, Authorization=f"Bearer {world.tokens['read-a']}") as client:
        assert client.get(f"/console/products/{world.a}/agents/support").status_code == 200
        for path in (
            f"/console/products/{world.b}",
            f"/console/products/{world.b}/models/claude",
            f"/console/history?product={world.b}",
        ):
            answer = client.get(path)
            assert answer.status_code == 404, path
            # Just as for a product that does not exist: nothing tells that it does.
            missing = client.get(path.replace(world.b, "never-was"))
            assert answer.text == missing.text.replace("never-was", world.b), path
        history = client.get("/console/history")
        assert history.status_code == 200 and world.b not in history.text
    with _client(registry, Authorization="Bearer llmreg_0123456789abcdef_nope") as client:
        answer = client.get("/console/")
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        assert "text/html" in answer.headers["content-type"]


def test_revoking_a_token_ends_its_session(registry: RegistryServer, world: Fixture) -> None:
    with admin_client(registry) as admin:
        token = make_token(admin, "revoked-soon", "read", world.a)
        with _client(registry) as client:
            assert _sign_in(client, token).status_code == 303
            assert client.get(f"/console/products/{world.a}").status_code == 200
            assert admin.delete(f"/v1/tokens/{token.split('_')[1]}").status_code == 204
            answer = client.get(f"/console/products/{world.a}")
            assert answer.status_code == 303 and "Max-Age=0" in answer.headers["set-cookie"]


def test_the_rate_limit_applies_to_console_pages(tmp_path: Path) -> None:
    # 6 a minute: one request per 10-second window for each token and address.
    with (
        running_registry(
            tmp_path, f"sqlite:///{tmp_path / 'r.db'}", env={"LLMREG_RATE_LIMIT": "6"}
        ) as server,
        _client(server, Authorization=f"Bearer {server.admin_token}") as client,
    ):
        statuses = [client.get("/console/").status_code for _ in range(3)]
        assert statuses[0] == 200 and 429 in statuses, statuses
        limited = client.get("/console/")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "text/html" in limited.headers["content-type"]


@pytest.mark.parametrize("setting", ["0", "off"])
def test_the_console_can_be_turned_off(setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMREG_CONSOLE", setting)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(f"sqlite:///{tmp}/r.db", admin_token="adm")
        with TestClient(app) as client:
            answer = client.get("/console/", headers={"Authorization": "Bearer adm"})
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        on = create_app(f"sqlite:///{tmp}/r.db", admin_token="adm", console=True)
        with TestClient(on) as client:
            assert client.get("/console/", headers={"Authorization": "Bearer adm"}).is_success


def test_without_jinja2_serve_says_which_extra(tmp_path: Path) -> None:
    """The console's template engine is part of the server extra: its absence is one line."""
    code = (
        "import sys\n"
        "sys.modules['jinja2'] = None\n"
        f"sys.argv = ['llmreg', 'serve', '--db', 'sqlite:///{tmp_path}/r.db', '--port', '1']\n"
        "from llmreg.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "jinja2 is not installed" in lines[0] and "llmreg[server]" in lines[0]

"""Every console page and query fuzzed with hostile inputs, as the API's tests fuzz the API
(tests/server/test_inputs.py, test_schemathesis.py): NUL characters, invalid UTF-8, encoded
slashes and dots, markup, overlong values, odd methods, broken cookies and bodies, plus
hypothesis-generated text in every path segment and query parameter (bounded). No answer is a
5xx; every answer carries the hardening headers; no page or log line holds a token or an API
key; the log stays one JSON object per line, without a request value."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness.registry import RegistryServer
from tests.server.conftest import Fixture, admin_client
from tests.store import records as r

CANARY = "canary-7c1e"
PLAINTEXT_KEY = "sk-console-" + secrets.token_hex(16)
HOSTILE = [
    "a\x00b",
    "%00",
    "%ED%A0%80",  # a UTF-8-encoded lone surrogate
    "%FF%FE",
    "..",
    "%2e%2e",
    "%2F",
    "a/../../etc/passwd",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "a" * 65,
    "a" * 5000,
    "Not A Slug",
    "é",
    "\u202e",
    "{{7*7}}",
    "${7*7}",
]
TEMPLATES = [
    "/console/{x}",
    "/console/products/{x}",
    "/console/products/{x}/agents/support",
    "/console/products/{a}/agents/{x}",
    "/console/products/{a}/models/{x}",
    "/console/products/{a}/{x}/claude",
    "/console/static/{x}",
]
QUERIES = ["product", "kind", "tag", "actor", "limit", "x"]


@pytest.fixture(scope="module")
def keyed(registry: RegistryServer, world: Fixture) -> Iterator[Fixture]:
    """The world, plus a model whose API key (sealed) is known to the test."""
    with admin_client(registry) as client:
        model = r.model(world.a, "keyed", api_key=PLAINTEXT_KEY)
        client.put(f"/v1/products/{world.a}/models/keyed", json=model.to_wire()).raise_for_status()
    yield world
    log = registry.log_text()
    secrets_ = [PLAINTEXT_KEY, *world.tokens.values()]
    assert not [s for s in secrets_ if s in log], "a token or key reached the log"
    for line in log.splitlines():
        entry = json.loads(line)  # one JSON object per line: no traceback
        # A request value reaches the log only as a path of slug-like segments (the access
        # log's rule, llmreg.server.logging.loggable_path), never in any other field.
        path = entry.pop("path", "")
        assert CANARY not in json.dumps(entry), line
        assert all(re.match(r"^[A-Za-z0-9._-]*$", p) for p in path.split("/")), line


def check(answer: httpx.Response, world: Fixture, what: object) -> None:
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    for secret in [PLAINTEXT_KEY, *world.tokens.values()]:
        assert secret not in answer.text, what
        assert secret not in str(answer.headers), what
    if answer.status_code != 307:  # FastAPI's slash redirect of "/console"
        assert "default-src 'none'" in answer.headers.get("content-security-policy", ""), what


def clients(registry: RegistryServer, world: Fixture) -> list[httpx.Client]:
    """Without credentials, with the admin token, and with a product read token."""
    return [
        httpx.Client(base_url=registry.url, timeout=30, headers=headers)
        for headers in (
            {},
            {"Authorization": f"Bearer {world.tokens['admin']}"},
            {"Authorization": f"Bearer {world.tokens['read-a']}"},
        )
    ]


def test_hostile_paths_and_queries_never_fail(registry: RegistryServer, keyed: Fixture) -> None:
    world = keyed
    for client in clients(registry, world):
        with client:
            for template in TEMPLATES:
                for value in HOSTILE:
                    segment = value if value.startswith("%") else quote(value + CANARY, safe="")
                    path = template.format(x=segment, a=world.a)
                    for method in ("GET", "HEAD", "POST", "DELETE"):
                        check(client.request(method, path), world, (method, path))
            for name in QUERIES:
                for value in [*HOSTILE, "-1", "0", "1001", "1e3", "NaN", ""]:
                    answer = client.get("/console/history", params={name: value + CANARY})
                    check(answer, world, (name, value))
                    answer = client.get("/console/history", params={name: value})
                    check(answer, world, (name, value))
            raw = client.get("/console/history?product=%FF&tag=%00&actor=%ED%A0%80&limit=%")
            check(raw, world, "raw query")


def test_good_pages_answer_and_hold_no_secret(registry: RegistryServer, keyed: Fixture) -> None:
    world = keyed
    pages = [
        "/console/",
        f"/console/products/{world.a}",
        f"/console/products/{world.a}/models/keyed",
        f"/console/products/{world.a}/models/claude",
        f"/console/products/{world.a}/agents/support",
        f"/console/history?product={world.a}&kind=models&tag=keyed&actor=admin&limit=5",
        "/console/history",
    ]
    with httpx.Client(
        base_url=registry.url,
        timeout=30,
        headers={"Authorization": f"Bearer {world.tokens['admin']}"},
    ) as client:
        for path in pages:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
            check(answer, world, path)
        keyed_page = client.get(f"/console/products/{world.a}/models/keyed").text
        assert "fp1:" in keyed_page  # the fingerprint shows; the sealed key does not
        assert '"ciphertext"' not in keyed_page and "ciphertext" not in keyed_page


def test_hostile_cookies_headers_and_bodies_never_fail(
    registry: RegistryServer, keyed: Fixture
) -> None:
    world = keyed
    origin = registry.url
    cookies = [b"", b"x", b"\xff\xfe", b"a" * 8000, b"gAAAAA" + b"A" * 200, b'"', b"=;=;"]
    bodies: list[tuple[bytes, str]] = [
        (
            b"token=" + quote(world.tokens["read-a"]).encode() + b"&token=x",
            "application/x-www-form-urlencoded",
        ),
        (b"token=%00" + CANARY.encode(), "application/x-www-form-urlencoded"),
        (b"token=%ED%A0%80", "application/x-www-form-urlencoded"),
        (b"token=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"token=" + b"a" * 100_000, "application/x-www-form-urlencoded"),
        (b"&" * 5000, "application/x-www-form-urlencoded"),
        (b'{"token": "x"}', "application/json"),
        (
            b"--b\r\nContent-Disposition: form-data; name=token\r\n\r\nx\r\n--b--",
            "multipart/form-data; boundary=b",
        ),
        (b"", "text/plain"),
    ]
    with httpx.Client(base_url=registry.url, timeout=30) as client:
        for cookie in cookies:
            for path in ("/console/", f"/console/products/{world.a}", "/console/history"):
                answer = client.get(path, headers=[(b"cookie", b"llmreg_console=" + cookie)])
                check(answer, world, (path, cookie[:10]))
                assert answer.status_code == 303
        for body, content_type in bodies:
            for path in ("/console/sign-in", "/console/sign-out"):
                headers = {"Content-Type": content_type, "Origin": origin}
                check(client.post(path, content=body, headers=headers), world, (path, body[:20]))
        for header, value in [
            ("Origin", b"null"),
            ("Origin", b"\xff"),
            ("Origin", b"http://[::1"),
            ("Sec-Fetch-Site", b"cross-site"),
            ("Authorization", b"Bearer \xff\xfe"),
            ("Authorization", b"Basic abc"),
            ("Authorization", b"Bearer " + b"a" * 5000),
            ("Host", b"evil.example"),
        ]:
            answer = client.post(
                "/console/sign-in",
                content=b"token=x",
                headers=[
                    (header.encode(), value),
                    (b"content-type", b"application/x-www-form-urlencoded"),
                ],
            )
            check(answer, world, (header, value[:10]))
            assert answer.status_code in (400, 401, 403), (header, answer.status_code)


segment = st.text(min_size=1, max_size=80).map(lambda t: quote(t, safe=""))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    template=st.sampled_from(TEMPLATES),
    value=segment,
    query=st.dictionaries(st.sampled_from(QUERIES), st.text(max_size=60), max_size=4),
)
def test_generated_paths_and_queries_never_fail(
    registry: RegistryServer, keyed: Fixture, template: str, value: str, query: dict[str, str]
) -> None:
    with httpx.Client(
        base_url=registry.url,
        timeout=30,
        headers={"Authorization": f"Bearer {keyed.tokens['read-a']}"},
    ) as client:
        check(client.get(template.format(x=value, a=keyed.a)), keyed, (template, value))
        check(client.get("/console/history", params=query), keyed, query)

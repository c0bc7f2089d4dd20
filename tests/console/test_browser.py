"""The console in a real browser (Debian's headless Chromium, driven by Playwright) against a
real ``llmreg serve``, showing a stack that the real Pulumi engine deployed to it.

A person signs in with a read token, opens every page from the links, reads the resolved values
and their layers that the stack itself exports (``support.resolved``) and the key fingerprints
it exports, and signs out; a session whose token was revoked is refused; a token of one product
cannot reach another's pages; records named like markup render as text and run nothing; and no
page loads anything from anywhere but the server. Each page's screenshot is saved under the
test's temporary directory (``screenshots/``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Request

from tests.e2e.llmreg_e2e import PROGRAMS, PROJECT, STACK, random_key, server_registry
from tests.harness.fixtures import require_pulumi_bin
from tests.harness.pulumi_engine import PulumiWorkspace
from tests.server.conftest import make_token
from tests.store import records as r

pytestmark = pytest.mark.e2e

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
"""A record's name, description and prompt: it must show as these characters and run nothing."""


@dataclass
class Deployed:
    url: str
    admin: str
    read_shop: str
    outputs: dict[str, Any]
    keys: list[str]
    """The stack's plaintext API keys: no page may hold them."""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The lifecycle stack deployed through a real ``llmreg serve`` (then a staged key-pair
    rotation of ``prd``), plus a product ``other`` with hostile names, made by the admin."""
    root = tmp_path_factory.mktemp("console-e2e")
    keys = [random_key("dev"), random_key("prd")]
    with server_registry(root) as reg:
        assert reg.server_url is not None and reg.admin_token is not None
        ws = PulumiWorkspace(
            root / "stack",
            PROGRAMS / "lifecycle.py",
            bin_dir=require_pulumi_bin(),
            project=PROJECT,
            stack=STACK,
            env=reg.env,
            config=reg.config,
            secrets={**reg.secrets, "devKey": keys[0], "prdKey": keys[1]},
        )
        ws.up()
        ws.config_set("prdRotation", "1")
        ws.up()
        auth = {"Authorization": f"Bearer {reg.admin_token}"}
        with httpx.Client(base_url=reg.server_url, headers=auth, timeout=30) as admin:
            for record, path in [
                (r.product("other", name=HOSTILE), "/v1/products/other"),
                (
                    r.model("other", "evil", name=HOSTILE, description=HOSTILE),
                    "/v1/products/other/models/evil",
                ),
                (
                    r.agent(
                        "other",
                        "evil",
                        model="evil",
                        name=HOSTILE,
                        description=HOSTILE,
                        systemPrompt=HOSTILE,
                        tools=[{"name": "t", "description": HOSTILE}],
                    ),
                    "/v1/products/other/agents/evil",
                ),
            ]:
                admin.put(path, json=record.to_wire()).raise_for_status()
            read_shop = make_token(admin, "console-reader", "read", "shop")
        yield Deployed(reg.server_url, reg.admin_token, read_shop, ws.outputs(), keys)


@pytest.fixture
def context(browser: Browser, deployed: Deployed) -> Iterator[BrowserContext]:
    """A fresh browser profile; every request it makes must go to the server itself."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []

    def seen(request: Request) -> None:
        requests.append(request.url)

    ctx.on("request", seen)
    try:
        yield ctx
    finally:
        ctx.close()
    assert requests, "the page made no request at all"
    elsewhere = [u for u in requests if not u.startswith(deployed.url + "/")]
    assert not elsewhere, f"requests that left the server: {elsewhere}"


def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def sign_in(page: Page, deployed: Deployed, token: str) -> None:
    page.goto(deployed.url + "/console/")
    assert page.url == deployed.url + "/console/sign-in", "no session: the sign-in page"
    page.fill("#token", token)
    page.click("form.sign-in button")
    page.wait_for_url(deployed.url + "/console/")


def no_secret_on(page: Page, deployed: Deployed, *tokens: str) -> None:
    html = page.content()
    for secret in [*deployed.keys, deployed.admin, *tokens]:
        assert secret not in html
        assert secret not in page.url


def cell(page: Page, env: str, setting: str) -> tuple[str, str | None]:
    """(value, layer) of a resolved table's cell."""
    td = page.locator(f'td[data-env="{env}"][data-setting="{setting}"]').first
    value = td.locator(".value")
    layer = td.locator(".layer")
    text = value.inner_text() if value.count() else "—"
    return text, layer.inner_text() if layer.count() else None


def test_a_person_signs_in_reads_every_page_and_signs_out(
    context: BrowserContext, deployed: Deployed, tmp_path: Path
) -> None:
    page = context.new_page()
    folder = shots(tmp_path)
    page.goto(deployed.url + "/console/")
    page.screenshot(path=str(folder / "sign-in.png"))
    sign_in(page, deployed, deployed.read_shop)
    cookie = next(c for c in context.cookies() if c["name"] == "llmreg_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert deployed.read_shop not in cookie["value"]

    # Products: only the token's product, with its counts.
    main = page.locator("main")
    assert "shop" in main.inner_text() and "other" not in main.inner_text()
    row = page.locator("tr", has=page.locator('a[href="/console/products/shop"]'))
    assert re.search(r"\b2\s+2\b", row.inner_text()), row.inner_text()  # 2 models, 2 agents
    page.screenshot(path=str(folder / "products.png"), full_page=True)
    no_secret_on(page, deployed, deployed.read_shop)

    # The product: envs (prd's rotation is staged), models with fingerprints, agents.
    page.click('a[href="/console/products/shop"]')
    page.wait_for_url("**/console/products/shop")
    text = page.locator("main").inner_text()
    key_ids = deployed.outputs["key_ids"]
    for env in ("dev", "stg", "prd"):
        assert key_ids[env] in text
    prd = page.locator("tr", has=page.locator('.env:text-is("prd")')).first
    assert "staged" in prd.inner_text()
    for fp in deployed.outputs["fingerprints"].values():
        assert fp in text
    assert "lookup_order" in text and "summarizer" in text and "anthropic" in text
    page.screenshot(path=str(folder / "product.png"), full_page=True)
    no_secret_on(page, deployed, deployed.read_shop)

    # The agent: every resolved value the stack exports, with its layer, env by env.
    page.click('a[href="/console/products/shop/agents/support"]')
    page.wait_for_url("**/agents/support")
    resolved = deployed.outputs["support_resolved"]
    assert set(resolved) == {"dev", "prd"}
    for env, config in resolved.items():
        for setting, layer in config["provenance"].items():
            value = config[setting]
            shown = str(value) if not isinstance(value, list) else None
            got = cell(page, env, setting)
            assert got[1] == layer, (env, setting, got)
            if shown is not None:
                assert got[0] == shown, (env, setting, got)
        assert cell(page, env, "model")[0] == config["model"]
        assert cell(page, env, "provider")[0] == config["provider"]
    assert cell(page, "dev", "temperature") == ("0.3", "env")
    assert cell(page, "prd", "temperature") == ("0.7", "model")
    assert cell(page, "prd", "maxTokens") == ("2000", "agent")
    assert cell(page, "prd", "baseUrl")[0] == "https://llm-gw.internal/anthropic"
    assert "no configuration" in page.locator('td[data-env="stg"]').first.inner_text()
    assert "You help customers." in page.locator("pre.prompt").inner_text()
    assert '"required"' in page.locator("section.tool pre").inner_text()
    page.screenshot(path=str(folder / "agent.png"), full_page=True)
    no_secret_on(page, deployed, deployed.read_shop)

    # On a phone: nothing wider than the screen but the tables' own scrolling boxes.
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    page.screenshot(path=str(folder / "agent-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The model, from the agent's link: its envs and fingerprints; its agents.
    page.click('main a[href="/console/products/shop/models/sonnet"]')
    page.wait_for_url("**/models/sonnet")
    text = page.locator("main").inner_text()
    for fp in deployed.outputs["fingerprints"].values():
        assert fp in text
    assert cell(page, "dev", "temperature") == ("0.7", "model")
    assert cell(page, "prd", "maxTokens") == ("4096", "model")
    assert "support" in page.locator("main").inner_text()
    page.screenshot(path=str(folder / "model.png"), full_page=True)

    # History: newest first; filtered to one record through the form.
    page.click('header a[href="/console/history"]')
    page.wait_for_url("**/console/history")
    assert page.locator("tbody tr").count() >= 5
    page.select_option('select[name="kind"]', "agents")
    page.fill('input[name="tag"]', "support")
    page.click("form.filters button")
    page.wait_for_url("**/console/history?*")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert "agent shop/support" in rows.nth(i).inner_text()
    page.screenshot(path=str(folder / "history.png"), full_page=True)
    no_secret_on(page, deployed, deployed.read_shop)

    # Sign out: the session is gone.
    page.click("form.sign-out button")
    page.wait_for_url("**/console/sign-in")
    assert not [c for c in context.cookies() if c["name"] == "llmreg_console"]
    page.goto(deployed.url + "/console/products/shop")
    assert page.url.endswith("/console/sign-in")


def test_revoking_the_token_ends_the_session(context: BrowserContext, deployed: Deployed) -> None:
    auth = {"Authorization": f"Bearer {deployed.admin}"}
    with httpx.Client(base_url=deployed.url, headers=auth, timeout=30) as admin:
        token = make_token(admin, f"soon-revoked-{secrets.token_hex(3)}", "read", "shop")
        page = context.new_page()
        sign_in(page, deployed, token)
        page.goto(deployed.url + "/console/products/shop")
        assert page.url.endswith("/console/products/shop")
        assert admin.delete(f"/v1/tokens/{token.split('_')[1]}").status_code == 204
    page.goto(deployed.url + "/console/products/shop")
    assert page.url.endswith("/console/sign-in"), "a revoked token's session is refused"
    assert not [c for c in context.cookies() if c["name"] == "llmreg_console"]


def test_a_product_token_cannot_reach_another_product(
    context: BrowserContext, deployed: Deployed
) -> None:
    page = context.new_page()
    sign_in(page, deployed, deployed.read_shop)
    assert "other" not in page.locator("main").inner_text()
    for path in (
        "/console/products/other",
        "/console/products/other/models/evil",
        "/console/products/other/agents/evil",
        "/console/history?product=other",
    ):
        answer = page.goto(deployed.url + path)
        assert answer is not None and answer.status == 404, path
        assert "pwned" not in page.content() and "evil" not in page.locator("main").inner_text()
    page.goto(deployed.url + "/console/history")
    assert "other" not in page.locator("tbody").inner_text()


def test_hostile_names_render_as_text_and_run_nothing(
    context: BrowserContext, deployed: Deployed, tmp_path: Path
) -> None:
    page = context.new_page()
    dialogs: list[str] = []

    def dialog(d: Dialog) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    sign_in(page, deployed, deployed.admin)
    for path in (
        "/console/",
        "/console/products/other",
        "/console/products/other/models/evil",
        "/console/products/other/agents/evil",
        "/console/history?product=other",
    ):
        answer = page.goto(deployed.url + path)
        assert answer is not None and answer.status == 200, path
        headers = answer.headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        if path != "/console/history?product=other":
            assert HOSTILE in page.locator("main").inner_text(), path
        assert page.evaluate("document.querySelectorAll('img, script').length") == 0, path
        assert page.title() != "pwned" and "pwned" not in page.title(), path
    page.goto(deployed.url + "/console/products/other/agents/evil")
    page.screenshot(path=str(shots(tmp_path) / "hostile-agent.png"), full_page=True)
    assert not dialogs

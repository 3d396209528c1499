"""The landing page in a real headless Chromium: token in, services and findings out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.server.conftest import ServerHandle
from tests.server.helpers import eta_record

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _switched(i: int, ts: float, prefix: str) -> dict:
    """A record whose prep_time_s arrived in milliseconds, refused by the contract and served by the rules."""
    r = eta_record(i, ts, prefix=prefix)
    r["inputs"]["prep_time_s"] *= 1000
    r.update(source="rules", violations=[{"field": "prep_time_s", "kind": "range", "message": "above the maximum 7200", "required": True}])
    return r


def test_landing_page_shows_open_incidents_first_and_recently_resolved_ones_apart(module_server: ServerHandle, page) -> None:
    now = time.time()
    w_open = (now - 60) // 300 * 300 - 300  # a closed window: the fault is still the latest thing seen
    w_old = (now - 7200) // 300 * 300  # two hours ago, with clean windows after it: resolved
    records = [_switched(i, w_open + i, "web") for i in range(200)] + [_switched(i, w_old + i, "old") for i in range(200)]
    records += [eta_record(i, w_old + 300 + i * 3, prefix="clean") for i in range(200)]  # 10 clean minutes after the old one
    with module_server.client() as c:
        assert c.post("/v1/services/eta/predictions", json={"records": records}).json()["accepted"] == 600
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            data = c.get("/v1/services/eta/findings", params={"since": "-1d"}).json()
            if sorted(i["state"] for i in data["incidents"] if i["cause"]["kind"] == "unit") == ["open", "resolved"]:
                break
            time.sleep(0.25)
    (open_unit,) = [i for i in data["incidents"] if i["cause"]["kind"] == "unit" and i["state"] == "open"]

    page.goto(module_server.url + "/")
    page.fill("#token", "tt_not-a-token")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:has-text('not accepted')")

    page.fill("#token", module_server.token)
    page.click("button[type=submit]")
    card = page.locator(".service[data-service=eta]")
    card.locator("table.incidents.resolved tr.cause").first.wait_for(timeout=15_000)
    assert card.locator("h2").inner_text() == "eta"
    assert "600 records" in card.locator(".meta").first.inner_text()
    assert card.locator("h3").all_inner_texts() == ["Open", "Recently resolved"]  # open first, resolved apart
    causes = [r.inner_text() for r in card.locator("table.incidents.open tr.cause").all()]
    assert len(causes) == 1 and causes[0].startswith("critical\tunit prep_time_s\t") and "milliseconds" in causes[0]
    under = card.locator(f"table.incidents.open tr.consequence[data-cause='{open_unit['cause']['id']}']").all_inner_texts()
    assert {line.split("\t")[1] for line in under} >= {"└ range prep_time_s", "└ fallback"}
    resolved = [r.inner_text() for r in card.locator("table.incidents.resolved tr.cause").all()]
    assert len(resolved) == 1 and "unit prep_time_s" in resolved[0]
    assert "1 open · 1 critical · 1 resolved in the last day" in card.locator(".counts").inner_text()

    page.reload()  # the token is remembered by this browser
    page.locator(".service[data-service=eta] tr.cause").first.wait_for(timeout=15_000)
    assert page.locator("#login").is_hidden()
    assert page.locator("#project").inner_text() == "project default"

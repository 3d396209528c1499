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


def test_landing_page_lists_services_and_their_latest_findings(module_server: ServerHandle, page) -> None:
    now = time.time()
    records = [eta_record(i, now - 240 + i, prefix="web") for i in range(200)]
    for r in records:
        r["inputs"]["prep_time_s"] *= 1000  # the upstream switched to milliseconds
    with module_server.client() as c:
        assert c.post("/v1/services/eta/predictions", json={"records": records}).json()["accepted"] == 200

    page.goto(module_server.url + "/")
    page.fill("#token", "tt_not-a-token")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:has-text('not accepted')")

    page.fill("#token", module_server.token)
    page.click("button[type=submit]")
    card = page.locator(".service[data-service=eta]")
    card.locator("tr.finding").first.wait_for(timeout=15_000)
    assert card.locator("h2").inner_text() == "eta"
    assert "200 records" in card.locator(".meta").first.inner_text()
    rows = [r.inner_text() for r in card.locator("tr.finding").all()]
    unit = [r for r in rows if "\tunit\t" in r]
    assert len(unit) == 1 and "prep_time_s" in unit[0] and "milliseconds" in unit[0]
    severities = [r.split("\t")[0] for r in rows]
    counts = card.locator(".counts").inner_text()
    assert f"{severities.count('critical')} critical" in counts and f"{severities.count('warning')} warning" in counts

    page.reload()  # the token is remembered by this browser
    page.locator(".service[data-service=eta] tr.finding").first.wait_for(timeout=15_000)
    assert page.locator("#login").is_hidden()
    assert page.locator("#project").inner_text() == "project default"

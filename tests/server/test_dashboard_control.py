"""The dashboard's override in a real headless Chromium (issue 9.3): a person with an admin
token sets the control mode with a reason; the audit log and GET control say so; a read
token is refused and changes nothing."""

from __future__ import annotations

import pytest

from telltale.store import Store
from tests.server.conftest import ServerHandle
from tests.server.test_dashboard import page  # noqa: F401  (the headless Chromium fixture)

pytestmark = pytest.mark.browser


def _login(page, url: str, token: str) -> None:  # noqa: F811
    page.goto(url + "/")
    if page.locator("#logout").is_visible():
        page.click("#logout")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.locator(".service[data-service=eta] .control .current").wait_for(timeout=15_000)


def _override(card, mode: str, by: str, reason: str) -> None:
    card.locator("select[name=mode]").select_option(mode)
    card.locator("input[name=by]").fill(by)
    card.locator("input[name=reason]").fill(reason)
    card.locator("form.override button[type=submit]").click()


def test_a_person_sets_fallback_from_the_page_and_the_audit_log_says_who_and_why(module_server: ServerHandle, page) -> None:  # noqa: F811
    store = Store.open(module_server.db_url)
    try:
        reader = store.create_token("default", scope="read", name="wallboard")
    finally:
        store.close()

    _login(page, module_server.url, reader)
    card = page.locator(".service[data-service=eta]")
    assert card.locator(".control .current .mode").inner_text() == "mode normal"
    assert card.locator("select[name=mode] option").all_inner_texts() == ["normal", "canary_stopped", "rollback", "review", "fallback"]
    _override(card, "fallback", "ana", "looking at it")
    card.locator(".control .status.error").wait_for(timeout=10_000)
    assert card.locator(".control .status").inner_text().startswith("changing the mode needs an admin token: ")
    with module_server.client() as c:
        assert c.get("/v1/services/eta/control").json()["mode"] == "normal"  # refused: nothing changed

    _login(page, module_server.url, module_server.token)
    card = page.locator(".service[data-service=eta]")
    _override(card, "fallback", "ana", "the canary's answers look wrong; serving rules until we know")
    page.wait_for_function("() => document.querySelector('.service[data-service=eta] .control .current .mode')"
                           "?.textContent === 'mode fallback'", timeout=15_000)
    with module_server.client() as c:
        control = c.get("/v1/services/eta/control").json()
        audit = c.get("/v1/services/eta/control/audit").json()["changes"]
    assert (control["mode"], control["by"], control["reason"]) == (
        "fallback", "person:ana", "the canary's answers look wrong; serving rules until we know")
    assert [(e["from"], e["to"], e["actor"], e["reason"]) for e in audit] == [
        ("normal", "fallback", "person:ana", "the canary's answers look wrong; serving rules until we know")]
    row = card.locator(".control table.audit tbody tr").first.inner_text().split("\t")
    assert row[1:] == ["normal → fallback", "person:ana", "the canary's answers look wrong; serving rules until we know"]
    assert "set by person:ana" in card.locator(".control .current").inner_text()

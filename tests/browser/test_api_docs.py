"""/api/docs: the API's readable page, served by Calldesk itself under the site's strict CSP."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_the_api_docs_page_shows_every_endpoint_with_nothing_blocked_or_fetched_elsewhere(
    live_url: str, page: Page
) -> None:
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: None if request.url.startswith(live_url) else elsewhere.append(request.url))
    page.goto(live_url + "/api/docs")
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("Calldesk API")
    for path in ("/api/calls", "/api/calls/hangup", "/api/v1/cti/{token}", "/api/reports", "/api/forms/{report_ver}"):
        expect(page.locator(f".opblock-summary-path[data-path='{path}']").first).to_be_visible()
    assert elsewhere == []
    assert [text for text in problems if "Content Security Policy" in text] == []

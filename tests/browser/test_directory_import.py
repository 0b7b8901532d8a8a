"""The directory import page in Chromium: upload a datapackage, watch the background import's
progress bar move as the page polls the job's status, see what was imported; a file with a
problem imports nothing and says where. axe-core finds nothing on the page or a service's page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from calldesk.resources.generate import make_directory, write_datapackage
from calldesk.resources.models import Service
from tests.browser.conftest import Login
from tests.browser.test_accessibility import axe_source, violations
from tests.cast import Cast
from tests.test_resources_admin import zipped

# Records every value the bar and the state line take (the page's script sets them).
WATCH = """() => {
    window.seen = [];
    const bar = document.getElementById("import-progress");
    const state = document.getElementById("import-state");
    const note = () => window.seen.push([bar.getAttribute("value"), state.textContent]);
    new MutationObserver(note).observe(bar, {attributes: true});
    new MutationObserver(note).observe(state, {childList: true, characterData: true, subtree: true});
}"""


def zip_file(folder: Path, target: Path) -> Path:
    target.write_bytes(zipped(folder).getvalue())
    return target


def test_the_import_s_progress_bar_follows_the_background_import(
    live_url: str, cast: Cast, page: Page, login: Login, tmp_path: Path
) -> None:
    # Large enough that the import takes a few polls.
    rows = make_directory(services=1500, locations=900, terms=40)
    upload = zip_file(write_datapackage(rows, tmp_path / "pkg"), tmp_path / "directory.zip")
    login(page, cast.admin)
    page.goto("/resources/admin/")
    expect(page.locator("#import-job")).to_be_hidden()
    page.evaluate(WATCH)
    page.set_input_files("#id_file", str(upload))
    page.click("#import-button")
    state = page.locator("#import-state")
    expect(state).to_contain_text("Imported: ", timeout=180_000)
    expect(state).to_contain_text("service: 1500 added")
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    seen = page.evaluate("window.seen")
    polled = [int(v) for v, text in seen if text.startswith("Importing:") and v is not None]
    assert polled, seen
    assert polled == sorted(polled) and any(0 < v < 100 for v in polled), polled
    assert any("writing" in text or "reading" in text for _, text in seen)
    expect(page.locator("#import-button")).to_be_enabled()
    assert Service.objects.filter(owner=cast.org_a).count() == 1500

    # The page, reloaded, shows the finished import; axe-core finds nothing on it.
    page.reload()
    expect(page.locator("#import-state")).to_contain_text("Imported: ")
    problems = violations(page, axe_source())
    service = Service.objects.filter(owner=cast.org_a).order_by("name").first()
    assert service is not None
    page.goto(f"/resources/admin/services/{service.id}/")
    expect(page.locator("#phones")).to_be_visible()
    problems += violations(page, axe_source())
    page.get_by_role("link", name="Add a schedule").click()
    page.fill("#id_freq", "DAILY")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("'DAILY' must be one of: WEEKLY, MONTHLY")
    problems += violations(page, axe_source())
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_a_refused_file_imports_nothing_and_the_page_says_where(
    live_url: str, cast: Cast, page: Page, login: Login, tmp_path: Path
) -> None:
    rows = make_directory(services=6, locations=3, terms=8)
    rows["location"][1]["latitude"] = "123"
    upload = zip_file(write_datapackage(rows, tmp_path / "pkg"), tmp_path / "broken.zip")
    login(page, cast.admin)
    page.goto("/resources/admin/")
    page.set_input_files("#id_file", str(upload))
    page.click("#import-button")
    expect(page.locator("#import-state")).to_have_text("Nothing was imported:")
    expect(page.locator("#import-result")).to_contain_text("locations.csv, row 3, column latitude")
    assert Service.objects.count() == 0

"""A screen pop uses the form as it is now, whichever server process answers it and whichever
process changed the form: a change made by another process (another machine's admin page, `calldesk
config import`) reaches the next pop in every worker of a running server, with no restart."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.cast import PASSWORD
from tests.server_process import Server, login, manage, scratch_database

pytestmark = pytest.mark.slow
POPS = 12  # each on a new connection, so both of the server's worker processes answer some

CHANGE_MAPPING = """
from calldesk.callforms.definition import MappingRule
from calldesk.callforms.models import CallForm
from calldesk.callforms.services import replace_mappings
form = CallForm.objects.get(report_ver="9991234")
youth = MappingRule("dnis", "8886202222", "incoming_line", "Main line")
rules = [MappingRule(m.parameter, m.value, m.field_key, m.field_value) for m in form.mappings.all()]
rules = [youth if rule.value == "8886202222" else rule for rule in rules]
assert replace_mappings(form, rules)
"""

PUBLISH = """
from calldesk.callforms.models import CallForm
from calldesk.callforms.services import publish_revision
from tests.cast import FORM_A_DEFINITION
form = CallForm.objects.get(report_ver="9991234")
fields = [*FORM_A_DEFINITION["fields"], {"key": "callback", "label": "Callback wanted", "type": "yes_no"}]
assert publish_revision(form, {"fields": fields}).number == 2
"""


def pop(server: Server, cookies: httpx.Cookies, n: int) -> tuple[str, str]:
    """A screen pop on a connection of its own: (the report's public id, the editor page)."""
    answer = httpx.get(f"{server.url}/Telephony/GetCallReport?reportVer=9991234&dnis=8886202222&x={n}", cookies=cookies)
    assert answer.status_code == 303, answer.text[:300]
    page = httpx.get(server.url + answer.headers["location"], cookies=cookies)
    assert page.status_code == 200
    return answer.headers["location"].strip("/").split("/")[-1], page.text


READ_DRAFTS = """
import json
from calldesk.reports.models import CallReport
print(json.dumps({
    str(report.public_id): [report.call.resolved.get("incoming_line"), report.revision.number]
    for report in CallReport.objects.select_related("call", "revision")
}))
"""


def lines_and_revisions(database_url: str, reports: list[str]) -> set[tuple[str, int]]:
    """What the drafts were opened with, read through the app (the call's values are sealed)."""
    drafts = json.loads(manage(database_url, "shell", "-c", READ_DRAFTS).strip().splitlines()[-1])
    return {tuple(drafts[report]) for report in reports}  # type: ignore[misc]


def test_a_mapping_change_and_a_publish_in_another_process_reach_the_next_pop_in_every_worker() -> None:
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "shell", "-c", "from tests.cast import make_cast; make_cast()")
        server = Server(database_url)
        server.start()
        try:
            with httpx.Client(base_url=server.url) as client:
                login(client, "sam@lifeline.example", PASSWORD)
                cookies = client.cookies
            opened = [pop(server, cookies, n) for n in range(POPS)]  # every worker has read the form now
            assert lines_and_revisions(database_url, [report for report, _ in opened]) == {("Youth line", 1)}
            assert not any("Callback wanted" in page for _, page in opened)

            manage(database_url, "shell", "-c", CHANGE_MAPPING)
            opened = [pop(server, cookies, n) for n in range(POPS, 2 * POPS)]
            assert lines_and_revisions(database_url, [report for report, _ in opened]) == {("Main line", 1)}

            manage(database_url, "shell", "-c", PUBLISH)
            opened = [pop(server, cookies, n) for n in range(2 * POPS, 3 * POPS)]
            assert lines_and_revisions(database_url, [report for report, _ in opened]) == {("Main line", 2)}
            assert all("Callback wanted" in page for _, page in opened)
        finally:
            server.stop()

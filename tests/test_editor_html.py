"""The editor page made cheaper to render shows exactly what it showed before: the
fields and close buttons written in Python (reports.editor_html), `|stamp` for `|date`, the
context's ready-made values. The same elements, attributes, ids, classes, order and text; only
the whitespace between tags may differ. Every page below is served, then rendered again from the
same values with the templates as they were (tests/templates_before_issue11, verbatim), and the
two compared. Caller data stays escaped."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.template import Context, Engine, RequestContext, engines
from django.test import Client
from django.utils import timezone
from django.utils.safestring import SafeString

from calldesk.accounts.models import User
from calldesk.callforms.definition import CallType, Definition, FieldType, parse_definition
from calldesk.callforms.models import CallForm
from calldesk.callforms.services import publish_revision
from calldesk.configure.views import forms as configure_forms
from calldesk.reports import views
from calldesk.reports.editor_html import close_buttons_html, fields_html
from calldesk.reports.forms import EditorField, Option, editor_fields
from tests.cast import Cast
from tests.reporting import EVERY_TYPE, JSON, editor_data, open_draft

# The editor's templates as they were before reports.editor_html, verbatim.
BEFORE = Path(__file__).parent / "templates_before_issue11"
HOSTILE = "<script>alert(1)</script>&amp;\"'"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&quot;&#x27;"
# A form whose own texts are hostile too: an admin's label, help text and choices are data as well.
HOSTILE_FIELDS: list[dict[str, Any]] = [
    {**item, "help_text": f"Help for {item['label']} {HOSTILE}"} for item in EVERY_TYPE if item["key"] != "risk"
] + [
    {"key": "risk", "label": f"Risk {HOSTILE}", "type": "yes_no", "required": True},
    {"key": "odd", "label": "Odd", "type": "choice", "choices": [f"A {HOSTILE}", "B & C"]},
    {"key": "odder", "label": "Odder", "type": "multi_choice", "choices": [f"X {HOSTILE}", "Y"], "required": True},
]


@functools.cache
def old_engine() -> Engine:
    """The project's template engine, with the old editor templates found first."""
    served = engines["django"].engine  # type: ignore[attr-defined]
    return Engine(
        dirs=[BEFORE, *served.dirs],
        app_dirs=served.app_dirs,
        context_processors=served.context_processors,
        libraries=served.libraries,
        builtins=served.builtins,
    )


def old_fields_html(fields: list[EditorField]) -> SafeString:
    return SafeString(old_engine().get_template("reports/_fields.html").render(Context({"fields": fields})))


RISK_PANEL = (
    r'(<link[^>]*risk\.css[^>]*>\s*)?<section class="card risk-panel".*?</section>'
    r'\s*<script src="[^"]*risk-editor[^"]*"[^>]*></script>'
)


def normalised(page: str) -> str:
    """The page with its per-render tokens left out and the whitespace between tags as one space."""
    page = re.sub(r'name="(csrfmiddlewaretoken|submit_key)" value="[^"]*"', r'name="\1"', page)
    # The imminent-risk panel came after the old templates (its own tests: tests/test_risk.py).
    page = re.sub(RISK_PANEL, "", page, flags=re.S)
    return re.sub(r">\s+<", "> <", page).strip()


def the_fields(page: str) -> str:
    start = page.index('<div class="builtins">')
    return page[start : page.index('<div class="editor-bar"', start)]


# What the view hands its template now and did not before: the old templates work these out.
NEW_IN_CONTEXT = {"builtin_html", "custom_html", "report_url", "close_buttons", "conflict", "submit_failed"}


def assert_same_both_ways(
    monkeypatch: pytest.MonkeyPatch, module: Any, render: Callable[[], str], *expected: str
) -> str:
    """`render()` as served, and again with the old editor templates: the same page.

    The view is watched for what it hands its template; the old templates get the context the
    view handed them before (the fields, the call types, the page's `extra`), from the same
    values. Returns the page."""
    fields: list[list[EditorField]] = []
    extra: dict[str, Any] = {}
    rendered: list[tuple[HttpRequest, str, dict[str, Any]]] = []
    served_fields, served_render = module.fields_html, module.render
    served_editor = getattr(module, "_editor", None)

    def watched_fields(items: list[EditorField]) -> SafeString:
        fields.append(items)
        return served_fields(items)

    def watched_editor(*args: Any, status: int = 200, **kwargs: Any) -> HttpResponse:
        extra.update(kwargs)
        return served_editor(*args, status=status, **kwargs)

    def watched_render(request: HttpRequest, name: str, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        rendered.append((request, name, context))
        return served_render(request, name, context, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(module, "fields_html", watched_fields)
        patched.setattr(module, "render", watched_render)
        if served_editor is not None:
            patched.setattr(module, "_editor", watched_editor)
        served = render()
    [(request, name, context)] = rendered
    old_context = {key: value for key, value in context.items() if key not in NEW_IN_CONTEXT}
    old_context.update(extra, builtin_fields=fields[0], custom_fields=fields[1])
    if "report" in context:  # not on the form preview
        call_types = context["report"].revision.definition.call_types
        old_context["non_data_types"] = [c for c in call_types if not c.data]
    old = old_engine().get_template(name).render(RequestContext(request, old_context))
    assert 'class="field' in served
    assert normalised(served) == normalised(old)
    for text in expected:
        assert text in served, text
    return served


def page_of(client: Client, url: str, method: str = "get", data: Any = None, status: int = 200) -> Callable[[], str]:
    def render() -> str:
        response = client.post(url, data) if method == "post" else client.get(url)
        assert response.status_code == status, response.content[:500]
        return response.content.decode()

    return render


# --- the editor of the demo forms -------------------------------------------------------------


def typed_value(kind: str, choices: list[str], hostile: bool) -> Any:
    """A value of each type as typed in the editor, passing its check unless `hostile`."""
    if kind == FieldType.MULTI_CHOICE:
        return [choices[-1], choices[0], *([HOSTILE] if hostile else [])]
    if kind == FieldType.CHOICE:
        return HOSTILE if hostile else choices[-1]
    if kind == FieldType.YES_NO:
        return HOSTILE if hostile else "true"
    return {
        FieldType.TEXT: "Text " + HOSTILE,
        FieldType.LONG_TEXT: "\nTwo\n lines " + HOSTILE,
        FieldType.NUMBER: "12" + (HOSTILE if hostile else ""),
        FieldType.DATE: "2026-02-30" if hostile else "2026-02-03",
        FieldType.DATETIME: HOSTILE if hostile else "2026-11-30T09:30",
        FieldType.PHONE: HOSTILE if hostile else "(212) 555-0100",
        FieldType.EMAIL: HOSTILE if hostile else "someone@example.org",
    }[kind]


def every_value(definition: Definition, hostile: bool) -> dict[str, Any]:
    return {
        f"f_{item.key}": typed_value(item.type, [c.label for c in item.choices], hostile) for item in definition.fields
    }


@pytest.fixture
def demo(db: None) -> None:
    call_command("demo", stdout=io.StringIO(), stderr=io.StringIO())


def logged_in(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


DEMO_URLS = [
    "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567",
    "/Telephony/GetCallReport?reportVer=1234567&agent=bob%40acme.com&ani=9991234567&dnis=8886201111",
    "/Telephony/GetCallReport?reportVer=1234567&language=112211&callStart=2008-09-22T14:01:54Z",
    "/Telephony/GetCallReport?reportVer=9991234",  # an empty draft: no number, no agent
]


@pytest.mark.parametrize("email", ["maria@acme.com", "sue@acme.com"])  # a specialist; a supervisor's agent list
@pytest.mark.parametrize("url", DEMO_URLS)
def test_a_demo_draft_looks_as_it_did(monkeypatch: pytest.MonkeyPatch, demo: None, email: str, url: str) -> None:
    client = logged_in(email)
    report = open_draft(client, url)
    assert_same_both_ways(monkeypatch, views, page_of(client, f"/reports/{report.public_id}/"), "<select")


@pytest.mark.parametrize("report_ver", ["9991234", "1234567"])
def test_a_demo_draft_with_every_field_filled_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, demo: None, report_ver: str
) -> None:
    client = logged_in("maria@acme.com")
    report = open_draft(client, f"/Telephony/GetCallReport?reportVer={report_ver}&ani=2125550100")
    definition = report.revision.definition
    saved = client.post(
        f"/reports/{report.public_id}/save", editor_data(report, **every_value(definition, False)), **JSON
    )
    assert saved.json()["marked"] == {}
    page = assert_same_both_ways(
        monkeypatch,
        views,
        page_of(client, f"/reports/{report.public_id}/"),
        " checked",
        " selected",
        'id="phone-normalised"',
        ESCAPED,
    )
    assert "has-error" not in the_fields(page)


@pytest.mark.parametrize("report_ver", ["9991234", "1234567"])
def test_a_demo_draft_with_marked_values_and_a_failed_submit_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, demo: None, report_ver: str
) -> None:
    client = logged_in("maria@acme.com")
    report = open_draft(client, f"/Telephony/GetCallReport?reportVer={report_ver}&ani=2125550100")
    typed = editor_data(report, **every_value(report.revision.definition, True), phone=HOSTILE)
    saved = client.post(f"/reports/{report.public_id}/save", typed, **JSON)
    assert saved.json()["marked"]
    marked = (" has-error", 'data-kind="invalid"', "(not a choice)", ESCAPED)
    assert_same_both_ways(monkeypatch, views, page_of(client, f"/reports/{report.public_id}/"), *marked)
    typed["version"] = saved.json()["version"]
    failed = page_of(client, f"/reports/{report.public_id}/submit", "post", typed, status=400)
    page = assert_same_both_ways(monkeypatch, views, failed, *marked, " autofocus", 'id="submit-problems"')
    assert the_fields(page).count(" autofocus") == 1
    assert "<script>alert" not in page


def test_a_failed_submit_of_missing_required_values_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, demo: None
) -> None:
    client = logged_in("maria@acme.com")
    report = open_draft(client, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550100")
    failed = page_of(client, f"/reports/{report.public_id}/submit", "post", editor_data(report), status=400)
    page = assert_same_both_ways(monkeypatch, views, failed, 'data-kind="required"', " autofocus")
    # The first marked field is the multi-choice: the focus goes to its first checkbox only.
    assert 'id="id_f_presenting_issues_0" autofocus>' in page
    assert the_fields(page).count(" autofocus") == 1


# --- a form of every type with hostile texts of its own ----------------------------------------


@pytest.fixture
def hostile_form(cast: Cast) -> CallForm:
    publish_revision(cast.form_a, {"fields": HOSTILE_FIELDS})
    return cast.form_a


@pytest.mark.parametrize("hostile", [False, True])
def test_a_form_of_every_type_with_hostile_texts_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, hostile_form: CallForm, specialist_client: Client, hostile: bool
) -> None:
    report = open_draft(specialist_client)
    empty = assert_same_both_ways(monkeypatch, views, page_of(specialist_client, f"/reports/{report.public_id}/"))
    assert ESCAPED in the_fields(empty)  # the form's own texts
    typed = editor_data(report, **every_value(report.revision.definition, hostile))
    specialist_client.post(f"/reports/{report.public_id}/save", typed, **JSON)
    page = assert_same_both_ways(monkeypatch, views, page_of(specialist_client, f"/reports/{report.public_id}/"))
    assert "<script>alert" not in page
    assert ('data-kind="invalid"' in page) is hostile


def test_the_form_preview_looks_as_it_did(monkeypatch: pytest.MonkeyPatch, hostile_form: CallForm, cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    url = f"/configure/forms/{hostile_form.public_id}/preview/"
    page = assert_same_both_ways(monkeypatch, configure_forms, page_of(client, url), ESCAPED, "aria-describedby")
    assert "<script>alert" not in page


def test_a_correction_of_a_submitted_report_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, cast: Cast, specialist_client: Client
) -> None:
    report = open_draft(specialist_client)
    typed = editor_data(report, f_summary=HOSTILE, call_type="call")
    assert specialist_client.post(f"/reports/{report.public_id}/submit", typed, **JSON).status_code == 200
    specialist_client.get(f"/reports/{report.public_id}/")  # shows (and uses up) "Report submitted."
    edit = page_of(specialist_client, f"/reports/{report.public_id}/edit/")
    assert_same_both_ways(monkeypatch, views, edit, ESCAPED, "Save correction")


# --- the renderer alone, field by field -------------------------------------------------------


def fields_in_every_state() -> Iterator[list[EditorField]]:
    """Each widget with and without value, help, requirement, problems, autofocus, note."""
    options = [Option("", "—", False), Option(HOSTILE, HOSTILE, True), Option("b", "B", False)]
    for widget in ("select", "checkboxes", "textarea", "text", "datetime-local", "tel", "date"):
        for value in ("", " ", HOSTILE, "\n\nlead"):
            for flags in range(16):
                yield [
                    EditorField(
                        f"f_{widget}",
                        f"{widget} {HOSTILE}",
                        widget,
                        value=value,
                        options=[Option(o.value, o.label, o.selected and bool(value)) for o in options],
                        required=bool(flags & 1),
                        help_text=HOSTILE if flags & 2 else "",
                        problems=[HOSTILE, "Second"] if flags & 4 else ["This field is required."] if value else [],
                        inputmode="decimal" if widget == "text" and flags & 8 else "",
                        note=HOSTILE if widget == "tel" and flags & 8 else "",
                        autofocus=bool(flags & 8),
                    ),
                    EditorField("f_next", "Next", "text"),
                ]
    yield []


def test_every_field_state_renders_as_the_template_did() -> None:
    for fields in fields_in_every_state():
        new, old = fields_html(fields), old_fields_html(fields)
        assert normalised(new) == normalised(old), fields
        # Whitespace inside a textarea is its value: exact, not normalised.
        assert re.findall(r"<textarea[^>]*>(.*?)</textarea>", new, re.S) == re.findall(
            r"<textarea[^>]*>(.*?)</textarea>", old, re.S
        )


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_values_come_back_as_text_never_as_markup() -> None:
    definition = parse_definition({"fields": HOSTILE_FIELDS})
    shown: dict[str, Any] = {f"f_{item.key}": HOSTILE for item in definition.fields}
    shown["f_topics"] = [HOSTILE]
    shown.update(agent=HOSTILE, call_start=HOSTILE, phone=HOSTILE, call_type=HOSTILE)
    problems = {name: f"Problem {HOSTILE}" for name in shown}
    builtins, custom = editor_fields(definition, shown, problems, [], "US")
    for item in (*builtins, *custom):
        item.autofocus = True
    parsed = Elements()
    parsed.feed(fields_html([*builtins, *custom]))
    assert "script" not in {tag for tag, _ in parsed.tags}
    values = [value for _, attrs in parsed.tags for name, value in attrs if name == "value"]
    assert HOSTILE in values  # an attribute's value comes back exactly as typed, and stays in it
    assert f"Problem {HOSTILE}" in parsed.text
    assert f"Risk {HOSTILE} " in parsed.text  # before the required mark
    attributes = {name for _, attrs in parsed.tags for name, _ in attrs}
    assert attributes <= {
        "class", "id", "name", "value", "type", "for", "title", "rows", "role", "data-kind",
        "aria-required", "aria-describedby", "autofocus", "selected", "checked", "step", "inputmode",
    }  # fmt: skip


# --- `|stamp`, the editor's `|date` -------------------------------------------------------------

MOMENTS = [
    datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, 7, 123456, tzinfo=UTC),  # 01:30 in New York, twice that night
    datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC),  # New York's spring gap
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 29, 9, 5, 3),  # naive
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Chatham", "Asia/Kathmandu"])
@pytest.mark.parametrize("pattern", ["Y-m-d H:i:s", "Y-m-d H:i", "H:i:s", "Y-m-d H:i:s T", "D"])
def test_stamp_shows_what_date_shows(zone: str, pattern: str) -> None:
    def shown(page: str, value: object) -> str:
        try:
            return engines["django"].from_string(page).render({"v": value, "pattern": pattern})
        except (OverflowError, TypeError) as error:  # no local time that far out; hours of a date
            return type(error).__name__  # both filters fail alike

    with timezone.override(zone):
        for value in [*MOMENTS, date(2026, 2, 3), None, "", "not a time"]:
            assert shown("{{ v|stamp:pattern }}", value) == shown("{{ v|date:pattern }}", value), (value, zone)


# --- the close buttons ------------------------------------------------------------------------


def test_the_close_buttons_escape_the_call_types() -> None:
    buttons = close_buttons_html("/reports/x/", [CallType(f"k{HOSTILE}", f"Hang-UP {HOSTILE}", False)])
    parsed = Elements()
    parsed.feed(buttons)
    assert [tag for tag, _ in parsed.tags] == ["button"]
    assert ("value", f"k{HOSTILE}") in parsed.tags[0][1]
    assert f"Close as hang-up {HOSTILE.lower()}" in parsed.text


def test_a_form_with_hostile_call_types_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, cast: Cast, specialist_client: Client
) -> None:
    call_types = [
        {"key": "call", "label": "Call", "data": True},
        {"key": "hang_up", "label": f"Hang-Up {HOSTILE}", "data": False},
        {"key": "prank", "label": "Prank ÄÖ", "data": False},
    ]
    publish_revision(cast.form_a, {"fields": EVERY_TYPE, "call_types": call_types})
    report = open_draft(specialist_client)
    page = assert_same_both_ways(monkeypatch, views, page_of(specialist_client, f"/reports/{report.public_id}/"))
    assert "Close as hang-up &lt;script&gt;" in page
    assert "Close as prank äö" in page


def test_a_form_without_close_types_looks_as_it_did(
    monkeypatch: pytest.MonkeyPatch, cast: Cast, specialist_client: Client
) -> None:
    publish_revision(
        cast.form_a, {"fields": EVERY_TYPE, "call_types": [{"key": "call", "label": "Call", "data": True}]}
    )
    report = open_draft(specialist_client)
    page = assert_same_both_ways(monkeypatch, views, page_of(specialist_client, f"/reports/{report.public_id}/"))
    assert "Close as" not in page


def test_a_conflict_looks_as_it_did(monkeypatch: pytest.MonkeyPatch, cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    stale = editor_data(report, f_summary="Mine " + HOSTILE)
    theirs = editor_data(report, f_summary="Theirs")
    assert specialist_client.post(f"/reports/{report.public_id}/save", theirs, **JSON).status_code == 200
    conflict = page_of(specialist_client, f"/reports/{report.public_id}/save", "post", stale, status=409)
    page = assert_same_both_ways(monkeypatch, views, conflict, 'id="conflict"', "Mine " + ESCAPED)
    assert "<script>alert" not in page

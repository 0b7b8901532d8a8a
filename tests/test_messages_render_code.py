"""Messages show their `quoted` parts as code, never raw backticks, on every page; the field
editor names a row by the position it shows and marks that row."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.cast import Cast
from tests.test_configure_forms import FORM_A_ROWS, definition_post


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def visible_text_has_no_backticks(html: str) -> bool:
    """Backticks outside scripts and form values (where a typed value may hold one)."""
    body = re.sub(r"<script.*?</script>|<textarea.*?</textarea>|value=\"[^\"]*\"", "", html, flags=re.S)
    return "`" not in body


def test_a_refused_mapping_shows_the_choice_as_code(cast: Cast, ada: Client) -> None:
    data = {"parameter": "lang", "field_key": "language", "field_value": "Klingon"}
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/mappings/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<code>Klingon</code> is not a choice of Language" in html
    assert visible_text_has_no_backticks(html)


def test_a_quoted_value_is_still_escaped(cast: Cast, ada: Client) -> None:
    data = {"parameter": "lang", "field_key": "language", "field_value": "<b>x</b>"}
    html = ada.post(f"/configure/forms/{cast.form_a.public_id}/mappings/", data).content.decode()
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code> is not a choice of Language" in html
    assert "<b>x</b>" not in html


def test_a_flash_message_after_publishing_shows_code(cast: Cast, ada: Client) -> None:
    rows = [row for row in FORM_A_ROWS if row["key"] != "dialled_number"]
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows), follow=True)
    html = response.content.decode()
    assert "the form has no field <code>dialled_number</code>" in html
    assert visible_text_has_no_backticks(html)


def test_the_field_editor_names_the_row_by_the_position_it_shows_and_marks_it(cast: Cast, ada: Client) -> None:
    rows: list[dict[str, Any]] = [dict(row) for row in FORM_A_ROWS]
    rows[1]["delete"] = True  # the page shows it at position 2, the document leaves it out
    rows[3] = {**rows[3], "key": "agent"}  # shown at position 4: the broken one
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows))
    assert response.status_code == 400
    html = response.content.decode()
    problems = html[html.index('id="definition-problems"') :]
    assert "Field 4 (“Summary”), key: <code>agent</code> is a built-in field" in problems
    assert "Field 3 (" not in problems
    marked = re.findall(
        r'<fieldset class="field-row[^"]*row-error[^"]*" data-row>\s*<legend>(.*?)</legend>', html, re.S
    )
    assert len(marked) == 1 and "Summary" in marked[0] and ">4<" in marked[0]
    assert visible_text_has_no_backticks(html)


def test_the_telephony_error_page_and_the_url_tester_show_code(
    cast: Cast, ada: Client, specialist_client: Client
) -> None:
    tester = ada.post(
        f"/configure/forms/{cast.form_a.public_id}/url/",
        {"url": "/Telephony/GetCallReport?reportVer=9991234&agent=nobody&language=42"},
    ).content.decode()
    assert "Agent <code>nobody</code> matches no user" in tester
    assert visible_text_has_no_backticks(tester)

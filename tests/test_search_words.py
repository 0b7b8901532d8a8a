"""Finding reports by a word of a sealed personal field (SPEC §4): a whole word or the start of
one from 3 letters on, any case, with or without accents, while the database holds no name."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calldesk.callforms.models import FormRevision
from calldesk.lib.crypto import new_key
from calldesk.reports import lists
from calldesk.reports.models import CallReport, ReportToken, Status
from calldesk.reports.retention import run_retention
from calldesk.reports.services import abandon_report, autosave_draft, reopen_report, submit_report
from tests.cast import FORM_A_DEFINITION, Cast
from tests.reportdata import NY, make_report
from tests.test_encryption_at_rest import raw_dump

LINK = re.compile(r'href="/reports/([0-9a-f-]{36})/"')


def found(client: Client, typed: str) -> list[str]:
    response = client.get("/reports/", {"f_summary": typed, "status": "any"})
    assert response.status_code == 200, response.content[:300]
    return LINK.findall(response.content.decode())


def report_with(cast: Cast, summary: str, **kwargs: object) -> CallReport:
    return make_report(
        cast.form_a, cast.specialist, datetime(2026, 3, 2, 10, 0, tzinfo=NY), values={"summary": summary}, **kwargs
    )  # type: ignore[arg-type]


def test_a_name_is_found_by_a_word_its_start_any_case_and_without_accents(
    cast: Cast, supervisor_client: Client
) -> None:
    jose = report_with(cast, "José Manuel Ortega-Díaz, O'Brien's neighbour")
    other = report_with(cast, "Josefina Manning")
    both = sorted([str(jose.public_id), str(other.public_id)])
    only = [str(jose.public_id)]
    for typed in ["manu", "Manuel", "ORTEGA", "JOSÉ MANUEL", "manuel jose", "ortega-díaz", "diaz"]:
        assert found(supervisor_client, typed) == only, typed
    for typed in ["ortegadiaz", "O'Brien", "obrien", "brien", "neighb"]:
        assert found(supervisor_client, typed) == only, typed
    for typed in ["jos", "Jose", "josé"]:  # "Josefina" starts with them too
        assert sorted(found(supervisor_client, typed)) == both, typed
    assert sorted(found(supervisor_client, "MAN")) == both
    # Not a part from the middle of a word, and every word typed must match.
    for typed in ["anuel", "rtega", "manuel manning", "Manuela", "nobody"]:
        assert found(supervisor_client, typed) == [], typed


def test_a_short_term_must_be_a_whole_word(cast: Cast, supervisor_client: Client) -> None:
    li = report_with(cast, "Li Wei")
    report_with(cast, "Lisa Lindqvist")
    assert found(supervisor_client, "li") == [str(li.public_id)]
    assert found(supervisor_client, "LI WEI") == [str(li.public_id)]
    assert len(found(supervisor_client, "lis")) == 1


def test_typing_no_word_is_a_clear_error_not_an_empty_list(cast: Cast, supervisor_client: Client) -> None:
    report_with(cast, "Ana")
    response = supervisor_client.get("/reports/", {"f_summary": "-- ''"})
    assert response.status_code == 400
    assert "Type a word" in response.content.decode()


def test_another_organization_never_finds_the_name(cast: Cast) -> None:
    report_with(cast, "Quentin Ashgrove")
    cast.specialist_b.role = "supervisor"
    cast.specialist_b.save()
    other = Client()
    other.force_login(cast.specialist_b)
    page = other.get("/reports/", {"status": "any"})
    assert page.status_code == 200 and LINK.findall(page.content.decode()) == []
    # The same word gives another token in another organization (and in another field).
    ours = set(ReportToken.objects.values_list("token", flat=True))
    make_report(cast.form_b, cast.specialist_b, datetime(2026, 3, 2, tzinfo=NY), values={"notes": "Quentin Ashgrove"})
    assert set(ReportToken.objects.values_list("token", flat=True)) == ours  # notes is not personal


def test_the_old_ciphertext_match_is_gone(cast: Cast, supervisor_client: Client) -> None:
    sealed = report_with(cast, "Upset about rent")
    # Stored as {"summary": {"cd": "cd1:<key id>:<base64>", "h": "<hex>"}}. The old filter also
    # compared that JSON text: a part of the ciphertext or of the hash matched reports whose
    # text holds nothing of it.
    for typed in ["cd1", "cd1:", '"h"']:
        assert found(supervisor_client, typed) == [], typed
    # A revision where the field was not personal keeps it in clear: still found, by a part.
    clear = FormRevision.objects.create(
        form=cast.form_a,
        number=2,
        definition_json={
            "fields": [{**f, "personal": False} if f["key"] == "summary" else f for f in FORM_A_DEFINITION["fields"]]
        },
    )
    plain = report_with(cast, "cd1 written in clear", revision=clear)
    assert found(supervisor_client, "cd1") == [str(plain.public_id)]
    assert found(supervisor_client, "rent") == [str(sealed.public_id)]


def test_a_draft_is_found_by_its_words_once_finished_and_retention_empties_the_index(
    cast: Cast, supervisor_client: Client
) -> None:
    draft = report_with(cast, "Marguerite Halvorsen", status=Status.DRAFT)
    draft = CallReport.objects.get(pk=draft.pk)
    saved = autosave_draft(draft, cast.specialist, {"values": {"summary": "Marguerite Lindgren"}}, draft.version)
    # While it is typed a draft holds no token (autosave writes nothing more than the row).
    assert not ReportToken.objects.filter(report=saved).exists()
    assert found(supervisor_client, "marguerite") == []
    submitted = submit_report(saved, cast.specialist, {}, saved.version)
    assert found(supervisor_client, "halvor") == []
    assert found(supervisor_client, "lindg marg") == [str(submitted.public_id)]
    # Closed as abandoned, then reopened: found while abandoned, not as a draft again.
    other = report_with(cast, "Anselm Brightwater", status=Status.DRAFT)
    abandoned = abandon_report(other, cast.supervisor)
    assert found(supervisor_client, "brightw") == [str(abandoned.public_id)]
    reopen_report(abandoned, cast.supervisor)
    assert found(supervisor_client, "brightw") == []

    cast.org_a.retention_days = 30
    cast.org_a.save()
    run_retention(cast.org_a, now=timezone.now() + timedelta(days=400))
    assert not ReportToken.objects.filter(report=submitted).exists()
    assert found(supervisor_client, "marguerite") == []


def test_reindex_rebuilds_the_index_after_the_hash_key_changes(cast: Cast, supervisor_client: Client) -> None:
    report = report_with(cast, "Ingrid Bergström")
    with override_settings(CALLDESK_HASH_KEY=new_key()):
        assert found(supervisor_client, "bergstrom") == []  # every token comes from the key
        out = io.StringIO()
        call_command("reindex", stdout=out)
        assert out.getvalue() == "1 reports with personal text fields indexed.\n"
        assert found(supervisor_client, "bergstrom") == [str(report.public_id)]
    call_command("reindex", "--org", cast.org_a.slug, stdout=io.StringIO())
    assert found(supervisor_client, "INGRID") == [str(report.public_id)]


@pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only
def test_a_dump_holds_no_name_in_any_form_while_it_is_found(cast: Cast, supervisor_client: Client) -> None:
    name = "Ximena Okonkwo-Larsson of Birchwood Lane"
    report = report_with(cast, name)
    assert ReportToken.objects.filter(report=report).count() > 20
    assert found(supervisor_client, "okonk") == [str(report.public_id)]
    dump = raw_dump().lower()
    assert "reports_reporttoken" in dump
    for secret in ["ximena", "okonkwo", "larsson", "birchwood", "ximen", "okonk", "birch", "okonkwolarsson"]:
        assert secret not in dump, secret


# Names as people write them: accents, apostrophes, hyphens, several parts.
ACCENTED = {"a": "áàâäåã", "e": "éèêë", "i": "íìîï", "o": "óòôöõ", "u": "úùûü", "n": "ñ", "c": "ç", "y": "ý"}
letter = st.sampled_from("abcdefghiklmnoprstuvwyz")
plain_word = st.text(letter, min_size=2, max_size=12)


@st.composite
def written(draw: st.DrawFn, word: str) -> str:
    """`word` as someone may have typed it: accents on some letters, a capital or all capitals."""
    out = "".join(draw(st.sampled_from([c, *ACCENTED.get(c, "")])) for c in word)
    return draw(st.sampled_from([out, out.capitalize(), out.upper()]))


@st.composite
def names(draw: st.DrawFn) -> tuple[list[str], str]:
    parts = draw(st.lists(plain_word, min_size=1, max_size=4))
    text = draw(written(parts[0]))
    for part in parts[1:]:
        text += draw(st.sampled_from([" ", "-", "'", "’", " d'", ", "])) + draw(written(part))
    return parts, text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names(), st.data())
def test_any_name_is_found_by_each_word_and_start_and_by_nothing_else(
    cast: Cast, supervisor_client: Client, name: tuple[list[str], str], data: st.DataObject
) -> None:
    parts, text = name
    with transaction.atomic():
        report = report_with(cast, text)
        report_with(cast, "Zebulon Quaxford")  # another caller, never found by these words
        target = [str(report.public_id)]
        part = data.draw(st.sampled_from(parts))
        cut = data.draw(st.integers(min_value=min(3, len(part)), max_value=len(part)))
        start = part if len(part) < 3 else part[:cut]
        typed = data.draw(written(start))
        assert found(supervisor_client, typed) == target, (text, typed)
        assert found(supervisor_client, text) == target, text
        assert found(supervisor_client, text.upper()) == target, text
        # Letters never drawn for names (q, x, j) make a word nobody wrote.
        assert found(supervisor_client, start + "qx") == [], (text, start)
        transaction.set_rollback(True)


def test_a_search_finds_its_matches_once_and_pages_through_them_in_order(
    cast: Cast, supervisor_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding the matches (grouping the index's entries of every word typed) is the costly part
    of a search at scale: the page reads them once, counts them, and reads its rows by their ids."""
    monkeypatch.setattr(lists, "PAGE_SIZE", 4)
    monkeypatch.setattr(lists, "FEW", 2)  # more matches than this: read by ids all the same
    start = datetime(2026, 3, 2, 10, 0, tzinfo=NY)
    matching = [
        make_report(
            cast.form_a, cast.specialist, start + timedelta(minutes=i // 2), values={"summary": f"Manuel Ortega {i}"}
        )
        for i in range(10)  # pairs share a call start: the id decides
    ]
    make_report(cast.form_a, cast.specialist, start, values={"summary": "Manuel Perez"})
    newest_first = [str(r.public_id) for r in sorted(matching, key=lambda r: (r.call_start, r.pk), reverse=True)]
    pages = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = supervisor_client.get("/reports/", {"f_summary": "manuel ortega", "page": number})
        assert response.status_code == 200
        assert len([q for q in queries.captured_queries if "reports_reporttoken" in q["sql"]]) == 1
        assert 'id="report-count">10 reports match the filter<' in response.content.decode()
        pages += LINK.findall(response.content.decode())
    assert pages == newest_first

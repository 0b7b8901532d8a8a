"""A fuzz of the whole telephony URL: whatever a phone system sends, the answer is 303, 400 or 404."""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cast import Cast

FORM = "9991234"
NAMES = ["reportVer", "REPORTVER", "reportver", "rEpOrTvEr", "agent", "ANI", "callStart", "language", "dnis", "callId"]
VALUES = [
    "9991234",
    "5550001",
    "34",
    "sam@lifeline.example",
    "999-123-4567",
    "anonymous",
    "112211",
    "8886201111",
    "2008-09-22T14:01:54Z",
    "1222092114000",
    "9999-12-31T23:59:59-14:00",
    "<script>alert(1)</script>",
]
PERCENT = ["%", "%2", "%zz", "%00", "%0A", "%C3", "%C3%A9", "%FF%FE", "%E2%80%AE", "%2540", "%26", "%3D", "+"]

text = st.text(max_size=40)
weird = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
long_value = st.integers(min_value=1000, max_value=9000).map(lambda n: "x" * n)


def encoded(value: str, how: str) -> str:
    if how == "quote":
        return quote(value, safe="")
    if how == "plus":
        return quote(value, safe="").replace("%20", "+")
    return value.replace("&", "").replace("#", "")  # raw, as a careless phone system sends it


name = st.one_of(st.sampled_from(NAMES), text, weird)
value = st.one_of(st.sampled_from(VALUES), text, weird, long_value, st.sampled_from(PERCENT))
pair = st.tuples(name, value, st.sampled_from(["quote", "plus", "raw"]), st.sampled_from([*PERCENT, ""]))
queries = st.lists(pair, max_size=30).map(
    lambda items: "&".join(f"{encoded(n, how)}={encoded(v, how)}{junk}" for n, v, how, junk in items)
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["/Telephony/GetCallReport", "/telephony/getcallreport", "/TELEPHONY/GETCALLREPORT/"]),
    st.one_of(
        queries, queries.map(lambda q: f"reportVer=9991234&{q}"), queries.map(lambda q: f"{q}&ReportVer=9991234")
    ),
    st.sampled_from(["GET", "POST"]),
)
def test_the_endpoint_answers_303_400_or_404(
    cast: Cast, specialist_client: Client, path: str, query: str, method: str
) -> None:
    query = query[:10_000]
    if method == "GET":
        response = specialist_client.get(f"{path}?{query}")
    else:
        response = specialist_client.post(path, query, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (303, 400, 404), (response.status_code, query[:200])
    if response.status_code == 303:
        assert response["Location"].startswith("/reports/")
        assert specialist_client.get(response["Location"]).status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries)
def test_logged_out_the_endpoint_answers_302_or_400(cast: Cast, query: str) -> None:
    response = Client().get(f"/Telephony/GetCallReport?{query[:10_000]}")
    assert response.status_code in (302, 400)

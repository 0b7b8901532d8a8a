"""The SIP reader never fails on what a network sends: anything unreadable is a SipError, which
the connector logs and drops; anything readable gives a caller, a line and a call ID."""

from __future__ import annotations

from calldesk_connector.settings import Settings
from calldesk_connector.sipmsg import SipError, name_addr, parse_request, split_commas, uri_user
from calldesk_connector.sources.sip import read_call
from hypothesis import given
from hypothesis import strategies as st

HEADERS = [
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "P-Asserted-Identity",
    "Remote-Party-ID",
    "Diversion",
    "Privacy",
    "f",
    "t",
    "i",
    "v",
    "Content-Length",
    "X-Language",
]
values = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=60)


@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_with_a_sip_error(data: bytes) -> None:
    try:
        parse_request(data)
    except SipError:
        pass


@given(st.lists(st.tuples(st.sampled_from(HEADERS), values), max_size=12))
def test_any_headers_give_a_call_or_a_sip_error(headers: list[tuple[str, str]]) -> None:
    text = "INVITE sip:agent@127.0.0.1 SIP/2.0\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)
    try:
        request = parse_request((text + "\r\n").encode())
    except SipError:
        return
    assert request is not None
    params = read_call(request, Settings())
    assert params["ani"] and params["callId"] == request.call_id


@given(values)
def test_name_addr_and_uri_user_never_raise(value: str) -> None:
    for item in split_commas(value):
        _display, uri = name_addr(item)
        uri_user(uri)


def test_display_names_with_quotes_commas_and_angle_brackets_are_read() -> None:
    value = '"Doe, Jane \\"JJ\\" <x>" <sip:+15551230100@pbx;user=phone>;tag=1, <tel:+15551230101>'
    first, second = split_commas(value)
    assert name_addr(first) == ('Doe, Jane "JJ" <x>', "sip:+15551230100@pbx;user=phone")
    assert uri_user(name_addr(first)[1]) == "+15551230100"
    assert uri_user(name_addr(second)[1]) == "+15551230101"
    assert uri_user("sip:%2B15551230102@pbx") == "+15551230102"
    assert uri_user("sips:Anonymous@anonymous.invalid") == "anonymous"
    assert uri_user("http://example.org") == ""

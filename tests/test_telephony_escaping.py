"""SPEC §2: caller-supplied values are data, never markup, on the editor."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cast import Cast

SCRIPT = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"


@pytest.mark.parametrize(
    ("parameter", "shown"),
    [
        ("ani", False),
        ("dnis", True),
        ("unmapped_thing", False),
        ("agent", True),
        ("language", True),
        ("callStart", True),
    ],
)
def test_caller_values_are_escaped_on_the_editor(
    cast: Cast, specialist_client: Client, parameter: str, shown: bool
) -> None:
    response = specialist_client.get(f"/Telephony/GetCallReport?reportVer=9991234&{parameter}={SCRIPT}")
    assert response.status_code == 303
    page = specialist_client.get(response["Location"]).content.decode()
    assert "<script>alert" not in page
    assert ("&lt;script&gt;" in page) is shown


def test_a_script_in_a_parameter_name_is_escaped_too(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"/Telephony/GetCallReport?reportVer=9991234&{SCRIPT}=1&{SCRIPT}=2")
    page = specialist_client.get(response["Location"]).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page

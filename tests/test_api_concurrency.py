"""The same call posted at once from many threads: one call, one draft (SPEC §6)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call, PendingHangup
from tests.apicast import post_json, token_for
from tests.cast import Cast, make_cast
from tests.test_concurrency import in_threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_posting_one_call_id_make_one_call_and_one_draft() -> None:
    cast = make_cast()
    token = token_for(cast.admin)
    payload = {"reportVer": "9991234", "agent": "34", "ani": "9991234567", "callId": "storm-1"}
    answers: list[dict] = [{}] * 20

    def post(i: int) -> int:
        response = post_json("/api/calls", payload, token)
        answers[i] = response.json()
        return response.status_code

    codes = in_threads(post)
    assert sorted(codes) == [200] * 19 + [201], codes
    assert Call.objects.count() == 1 and CallReport.objects.count() == 1
    assert {a["id"] for a in answers} == {str(Call.objects.get().public_id)}
    assert {a["draft"]["id"] for a in answers} == {str(CallReport.objects.get().public_id)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_hang_ups_racing_their_calls_always_end_them() -> None:
    cast = make_cast()
    token = token_for(cast.admin)

    def post(i: int) -> int:
        call_id = f"race-{i // 2}"
        if i % 2:
            return post_json("/api/calls/hangup", {"callId": call_id, "cause": "cancel"}, token).status_code
        return post_json("/api/calls", {"reportVer": "9991234", "callId": call_id}, token).status_code

    in_threads(post)
    assert Call.objects.count() == 10
    assert set(Call.objects.values_list("end_reason", flat=True)) == {"cancel"}
    assert not PendingHangup.objects.exists()


def test_the_database_refuses_a_second_call_with_the_same_call_id(cast: Cast) -> None:
    token = token_for(cast.admin)
    post_json("/api/calls", {"reportVer": "9991234", "callId": "only-once"}, token)
    first = Call.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.create(
            organization=cast.org_a, form=first.form, revision=first.revision, fingerprint="x", external_id="only-once"
        )
    # Calls without a callId are not held to it.
    for _ in range(2):
        Call.objects.create(organization=cast.org_a, form=first.form, revision=first.revision, fingerprint="x")

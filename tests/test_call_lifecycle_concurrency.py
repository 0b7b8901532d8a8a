"""One agent's calls from every side at once on PostgreSQL: the specialist's browser pops the
telephony URL while the phone system posts calls, answers and hang-ups for the same agent.
None of them may wait on another in a circle (a deadlock answers 500 after a second)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from calldesk.reports.models import CallReport, Status
from calldesk.telephony.models import Call, PendingAnswer, PendingHangup
from tests.apicast import post_json, token_for
from tests.cast import make_cast

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8
ROUNDS = 12


def test_pops_api_posts_answers_and_hang_ups_for_one_agent_never_deadlock() -> None:
    cast = make_cast()
    token = token_for(cast.admin)
    start = threading.Barrier(THREADS)
    failures: list[str] = []

    def pop(n: int, client: Client) -> None:
        # Half of the pops carry a callId the API posts too (the URL then joins the API's call).
        call_id = f"&callId=both-{n}" if n % 2 else ""
        response = client.get(f"/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=99912{n:05d}{call_id}")
        if response.status_code != 303:
            failures.append(f"pop {n}: {response.status_code}")

    def api(n: int, kind: int) -> None:
        call_id = f"both-{n}" if n % 2 else f"api-{n}"
        if kind == 1:
            body = {"reportVer": "9991234", "agent": "34", "ani": f"99934{n:05d}", "callId": call_id}
            path, ok = "/api/calls", (200, 201)
        elif kind == 2:
            body, path, ok = {"callId": call_id, "agent": "34"}, "/api/calls/answer", (200, 202)
        else:
            body, path, ok = {"callId": call_id, "cause": "normalClearing"}, "/api/calls/hangup", (200, 202)
        response = post_json(path, body, token)
        if response.status_code not in ok:
            failures.append(f"{path} {n}: {response.status_code} {response.content[:200]!r}")

    def run(i: int) -> None:
        try:
            client = Client()
            client.force_login(cast.specialist)
            start.wait()
            for round_ in range(ROUNDS):
                n = round_ * THREADS + i // 4 * 4  # four threads share each call of a round
                if i % 4 == 0:
                    pop(n + 1, client)
                    pop(n, client)
                else:
                    api(n + 1, i % 4)
                    api(n, i % 4)
        except Exception as error:  # a thread's crash is a failure too, not a silent pass
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    # Every callId is one call, whichever side came first, and every hang-up found its call.
    ids = [c for c in Call.objects.exclude(external_id="").values_list("external_id", flat=True)]
    assert len(ids) == len(set(ids))
    assert not PendingHangup.objects.filter(external_id__in=ids).exists()
    assert not PendingAnswer.objects.filter(external_id__in=ids).exists()
    assert set(Call.objects.exclude(external_id="").values_list("end_reason", flat=True)) == {"normalClearing"}
    # Sam's pops each opened his draft; nobody else's name came in.
    assert set(CallReport.objects.exclude(status=Status.ANSWERED_ELSEWHERE).values_list("author", flat=True)) == {
        cast.specialist.pk
    }

"""publish_call: what is recorded, when it is sent, and who may receive it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from calldesk.push import events
from calldesk.push.channel import DatabaseChannel
from calldesk.push.events import Viewer
from calldesk.push.models import PushEvent
from calldesk.push.services import publish_call
from calldesk.telephony.models import CallSource
from calldesk.telephony.services import OpenedCall, open_call
from tests.cast import Cast


def opened(cast: Cast, ani: str = "9995550100", agent: str = "sam@lifeline.example") -> OpenedCall:
    pairs = [("reportVer", "9991234"), ("ani", ani), ("agent", agent)]
    return open_call(cast.supervisor, pairs, source=CallSource.API, organization=cast.org_a)


def test_the_event_is_announced_only_after_the_transaction_commits(
    cast: Cast, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        publish_call(opened(cast).call, pop_for=cast.specialist)
    assert len(callbacks) == 1


def test_a_rolled_back_call_leaves_no_event(cast: Cast) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_call(opened(cast).call, pop_for=cast.specialist)
        raise RuntimeError("the phone system's post failed half-way")
    assert PushEvent.objects.count() == 0


def test_it_refuses_to_pop_a_call_on_another_organizations_console(cast: Cast) -> None:
    with pytest.raises(ValueError):
        publish_call(opened(cast).call, pop_for=cast.specialist_b)
    assert PushEvent.objects.count() == 0


def test_the_pushed_event_holds_no_caller_data(cast: Cast) -> None:
    publish_call(opened(cast, ani="9995550177").call, pop_for=cast.specialist)
    row = PushEvent.objects.values().get()
    assert "9995550177" not in str(row)


def test_the_agent_and_the_organizations_supervisors_catch_up_others_do_not(cast: Cast) -> None:
    call = opened(cast).call
    publish_call(call, pop_for=cast.specialist)
    seen = {
        name: [event.data["call"] for event in events.catch_up(Viewer.of(user), 0)]
        for name, user in {
            "agent": cast.specialist,
            "colleague": cast.specialist2,
            "supervisor": cast.supervisor,
            "admin": cast.admin,
            "other organization": cast.specialist_b,
        }.items()
    }
    assert seen == {
        "agent": [str(call.public_id)],
        "colleague": [],
        "supervisor": [str(call.public_id)],
        "admin": [str(call.public_id)],
        "other organization": [],
    }


def test_a_call_without_an_agent_reaches_supervisors_as_unassigned(cast: Cast) -> None:
    call = opened(cast, agent="nobody@lifeline.example").call
    publish_call(call)
    (event,) = events.catch_up(Viewer.of(cast.supervisor), 0)
    assert event.data["unassigned"] is True
    assert event.message(Viewer.of(cast.supervisor)).startswith(f"id: {event.id}\nevent: call\n".encode())
    assert events.catch_up(Viewer.of(cast.specialist), 0) == []


def test_the_poller_waits_for_a_missing_id_then_takes_it_as_rolled_back() -> None:
    channel = DatabaseChannel()
    channel._advance([1, 2, 4])
    assert channel.low == 2  # 3 may still commit (PostgreSQL hands out ids before commit)
    channel._advance([4])
    assert channel.low == 2
    channel.gap_since[3] -= 60  # as if 3 had been missing for a minute
    channel._advance([4])
    assert channel.low == 4
    assert channel.seen == set()

"""publish_call: what is recorded, when it is sent, and who may receive it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from calldesk.push import events
from calldesk.push.channel import DatabaseChannel
from calldesk.push.events import Viewer
from calldesk.push.models import PushEvent
from calldesk.push.services import publish_call
from calldesk.telephony.lifecycle import RecordedCall, record_call
from tests.apicast import post_json, token_for
from tests.cast import Cast


def recorded(cast: Cast, ani: str = "9995550100", agent: str = "sam@lifeline.example") -> RecordedCall:
    """A call posted to the API (which pushes it to its agent)."""
    return record_call(cast.org_a, [("reportVer", "9991234"), ("ani", ani), ("agent", agent)])


def test_the_event_is_announced_only_after_the_transaction_commits(
    cast: Cast, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    call = recorded(cast).call
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        publish_call(call, pop_for=cast.specialist)
        assert callbacks == []  # not while the transaction is open
    assert len(callbacks) == 1


def test_a_rolled_back_call_leaves_no_event(cast: Cast) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        recorded(cast)
        raise RuntimeError("the phone system's post failed half-way")
    assert PushEvent.objects.count() == 0


def test_it_refuses_to_pop_a_call_on_another_organizations_console(cast: Cast) -> None:
    call = recorded(cast).call
    with pytest.raises(ValueError):
        publish_call(call, pop_for=cast.specialist_b)
    assert PushEvent.objects.count() == 1  # the call's own push only


def test_the_pushed_event_holds_no_caller_data(cast: Cast) -> None:
    recorded(cast, ani="9995550177")
    row = PushEvent.objects.values().get()
    assert "9995550177" not in str(row)


def test_the_agent_and_the_organizations_supervisors_catch_up_others_do_not(cast: Cast) -> None:
    call = recorded(cast).call
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


def test_consoles_catching_up_on_the_same_events_load_them_once(
    cast: Cast, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    # After Redis or a node comes back every console reconnects at once: the second console's
    # catch-up must not load each event again (a few queries per event), or they queue for tens
    # of seconds behind each other.
    for i in range(20):
        recorded(cast, ani=f"99955501{i:02d}")
    first = events.catch_up(Viewer.of(cast.supervisor), 0)
    assert len(first) == 20
    with django_assert_max_num_queries(2):
        again = events.catch_up(Viewer.of(cast.admin), 0)
        mine = events.catch_up(Viewer.of(cast.specialist), 0)
    assert [e.id for e in again] == [e.id for e in mine] == [e.id for e in first]
    assert {e.data["caller"] for e in again} == {f"99955501{i:02d}" for i in range(20)}


def test_a_call_without_an_agent_reaches_supervisors_as_unassigned(cast: Cast) -> None:
    recorded(cast, agent="nobody@lifeline.example")
    (event,) = events.catch_up(Viewer.of(cast.supervisor), 0)
    assert event.data["unassigned"] is True
    assert event.message(Viewer.of(cast.supervisor)).startswith(f"id: {event.id}\nevent: call\n".encode())
    assert events.catch_up(Viewer.of(cast.specialist), 0) == []


def test_a_catch_up_reads_again_the_seconds_before_its_last_event_on_postgresql_only(cast: Cast) -> None:
    old, near, last = (recorded(cast, ani=f"999555070{i}").call for i in range(3))
    old_event, near_event, last_event = (PushEvent.objects.get(call=call) for call in (old, near, last))
    PushEvent.objects.filter(pk=old_event.pk).update(created_at=last_event.created_at - timedelta(minutes=1))
    start = events.catch_up_start(last_event.pk)
    if connection.vendor == "sqlite":  # ids become visible in order there: nothing to read again
        assert start == last_event.pk
    else:  # `near` may have committed after `last` was read; `old` is long settled
        assert start == near_event.pk - 1
    assert events.catch_up_start(last_event.pk + 1000) == last_event.pk + 1000  # no such event


def test_the_database_channel_starts_before_the_seconds_that_may_still_commit_on_postgresql_only(cast: Cast) -> None:
    old, near, last = (recorded(cast, ani=f"999555071{i}").call for i in range(3))
    old_event, near_event, last_event = (PushEvent.objects.get(call=call) for call in (old, near, last))
    PushEvent.objects.filter(pk=old_event.pk).update(created_at=last_event.created_at - timedelta(minutes=1))
    start, committed = events.listen_start()
    if connection.vendor == "sqlite":  # ids become visible in order there: after the latest
        assert (start, committed) == (last_event.pk, [])
    else:  # an id of the last seconds missing among `committed` may still commit; `old` is settled
        assert (start, committed) == (old_event.pk, [near_event.pk, last_event.pk])


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


def test_the_hub_hands_an_event_only_to_consoles_that_may_see_it_and_sends_all_back_when_events_were_lost() -> None:
    from calldesk.push.events import Pushed
    from calldesk.push.hub import Hub, Subscription

    async def scenario() -> dict[str, object]:
        hub = Hub()
        consoles = {
            "agent": Subscription(Viewer(user_id=1, organization_id=10, is_supervisor=False)),
            "colleague": Subscription(Viewer(user_id=2, organization_id=10, is_supervisor=False)),
            "supervisor": Subscription(Viewer(user_id=3, organization_id=10, is_supervisor=True)),
            "other organization's supervisor": Subscription(Viewer(user_id=4, organization_id=20, is_supervisor=True)),
        }
        for subscription in consoles.values():
            hub.by_organization[subscription.viewer.organization_id].add(subscription)
        await hub.deliver([Pushed(id=7, organization_id=10, pop_for_id=1, agent_id=1, data={"call": "c"})])
        received = {name: subscription.queue.qsize() for name, subscription in consoles.items()}
        hub.missed()
        return {"received": received, "behind": all(s.behind.is_set() for s in consoles.values())}

    assert asyncio.run(scenario()) == {
        "received": {"agent": 1, "colleague": 0, "supervisor": 1, "other organization's supervisor": 0},
        "behind": True,
    }


def test_a_call_the_api_records_reaches_the_push_without_telephony_importing_it(cast: Cast) -> None:
    """Telephony announces the call; push, listening since the app loaded, records its event."""
    post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "heard-1"}, token_for(cast.admin))
    event = PushEvent.objects.get(call__external_id="heard-1")
    assert (event.state, event.pop_for, event.agent) == ("ringing", cast.specialist, cast.specialist)


def test_a_catch_up_page_shortened_by_a_prune_between_its_two_reads_is_not_taken_for_the_last(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retention prunes the oldest events, which are the ones a console far behind reads first.
    monkeypatch.setattr(events, "CATCH_UP_LIMIT", 5)
    for i in range(8):
        recorded(cast, ani=f"99955508{i:02d}")
    ids = list(PushEvent.objects.order_by("id").values_list("id", flat=True))
    viewer = Viewer.of(cast.supervisor)
    events.recent.entries.clear()  # nothing kept: the page's events are loaded by a second read

    read: list[str] = []

    def prune_after_the_ids_are_read(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if read and "push_pushevent" in sql and not sql.startswith("DELETE"):
            read.clear()  # the ids were read; the events are loaded next: one is pruned in between,
            PushEvent.objects.filter(id=ids[1]).delete()  # as `calldesk maintenance` would, concurrently
        if 'SELECT "push_pushevent"."id"' in sql and "LIMIT 5" in sql:
            read.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(prune_after_the_ids_are_read):
        page, more_after = events.catch_up_page(viewer, 0)
    assert [e.id for e in page] == [ids[0], *ids[2:5]]  # four events: one was pruned meanwhile
    assert more_after == ids[4]  # ... and the page was full: the catch-up goes on
    rest, last = events.catch_up_page(viewer, more_after)
    assert [e.id for e in rest] == ids[5:] and last is None

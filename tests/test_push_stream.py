"""The console's event stream (/console/events) across real processes: two `calldesk serve` on one
database, a phone system posting to one (POST /api/calls), consoles reading the other, through
the database channel and through Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from calldesk.push.events import CATCH_UP_LIMIT
from tests.cast import PASSWORD
from tests.push_servers import EventReader, PhoneSystem, Serve, environment, make_cast, run_cli, unique_channel
from tests.server_process import free_port, login, scratch_database

pytestmark = pytest.mark.slow

SPECIALIST = "sam@lifeline.example"
SPECIALIST2 = "kim@lifeline.example"
SUPERVISOR = "sue@lifeline.example"
OTHER_ORG = "bea@other.example"
MISSED = CATCH_UP_LIMIT + 150


@dataclass
class Pair:
    phone_system: PhoneSystem  # posts to the first server
    console: Serve  # the second server, where the consoles are connected
    logs: list[Path]

    def reader(self, email: str, headers: dict[str, str] | None = None) -> EventReader:
        client = httpx.Client(base_url=self.console.url, timeout=10)
        login(client, email, PASSWORD)
        reader = EventReader(client, headers)
        assert reader.status == 200
        return reader

    def push(self, ani: str, agent: str = SPECIALIST) -> dict[str, str]:
        return self.phone_system.post_call(ani, agent)


@pytest.fixture(scope="module", params=["database", "redis"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    channel = unique_channel() if request.param == "redis" else None
    folder = tmp_path_factory.mktemp(f"push-{request.param}")
    with scratch_database() as database_url:
        env = environment(database_url, channel)
        run_cli(env, "migrate", "-v0")
        token = make_cast(env)
        servers = [Serve(env, folder / "a.log"), Serve(env, folder / "b.log")]
        try:
            for server in servers:
                server.start()
            phone_system = PhoneSystem(servers[0].url, token)
            yield Pair(phone_system, servers[1], [server.log for server in servers])
            phone_system.close()
        finally:
            for server in servers:
                server.stop()


def test_a_call_pushed_by_another_process_reaches_the_agents_open_stream(pair: Pair) -> None:
    reader = pair.reader(SPECIALIST)
    try:
        pushed = pair.push("9995550101")
        (event,) = reader.wait_for(lambda events: any(e["call"] == pushed["call"] for e in events))
        assert event["pop"] is True
        assert event["caller"] == "9995550101"
        assert event["line"] == "8886201111"
        assert event["state"] == "ringing"
        assert event["editor"] == f"/reports/{pushed['report']}/edit/"
    finally:
        reader.close()


def test_other_specialists_and_other_organizations_never_receive_it(pair: Pair) -> None:
    readers = {email: pair.reader(email) for email in (SPECIALIST, SPECIALIST2, SUPERVISOR, OTHER_ORG)}
    try:
        pushed = pair.push("9995550102")
        readers[SPECIALIST].wait_for(lambda events: any(e["call"] == pushed["call"] for e in events))
        supervisor = readers[SUPERVISOR].wait_for(lambda events: any(e["call"] == pushed["call"] for e in events))
        assert [e["pop"] for e in supervisor if e["call"] == pushed["call"]] == [False]  # sees it, no pop
        time.sleep(1)  # a wrongly routed event would have arrived by now, as the others' did
        assert readers[SPECIALIST2].events == []
        assert readers[OTHER_ORG].events == []
    finally:
        for reader in readers.values():
            reader.close()


def test_a_stream_reopened_with_last_event_id_gets_every_call_it_missed(pair: Pair) -> None:
    reader = pair.reader(SPECIALIST)
    first = pair.push("9995550103")
    seen = reader.wait_for(lambda events: any(e["call"] == first["call"] for e in events))
    last_id = seen[-1]["id"]
    reader.close()
    missed = [pair.push("9995550104"), pair.push("9995550105")]
    again = pair.reader(SPECIALIST, {"Last-Event-ID": str(last_id)})
    try:
        # (On PostgreSQL the catch-up may also send again what came a few seconds before
        # `last_id`, for an event that committed late; a console skips ids it already has.)
        events = again.wait_for(lambda events: len([e for e in events if e["id"] > last_id]) >= 2)
        events = [e for e in events if e["id"] > last_id]
        assert [e["call"] for e in events] == [call["call"] for call in missed]
        assert [e["caller"] for e in events] == ["9995550104", "9995550105"]
    finally:
        again.close()


def test_a_console_further_behind_than_one_catch_up_page_gets_every_event_it_missed(pair: Pair) -> None:
    # As after Redis or the network was away while calls came in: more events than one page.
    posted = pair.push("9995550106")
    script = (
        "from calldesk.push.models import PushEvent; "
        f"event = PushEvent.objects.filter(call__public_id='{posted['call']}').latest('id'); "
        "made = PushEvent.objects.bulk_create([PushEvent(organization_id=event.organization_id, call=event.call, "
        f"state='ringing', pop_for_id=event.pop_for_id, agent_id=event.agent_id) for _ in range({MISSED})]); "
        "print(event.id, PushEvent.objects.order_by('-id').values_list('id', flat=True)[0])"
    )
    before, last = map(int, run_cli(pair.console.env, "shell", "-c", script).split()[-2:])
    again = pair.reader(SPECIALIST, {"Last-Event-ID": str(before)})
    try:
        events = again.wait_for(lambda events: any(e["id"] == last for e in events))
        ids = [e["id"] for e in events if e["id"] > before]  # (and a few before it, on PostgreSQL)
        assert len(set(ids)) == len(ids) == MISSED  # every one once, in order
        assert ids == sorted(ids) and ids[-1] == last
    finally:
        again.close()


def test_a_state_change_reaches_the_supervisor(pair: Pair) -> None:
    reader = pair.reader(SUPERVISOR)
    try:
        pushed = pair.push("9995550106")
        pair.phone_system.answer(pushed["callId"], SPECIALIST)
        events = reader.wait_for(lambda events: any(e["state"] == "talking" for e in events))
        assert [e["state"] for e in events if e["call"] == pushed["call"]] == ["ringing", "talking"]
    finally:
        reader.close()


def test_caller_numbers_never_reach_the_servers_logs(pair: Pair) -> None:
    reader = pair.reader(SPECIALIST)
    try:
        pushed = pair.push("9995550199")
        reader.wait_for(lambda events: any(e["call"] == pushed["call"] for e in events))
    finally:
        reader.close()
    time.sleep(0.5)
    for log in pair.logs:
        text = log.read_text()
        assert "9995550199" not in text
    assert "POST /api/calls" in pair.logs[0].read_text()
    assert "GET /console/events" in pair.logs[1].read_text()


def test_an_anonymous_stream_is_refused(pair: Pair) -> None:
    answer = httpx.get(pair.console.url + "/console/events", timeout=10)
    assert answer.status_code == 401
    assert answer.text == "Log in to receive calls."


def test_a_logged_out_session_gets_no_stream(pair: Pair) -> None:
    client = httpx.Client(base_url=pair.console.url, timeout=10)
    login(client, SPECIALIST, PASSWORD)
    session = client.cookies.get("sessionid")
    token = client.cookies.get("csrftoken") or ""
    client.post("/accounts/logout/", data={"csrfmiddlewaretoken": token}, headers={"X-CSRFToken": token})
    answer = httpx.get(pair.console.url + "/console/events", cookies={"sessionid": session or ""}, timeout=10)
    assert answer.status_code == 401
    client.close()


def test_the_stream_answers_only_get(pair: Pair) -> None:
    client = httpx.Client(base_url=pair.console.url, timeout=10)
    login(client, SPECIALIST, PASSWORD)
    assert client.post("/console/events").status_code == 405
    client.close()


def test_the_stream_refuses_an_unknown_host(pair: Pair) -> None:
    answer = httpx.get(pair.console.url + "/console/events", headers={"Host": "evil.example"}, timeout=10)
    assert answer.status_code == 400


def test_with_redis_away_calls_are_still_recorded_and_consoles_are_told_to_try_again(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    log = tmp_path_factory.mktemp("push-redis-away") / "server.log"
    with scratch_database() as database_url:
        env = {**environment(database_url, unique_channel()), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
        run_cli(env, "migrate", "-v0")
        token = make_cast(env)
        server = Serve(env, log, workers=1)
        server.start()
        try:
            phone_system = PhoneSystem(server.url, token)
            posted = phone_system.post_call("9995550400", SPECIALIST)  # 201: recorded, with its draft
            assert posted["report"]
            phone_system.close()
            client = httpx.Client(base_url=server.url, timeout=30)
            login(client, SPECIALIST, PASSWORD)
            answer = client.get("/console/events")
            assert answer.status_code == 503
            assert "try again" in answer.text
            client.close()
        finally:
            server.stop()
    assert "9995550400" not in log.read_text()

"""The AMI source's call tracking against the real Asterisk 22.10.1 recordings, call by call, in
process (fast enough to restart the connector at many points of a recording): what it posts for
each planned call, in both pop_on modes, and that a restart anywhere loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from calldesk_connector.events import Event
from calldesk_connector.settings import AmiSettings, Settings
from calldesk_connector.sinks import SENT, Outcome
from calldesk_connector.sinks.browser import BrowserSink
from calldesk_connector.sources.ami_calls import CallTracker, cause_name, withheld_presentation
from calldesk_connector.state import CallStore

from tests.connector.asterisk_replay import AsteriskState, Block, load
from tests.connector.recorded_calls import AMI_AGENTS, MARIA, by_call, expected_posts, rang_an_agent


def settings(pop_on: str, sink: str = "api", agent: str = "") -> Settings:
    agents = {name.lower(): value for name, value in AMI_AGENTS.items()}
    return Settings(
        url="http://127.0.0.1:9",
        report_ver="9991234",
        sink=sink,
        agent=agent,
        token="cdk_" + "a" * 40,
        sources=("ami",),
        ami=AmiSettings(username="calldesk", secret="x", pop_on=pop_on, agents=agents),
    )


class Run:
    """A connector's AMI source fed a recording, restarted (a new tracker on the same on-disk
    state) wherever told."""

    def __init__(self, tmp_path: Path, settings: Settings) -> None:
        self.settings = settings
        self.path = tmp_path / "queue.sqlite3"
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.asterisk = AsteriskState()
        self.start()

    def emit(self, event: Event) -> None:
        self.posts.append((event.kind, dict(event.params)))

    def start(self) -> None:
        self.store = CallStore(self.path, "ami")
        self.tracker = CallTracker(self.settings, self.emit, self.store)
        # What the source does on every login: ask Asterisk for the calls in progress.
        channels = self.asterisk.core_show_channels()
        asked = self.tracker.unheard_channels(channels)  # Getvar CALLERID(pres) of each
        presentations = {name: self.asterisk.presentation(name) or "" for name in asked}
        self.tracker.resync(channels, self.asterisk.queue_entries(), self.asterisk.queue_members(), presentations)

    def feed(self, blocks: list[Block], heard: bool = True) -> None:
        for block in blocks:
            self.asterisk.apply(block)
            if heard and block.readable:
                self.tracker.handle(dict(block.fields))

    def restart(self) -> None:
        self.store.close()
        self.start()


@pytest.mark.parametrize("pop_on", ["answered", "ringing"])
@pytest.mark.parametrize("run", ["run1", "run2"])
def test_every_recorded_call_is_posted_as_the_helpline_expects(tmp_path: Path, run: str, pop_on: str) -> None:
    replay = Run(tmp_path, settings(pop_on))
    replay.feed(load(run))
    assert by_call(replay.posts) == expected_posts(run, pop_on)
    assert replay.store.load() == {}, "every ended call is forgotten on disk"


@pytest.mark.parametrize("run", ["run1", "run2"])
def test_a_restart_at_any_point_changes_nothing(tmp_path: Path, run: str) -> None:
    blocks = load(run)
    expected = expected_posts(run, "answered")
    points = range(25, len(blocks), len(blocks) // 15)
    for number, point in enumerate(points):
        replay = Run(tmp_path / str(number), settings("answered"))
        replay.feed(blocks[:point])
        replay.restart()
        replay.feed(blocks[point:])
        assert by_call(replay.posts) == expected, f"restarted at block {point} (t={blocks[point].t})"


@pytest.mark.parametrize("pop_on", ["answered", "ringing"])
def test_a_ring_group_is_followed_by_its_dial_events_alone(tmp_path: Path, pop_on: str) -> None:
    """A ring group (Dial to several phones, no queue) raises the same Dial events app_queue
    raised in the recording: with the queue's own events taken out, every call comes out the same,
    its agent found by the phone's device."""
    ring_group = settings(pop_on)
    ring_group.ami.agents["local/maria@agents"] = MARIA
    replay = Run(tmp_path, ring_group)
    queue_events = ("QueueCaller", "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer")
    replay.feed([b for b in load("run1") if not b.fields["Event"].startswith(queue_events)])
    rang = rang_an_agent("run1")  # call 16 only waited in the queue: no Dial, nothing to follow
    expected = {
        linked: [(*post[:4], "") if post[0] == "call" else post for post in posts]
        for linked, posts in expected_posts("run1", pop_on).items()
        if linked in rang
    }
    assert by_call(replay.posts) == expected


def test_queue_members_that_dial_a_phone_themselves_are_still_agents_legs(tmp_path: Path) -> None:
    """FreePBX's members are `Local/201@from-queue/n`, whose other half dials the real phone: each
    AgentCalled is followed by that half's own DialBegin. Those are agents' legs: their hang-ups
    (cause 0 when the queue gives up) never read as the caller giving up."""
    blocks: list[Block] = []
    uniqueids: dict[str, str] = {}
    for block in load("run1"):
        blocks.append(block)
        fields = block.fields
        if fields["Event"] == "Newchannel":
            uniqueids[fields["Channel"]] = fields["Uniqueid"]
        if fields["Event"] == "AgentCalled":
            half = fields["DestChannel"][:-2] + ";2"
            phone = "PJSIP/" + fields["DestChannel"].split("/")[1].split("@")[0] + "-0000abcd"
            dial = {**fields, "Event": "DialBegin", "Channel": half, "Uniqueid": uniqueids[half], "DestChannel": phone}
            for key in ("Interface", "MemberName", "Queue"):
                dial.pop(key)
            blocks.append(Block(block.t, dial, ""))
    replay = Run(tmp_path, settings("answered"))
    replay.feed(blocks)
    assert by_call(replay.posts) == expected_posts("run1", "answered")


def test_the_recorded_outage_during_call_9_loses_nothing(tmp_path: Path) -> None:
    """Run 1's connector was killed 1.5 s into call 9 and down 4 s: the call was answered and
    call 8 went on meanwhile."""
    blocks = load("run1")
    killed = next(i for i, b in enumerate(blocks) if b.t >= 26.529)
    back = next(i for i, b in enumerate(blocks) if b.t >= 30.543)
    replay = Run(tmp_path, settings("answered"))
    replay.feed(blocks[:killed])
    replay.store.close()
    replay.feed(blocks[killed:back], heard=False)
    replay.start()
    replay.feed(blocks[back:])
    assert by_call(replay.posts) == expected_posts("run1", "answered")


def test_a_call_that_ends_while_the_connector_is_down_is_hung_up_as_unknown(tmp_path: Path) -> None:
    blocks = load("run1")
    # Call 1 (1796502363.6) is answered by Maria at t=3.017 and ends at t=7.517; call 2 rings
    # from t=4 and is answered by Bob at t=7 (both while the connector is down).
    down = next(i for i, b in enumerate(blocks) if b.t >= 3.5)
    back = next(i for i, b in enumerate(blocks) if b.t >= 7.6)
    replay = Run(tmp_path, settings("answered"))
    replay.feed(blocks[:down])
    replay.store.close()
    replay.feed(blocks[down:back], heard=False)
    replay.start()
    replay.feed(blocks[back:])
    posts = by_call(replay.posts)
    assert posts["1796502363.6"] == [
        ("call", MARIA, "2025550101", "8886201111", "helpline"),
        ("answer", MARIA),
        ("hangup", "unknown", ""),
    ]
    # Call 2 began while the connector was down and was answered meanwhile: posted at the
    # reconnection, its number read from Asterisk (Getvar CALLERID(pres) says it was not withheld).
    expected = expected_posts("run1", "answered")
    assert {k: v for k, v in posts.items() if k != "1796502363.6"} == {
        k: v for k, v in expected.items() if k != "1796502363.6"
    }


def test_a_withheld_number_stays_withheld_when_its_call_began_while_the_connector_was_down(
    tmp_path: Path,
) -> None:
    """Call 7's caller withheld the number (presentation prohibited, said only by NewCallerid
    events); the connector is down from just before it rings until after Maria answers."""
    blocks = load("run1")
    down = next(i for i, b in enumerate(blocks) if b.t >= 18.9)
    back = next(i for i, b in enumerate(blocks) if b.t >= 22.5)
    replay = Run(tmp_path, settings("answered"))
    replay.feed(blocks[:down])
    replay.store.close()
    replay.feed(blocks[down:back], heard=False)
    replay.start()
    replay.feed(blocks[back:])
    assert by_call(replay.posts)["1796502381.42"] == [
        ("call", MARIA, "anonymous", "8886201111", "helpline"),
        ("answer", MARIA),
        ("hangup", "normalClearing", ""),
    ]
    posts, expected = by_call(replay.posts), expected_posts("run1", "answered")
    assert posts["1796502375.30"][-1] == ("hangup", "unknown", ""), "call 5 ended during the outage"
    assert {k: v for k, v in posts.items() if k != "1796502375.30"} == {
        k: v for k, v in expected.items() if k != "1796502375.30"
    }


def test_a_browser_desk_pops_only_its_own_agent_and_never_a_stray_tab(tmp_path: Path) -> None:
    """On Maria's desk (sink = browser, agent = Maria, a token for what has no tab): a call
    opens a tab there only for Maria; with pop_on = ringing when her phone rings, and when Bob
    answers instead her draft is withdrawn (answeredElsewhere, through the API)."""
    replay = Run(tmp_path, settings("ringing", sink="browser", agent=MARIA))
    replay.feed(load("run1"))
    api = FakeApi()
    sink = BrowserSink("http://127.0.0.1:9", "true {url}", MARIA, api)
    outcomes = [
        (kind, params.get("agent", ""), sink.deliver(Event(kind, params)).note) for kind, params in replay.posts
    ]
    tabs = [agent for kind, agent, note in outcomes if note == "opened with the browser command"]
    assert tabs == [MARIA] * 19  # every call that rang her phone (all but call 16, which rang none)
    withdrawn = [p for kind, p in api.posts if kind == "hangup" and p["cause"] == "answeredElsewhere"]
    assert [p["agent"] for p in withdrawn] == [MARIA] * 7  # the 7 Bob answered
    assert len([1 for kind, _ in api.posts if kind == "answer"]) == 15

    replay = Run(tmp_path / "answered", settings("answered", sink="browser", agent=MARIA))
    replay.feed(load("run1"))
    outcomes = [
        (kind, params.get("agent", ""), sink.deliver(Event(kind, params)).note) for kind, params in replay.posts
    ]
    assert [agent for kind, agent, note in outcomes if note == "opened with the browser command"] == [MARIA] * 8
    assert [note for kind, agent, note in outcomes if agent == "35" and kind == "call"] == [
        "another agent's call; no tab here"
    ] * 7


class FakeApi:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str]]] = []

    def deliver(self, event: Event) -> Outcome:
        self.posts.append((event.kind, event.params))
        return Outcome(SENT, "posted")


def test_causes_and_presentation_read_as_a_supervisor_would() -> None:
    assert [cause_name(code) for code in ("16", "17", "19", "21", "34", "1", "0", "", "127", "26")] == [
        "normalClearing",
        "busy",
        "noAnswer",
        "busy",
        "congestion",
        "notFound",
        "unknown",
        "unknown",
        "unknown",
        "unknown",  # answered elsewhere says nothing of how the call ended
    ]
    assert withheld_presentation("35 (Presentation Prohibited, Network Number)")
    assert withheld_presentation("67 (Number Unavailable)")
    assert withheld_presentation("32")
    assert not withheld_presentation("0 (Presentation Allowed, Not Screened)")
    assert not withheld_presentation("")

"""Runs the connector: the sources put events on the on-disk queue, one sender hands them to the sink."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from calldesk_connector.events import CALL, Event
from calldesk_connector.outbox import Outbox
from calldesk_connector.settings import Settings
from calldesk_connector.sinks import REJECTED, RETRY, SENT, Outcome, Sink, make_sink
from calldesk_connector.sources import SourceFailed

log = logging.getLogger("calldesk_connector")

Emit = Callable[[Event], None]


def complete(event: Event, settings: Settings) -> Event:
    """Adds what the settings know to a call: its form (by line dialled), the default agent and
    the constant parameters. What the source sent wins; a source that says nobody took the call
    (an `agent` sent empty) gets no default agent."""
    if event.kind != CALL:
        return event
    params = {**settings.params, **event.params}
    params.setdefault("reportVer", settings.report_ver_for(params.get("dnis", "")))
    if settings.agent and "agent" not in event.params:
        params["agent"] = settings.agent
    # An empty agent stays: it tells the sinks nobody took the call.
    return Event(CALL, {key: value for key, value in params.items() if value or key == "agent"})


class Sender(threading.Thread):
    """Delivers the queue's events, oldest first; while Calldesk cannot be reached it waits
    (doubling up to retry_max seconds) and tries again. Several run side by side (`parallel`),
    so one slow answer does not hold every call back."""

    def __init__(self, outbox: Outbox, sink: Sink, stop: threading.Event, retry_max: float = 30.0) -> None:
        super().__init__(name="sender", daemon=True)
        self.outbox, self.sink, self.stop, self.retry_max = outbox, sink, stop, retry_max

    def run(self) -> None:
        pause = 0.5
        while not self.stop.is_set():
            item = self.outbox.claim()
            if item is None:
                self.outbox.wait(1.0)
                continue
            item_id, event = item
            try:
                outcome = self.sink.deliver(event)
            except Exception:  # a sink's bug must not stop the queue; the event stays
                log.exception("%s #%d could not be delivered", event.kind, item_id)
                outcome = Outcome(RETRY, "the sink failed")
            if outcome.status == SENT:
                self.outbox.delivered(item_id)
                log.info("%s #%d sent: %s", event.kind, item_id, outcome.note)
                pause = 0.5
            elif outcome.status == REJECTED:
                self.outbox.reject(item_id, outcome.note)
                log.error("%s #%d kept aside, not sent: %s", event.kind, item_id, outcome.note)
            else:
                attempts = self.outbox.failed(item_id)
                self.outbox.release(item_id)
                if attempts == 1 or attempts % 10 == 0:
                    log.warning("%s #%d waits: %s (attempt %d)", event.kind, item_id, outcome.note, attempts)
                self.stop.wait(pause)
                pause = min(pause * 2, self.retry_max)


def make_emit(outbox: Outbox, settings: Settings) -> Emit:
    def emit(event: Event) -> None:
        item_id = outbox.put(complete(event, settings))
        log.info("%s #%d queued", event.kind, item_id)

    return emit


def _watched(
    target: Callable[[Settings, Emit, threading.Event], None],
    settings: Settings,
    emit: Emit,
    stop: threading.Event,
    failed: list[str],
) -> None:
    try:
        target(settings, emit, stop)
    except SourceFailed:
        failed.append(threading.current_thread().name)
    except Exception:
        log.exception("the %s source stopped", threading.current_thread().name)
        failed.append(threading.current_thread().name)


def start_sources(settings: Settings, emit: Emit, stop: threading.Event, failed: list[str]) -> list[threading.Thread]:
    threads: list[threading.Thread] = []
    for name in settings.sources:
        if name == "sip":
            from calldesk_connector.sources.sip import run_sip as target
        elif name == "ami":
            from calldesk_connector.sources.ami import run_ami as target
        elif name == "stdin":
            from calldesk_connector.sources.stdin import run_stdin as target
        else:
            from calldesk_connector.sources.webhook import run_webhook as target
        thread = threading.Thread(target=_watched, args=(target, settings, emit, stop, failed), name=name, daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def run(settings: Settings) -> int:
    stop = threading.Event()
    outbox = Outbox(settings.queue_file)
    waiting, rejected = outbox.counts()
    if waiting:
        log.info("%d event(s) from before wait in the queue; sending them first", waiting)
    if rejected:
        log.warning("%d event(s) were refused by Calldesk and are kept aside in %s", rejected, outbox.path)
    sink = make_sink(settings)
    # Browser tabs open in the order the calls came; API posts go side by side.
    count = settings.parallel if settings.sink == "api" else 1
    senders = [Sender(outbox, sink, stop, settings.retry_max) for _ in range(count)]
    for sender in senders:
        sender.start()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("stopping (signal %d)", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    failed: list[str] = []
    threads = start_sources(settings, make_emit(outbox, settings), stop, failed)
    log.info("listening: %s; sending to %s (%s)", ", ".join(settings.sources), settings.sink, settings.url)
    while not stop.is_set():
        stop.wait(0.2)
        if failed:
            log.error("stopping: the %s source cannot run", ", ".join(failed))
            stop.set()
        elif threads and not any(thread.is_alive() for thread in threads):
            # Standard input ended: deliver what is queued, then stop.
            drain(outbox, stop)
            stop.set()
    for sender in senders:
        sender.join(5)
    outbox.close()
    return 1 if failed else 0


def drain(outbox: Outbox, stop: threading.Event, timeout: float = 30.0) -> None:
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while outbox.counts()[0] and not deadline.is_set() and not stop.is_set():
            stop.wait(0.1)
    finally:
        timer.cancel()

"""A local HTTP webhook: `POST /call`, `POST /answer` and `POST /hangup` (JSON or form-encoded), or `GET /call?...`
for phone systems and softphones that can only open an address. Answers 202 once the event is on disk."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from calldesk_connector.events import Event
from calldesk_connector.settings import Settings
from calldesk_connector.sources import BadEvent, SourceFailed, event_from_mapping, log

MAX_BODY = 64 * 1024


def make_handler(settings: Settings, emit: Callable[[Event], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "calldesk-connector"

        def log_message(self, format: str, *args: object) -> None:
            # The default access log writes the query string, which holds the caller's number.
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/healthz":
                self.answer(200, {"ok": True})
                return
            self.handle_event(parts.path, dict(parse_qsl(parts.query)))

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY:
                self.answer(413 if length.isdigit() else 411, {"error": f"send a body of at most {MAX_BODY} bytes"})
                return
            raw = self.rfile.read(int(length))
            kind = self.headers.get_content_type()
            try:
                data: object
                if kind == "application/json":
                    data = json.loads(raw)
                else:
                    data = dict(parse_qsl(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                self.answer(400, {"error": "the body is neither JSON nor a form"})
                return
            self.handle_event(urlsplit(self.path).path, data)

        def handle_event(self, path: str, data: object) -> None:
            if path not in ("/call", "/answer", "/hangup", "/"):
                self.answer(404, {"error": "post to /call, /answer or /hangup"})
                return
            if isinstance(data, dict):
                sent = str(data.pop("secret", ""))
                auth = self.headers.get("Authorization", "")
                sent = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else sent
                if settings.webhook.secret and not hmac.compare_digest(sent, settings.webhook.secret):
                    self.answer(401, {"error": "wrong or missing secret"})
                    return
                if path in ("/answer", "/hangup"):
                    data.setdefault("event", path[1:])
            try:
                event = event_from_mapping(data)
            except BadEvent as exc:
                self.answer(400, {"error": str(exc)})
                return
            emit(event)
            self.answer(202, {"queued": True, "callId": event.call_id})

        def answer(self, status: int, body: dict[str, object]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def run_webhook(settings: Settings, emit: Callable[[Event], None], stop: threading.Event) -> None:
    try:
        server = ThreadingHTTPServer((settings.webhook.listen, settings.webhook.port), make_handler(settings, emit))
    except OSError as exc:
        log.error(
            "the webhook cannot listen on %s:%d: %s", settings.webhook.listen, settings.webhook.port, exc.strerror
        )
        raise SourceFailed from exc
    server.daemon_threads = True
    log.info("webhook listening on http://%s:%d/call", settings.webhook.listen, server.server_address[1])

    def stop_when_told() -> None:
        stop.wait()
        server.shutdown()

    threading.Thread(target=stop_when_told, daemon=True).start()
    server.serve_forever(poll_interval=0.5)
    server.server_close()

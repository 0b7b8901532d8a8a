"""Does a console that reads slower than events arrive grow the server's memory? One `calldesk serve`
(one worker, SQLite, the database channel), a supervisor's consoles that open their stream and
then never read (a 4 KB receive buffer), and calls posted meanwhile; the server's resident memory
before and after.

    .venv/bin/python bench/slow_consoles.py --consoles 100 --calls 600

If the server buffered every event for a console that does not read, its memory would grow by
about consoles x calls x the event's size (~600 bytes): 36 MB for the defaults.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
import django  # noqa: E402

django.setup()

import httpx  # noqa: E402

from tests.cast import PASSWORD  # noqa: E402
from tests.push_servers import PhoneSystem, Serve, environment, make_cast, run_cli  # noqa: E402
from tests.server_process import login  # noqa: E402


def resident_mb(group: int) -> float:
    """Resident memory of a process group (the server and its worker), from /proc."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[2]) == group:
                total += int(Path(f"/proc/{entry}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consoles", type=int, default=100)
    parser.add_argument("--calls", type=int, default=600)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="calldesk-slow-"))
    env = environment(f"sqlite:///{folder}/calldesk.sqlite3", None)
    run_cli(env, "migrate", "-v0")
    token = make_cast(env)
    server = Serve(env, folder / "server.log", workers=1)
    server.start()
    assert server.process is not None
    try:
        with httpx.Client(base_url=server.url) as client:
            login(client, "sue@lifeline.example", PASSWORD)
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        streams = []
        for _ in range(args.consoles):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            request = f"GET /console/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n"
            sock.sendall(request.encode())
            streams.append(sock)
        time.sleep(2)
        before = resident_mb(server.process.pid)
        phone = PhoneSystem(server.url, token)
        for i in range(args.calls):
            phone.post_call(f"99955{i:05d}", "sam@lifeline.example")
        phone.close()
        time.sleep(3)
        after = resident_mb(server.process.pid)
        print(
            f"{args.consoles} consoles not reading, {args.calls} calls: {before:.0f} MB before, {after:.0f} MB after "
            f"(+{after - before:.0f} MB); load average {os.getloadavg()[0]:.1f}"
        )
        for sock in streams:
            sock.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()

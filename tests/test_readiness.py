"""`/readyz` tells a load balancer whether this instance can serve calls: 200 while the
database answers, 503 naming it when it does not. Redis down leaves every node serving pages,
pops and the API, so it is 200 saying the push is degraded, never a 503 that would take every node
out at once. `/healthz` stays the bare liveness check. Tried against a real server whose database
goes away, and a Redis of the test's own that hangs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.private_servers import PrivateRedis, redis_missing
from tests.server_process import Server, manage, scratch_database

REAL_REDIS = "redis://127.0.0.1:6379/0"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_it_is_ready_when_the_database_answers(client: Client, db: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ready"
    assert "no-store" in response["Cache-Control"]


@override_settings(REDIS_URL=REAL_REDIS)
def test_it_is_ready_when_redis_answers_too(client: Client, db: None) -> None:
    assert client.get("/readyz").status_code == 200


@override_settings(REDIS_URL=CLOSED_PORT_REDIS)
def test_it_stays_ready_and_says_the_push_is_degraded_when_the_configured_redis_is_down(
    client: Client, db: None
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content.decode() == "ready, push degraded: redis unavailable"
    assert client.get("/healthz").status_code == 200


@pytest.mark.skipif(redis_missing() is not None, reason=f"no private Redis: {redis_missing()}")
def test_it_answers_within_a_probes_timeout_while_redis_hangs(client: Client, db: None) -> None:
    # A Kubernetes probe gives up after 1 s by default; a Redis that hangs (or whose machine left
    # the network) accepts a connection and never answers.
    hanging = PrivateRedis()
    hanging.start()
    try:
        hanging.pause()
        with override_settings(REDIS_URL=hanging.url):
            started = time.monotonic()
            response = client.get("/readyz")
            took = time.monotonic() - started
    finally:
        hanging.destroy()
    assert (response.status_code, response.content) == (200, b"ready, push degraded: redis unavailable")
    assert took < 1.0


def wait_for(url: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        response = httpx.get(url, timeout=5)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_server_is_not_ready_while_its_database_is_gone(tmp_path: Path) -> None:
    postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    with scratch_database() as scratch:
        url = scratch if postgres else f"sqlite:///{tmp_path}/data/calldesk.sqlite3"
        if not postgres:
            (tmp_path / "data").mkdir()
        manage(url, "migrate", "--no-input")
        server = Server(url)
        server.start()
        try:
            assert httpx.get(server.url + "/readyz").text == "ready"
            if postgres:
                admin, name = url.rsplit("/", 1)
                with psycopg.connect(admin.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as c:
                    c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            else:
                shutil.move(tmp_path / "data", tmp_path / "moved")
            down = wait_for(server.url + "/readyz", 503)
            assert down.status_code == 503
            assert down.text == "not ready: database unavailable"
            assert httpx.get(server.url + "/healthz").status_code == 200  # alive, just not ready
            if postgres:
                with psycopg.connect(admin.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as c:
                    c.execute(f'CREATE DATABASE "{name}"')
            else:
                shutil.move(tmp_path / "moved", tmp_path / "data")
            assert wait_for(server.url + "/readyz", 200).text == "ready"  # and back without a restart
        finally:
            server.stop()

"""Health endpoints for load balancers and orchestrators.

`/healthz` (liveness): the process answers HTTP. It touches nothing else, so it stays the
cheapest request there is (the benchmark's floor). `/readyz` (readiness): this instance can
serve calls: the database answers a query; 503 naming it otherwise, so a load balancer stops
sending calls here. Redis is not part of it: without Redis every node still serves pages, pops and
the API (only the live push between nodes waits for it), and all of them lose it at once, so a
503 would take every node out together. `/readyz` says "degraded" then, with 200.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)
# A readiness probe must answer before the balancer's own timeout (1 s for a Kubernetes probe,
# often 2-5 s elsewhere), even while Redis hangs.
REDIS_TIMEOUT_SECONDS = 0.5


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers; also the benchmark's trivial endpoint."""
    return HttpResponse("ok", content_type="text/plain")


def database_problem() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready", whatever its class
        logger.warning("readiness: database unavailable: %s", type(exc).__name__)
        # A failed connection stays broken inside this request; the next one reconnects.
        connection.close_if_unusable_or_obsolete()
        return "database unavailable"
    return ""


def redis_problem() -> str:
    if not settings.REDIS_URL:
        return ""
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        logger.warning("readiness: redis unavailable: %s", type(exc).__name__)
        return "redis unavailable"
    return ""


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    database = database_problem()
    if database:
        return HttpResponse(f"not ready: {database}", status=503, content_type="text/plain")
    push = redis_problem()
    if push:
        # Still "ready" first, for checks that match the body's start.
        return HttpResponse(f"ready, push degraded: {push}", content_type="text/plain")
    return HttpResponse("ready", content_type="text/plain")

"""Health endpoints for load balancers and orchestrators.

`/healthz` (liveness): the process answers HTTP. It touches nothing else, so it stays the
cheapest request there is (the benchmark's floor). `/readyz` (readiness): this instance can
serve calls: the database answers a query and, when REDIS_URL is set, Redis answers a PING.
503 with the failing part named otherwise, so a load balancer stops sending calls here.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)
# A readiness probe must answer before the balancer's own timeout (often 2-5 s).
REDIS_TIMEOUT_SECONDS = 2.0


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
    problems = [problem for problem in (database_problem(), redis_problem()) if problem]
    if problems:
        return HttpResponse("not ready: " + ", ".join(problems), status=503, content_type="text/plain")
    return HttpResponse("ready", content_type="text/plain")

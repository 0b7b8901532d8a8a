"""Which API framework: CPU per trivial authenticated JSON POST, django-ninja against Django REST
framework, each as a ratio to a plain Django view (the floor) measured in the same run.

    .venv/bin/python bench/api_framework.py            # ninja and the plain view
    .venv/bin/pip install djangorestframework && .venv/bin/python bench/api_framework.py   # DRF too

Each endpoint checks a Bearer token, validates a two-field body and answers 201, in one process
through Django's test client (no network), so the figures are the framework's own work. DRF is
not a Calldesk dependency: the script leaves it out when it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import time
from typing import Any

import django
from django.conf import settings

HAS_DRF = importlib.util.find_spec("rest_framework") is not None
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "ninja", *(["rest_framework"] * HAS_DRF)],
    MIDDLEWARE=[],
    DATABASES={},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from ninja import NinjaAPI, Schema, Status  # noqa: E402
from ninja.security import HttpBearer  # noqa: E402

TOKEN = "cdk_bench"
BODY = json.dumps({"reportVer": "9991234", "agent": "34"})
ROUNDS, REQUESTS = 5, 2000


class Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return token if token == TOKEN else None


class CallIn(Schema):
    reportVer: str
    agent: str = ""


api = NinjaAPI(auth=Bearer())


@api.post("/calls", response={201: dict})
def ninja_calls(request: HttpRequest, payload: CallIn) -> Status:
    return Status(201, {"reportVer": payload.reportVer})


@csrf_exempt
def plain_calls(request: HttpRequest) -> JsonResponse:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return JsonResponse({}, status=401)
    data = json.loads(request.body)
    return JsonResponse({"reportVer": str(data["reportVer"])}, status=201)


urlpatterns: list[Any] = [path("plain/calls", plain_calls), path("ninja/", api.urls)]
ENDPOINTS = [("plain Django view (floor)", "/plain/calls"), ("django-ninja", "/ninja/calls")]

if HAS_DRF:
    from rest_framework import serializers
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.decorators import api_view, authentication_classes, permission_classes
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.response import Response

    class DrfAuth(BaseAuthentication):
        def authenticate(self, request: Any) -> tuple[None, str]:
            if request.META.get("HTTP_AUTHORIZATION") != f"Bearer {TOKEN}":
                raise AuthenticationFailed()
            return (None, TOKEN)

    class CallSerializer(serializers.Serializer):
        reportVer = serializers.CharField()
        agent = serializers.CharField(required=False, default="")

    @api_view(["POST"])
    @authentication_classes([DrfAuth])
    @permission_classes([])
    def drf_calls(request: Any) -> Response:
        body = CallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"reportVer": body.validated_data["reportVer"]}, status=201)

    urlpatterns.append(path("drf/calls", drf_calls))
    ENDPOINTS.append(("Django REST framework", "/drf/calls"))


def cpu_per_request(client: Client, url: str) -> float:
    """The best of ROUNDS runs of REQUESTS posts, in microseconds of this process's CPU."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            client.post(url, BODY, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        best = min(best, (time.process_time() - started) / REQUESTS * 1e6)
    return best


def main() -> None:
    client = Client()
    floor = None
    for name, url in ENDPOINTS:
        answer = client.post(url, BODY, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert answer.status_code == 201, (name, answer.status_code)
        figure = cpu_per_request(client, url)
        floor = floor or figure
        print(f"{name:28s} {figure:6.0f} µs CPU per request   {figure / floor:4.2f}x the floor")
    if not HAS_DRF:
        print("(Django REST framework not installed: `pip install djangorestframework` to compare it)")


if __name__ == "__main__":
    main()

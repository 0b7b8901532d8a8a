"""The client's address, read through the reverse proxies the installation trusts.

Behind a proxy every request comes from the proxy's address; the client's is in
X-Forwarded-For, which each proxy extends with the address it saw. Only the last
`TRUSTED_PROXIES` entries were written by proxies we run, so the client is the entry that
many places from the end; anything before it was sent by the client and may be forged.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "0.0.0.0"  # noqa: S104 - a placeholder, never bound  # nosec B104


def _valid(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_address(request: HttpRequest) -> str:
    direct = _valid(request.META.get("REMOTE_ADDR", "")) or UNKNOWN
    proxies: int = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return direct
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return direct  # reached us without the proxy (e.g. a health check from the host)
    # With fewer entries than proxies, the first one is the closest we have to the client.
    entry = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    return _valid(entry) or direct

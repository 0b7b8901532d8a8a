"""`/api/reports`: the organization's reports (filled in next)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["reports"])

"""`/api/forms/{reportVer}`: a form's fields (filled in next)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["forms"])

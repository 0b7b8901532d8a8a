"""The confirmation step of a hard-to-undo action (retire a form, deactivate a user, close a
draft as abandoned): the action's own POST, sent without `confirmed=1` (the button on a list or
an edit page), answers a page that says what will happen, with the confirming button and a way
back. Plain HTML forms, so it works without JavaScript; a script cannot skip it by accident."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED) == "1"


@dataclass
class Confirmation:
    title: str  # "Retire form 9991234?"
    consequences: list[str]  # what happens, one plain sentence each
    action: str  # the URL the confirming POST goes to (the same view)
    button: str  # "Retire the form"
    cancel: str  # where "Keep it" leads
    fields: dict[str, str] = field(default_factory=dict)  # hidden fields the POST carries again
    undo: str = ""  # how to undo it afterwards, if it can be

    def response(self, request: HttpRequest) -> HttpResponse:
        return render(request, "confirm.html", {"confirm": self, "confirmed_field": CONFIRMED})

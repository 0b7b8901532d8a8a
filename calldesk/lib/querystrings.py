"""Filter addresses without their empty parameters.

A filter form submitted by the browser sends every field, empty or not
(`/reports/?from=&to=&agent=&form=…`): such an address is redirected once to the same filter
without the empty ones, so addresses people copy, bookmark or share stay short and readable,
with or without JavaScript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect, QueryDict


def without_empty(query: QueryDict) -> QueryDict:
    kept = QueryDict(mutable=True)
    for key, values in query.lists():
        filled = [value for value in values if value.strip()]
        if filled:
            kept.setlist(key, filled)
    return kept


def tidy_redirect(request: HttpRequest) -> HttpResponseRedirect | None:
    """A redirect to the same address without empty parameters, if it has any."""
    kept = without_empty(request.GET)
    if dict(kept.lists()) == dict(request.GET.lists()):
        return None
    return HttpResponseRedirect(request.path + ("?" + kept.urlencode() if kept else ""))

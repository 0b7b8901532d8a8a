"""`{% static %}` without asking on each use whether the staticfiles app is installed.

Django's tag looks the app up among the installed ones at every `{% static %}` (a walk over
every app), then asks the storage, which already answers from memory (`lib/static_storage.py`).
The editor page, where every screen pop lands, has nine of them. A template builtin (settings), so
templates use it without a `{% load %}` (`{% load static %}` would bring back Django's);
`{% get_static_prefix %}` and the rest are Django's own.
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags import static as django_static

register = django_static.register.__class__()
register.tags.update(django_static.register.tags)
register.filters.update(django_static.register.filters)


class StaticNode(django_static.StaticNode):
    @classmethod
    def handle_simple(cls, path: str) -> str:
        return staticfiles_storage.url(path)


register.tag("static", StaticNode.handle_token)


def static(path: str) -> str:
    return StaticNode.handle_simple(path)

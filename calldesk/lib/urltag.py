"""`{% url %}` as Django writes it, except that a URL without arguments is reversed once per
process (a template builtin, settings.TEMPLATES, so every template's `{% url %}` is this one).

Every page carries the navigation, a dozen links without arguments, and `reverse()` costs about
25 µs each: on the screen pop's editor page that was a few percent of the whole request for
strings that never change while the process runs (the URL configuration is loaded once; the
script prefix, which a deployment under a sub-path sets, is part of the key). A URL whose
arguments are all named UUIDs (a record's page: `{% url 'reports-detail' public_id=report.public_id %}`)
is built by `lib.urls.uuid_url`, from a pattern reversed once; any other is reversed every time,
as Django does."""

from __future__ import annotations

from uuid import UUID

from django.template import Context, Library
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from calldesk.lib.urls import uuid_url

register = Library()
_kept: dict[tuple[str, str, bool], SafeString | str] = {}
_PREFIX = "calldesk.lib.urltag prefix"


class KeptURLNode(URLNode):
    def render(self, context: Context) -> SafeString | str:
        if self.kwargs and not self.args:
            ids = {key: value.resolve(context) for key, value in self.kwargs.items()}
            name = self.view_name.resolve(context)
            if ":" not in name and all(isinstance(value, UUID) for value in ids.values()):
                built = uuid_url(name, **ids)
                if self.asvar:
                    context[self.asvar] = built
                    return ""
                return conditional_escape(built) if context.autoescape else built
        if self.args or self.kwargs or self.asvar:
            return super().render(context)
        name = self.view_name.resolve(context)
        if ":" in name:  # a namespace may depend on the current app
            return super().render(context)
        # The script prefix is read once per page (asgiref's Local costs as much as the rest).
        prefix = context.render_context.get(_PREFIX)
        if prefix is None:
            prefix = context.render_context[_PREFIX] = get_script_prefix()
        key = (name, prefix, context.autoescape)
        found = _kept.get(key)
        if found is None:
            found = _kept[key] = super().render(context)
        return found


@register.tag
def url(parser: Parser, token: Token) -> KeptURLNode:
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)

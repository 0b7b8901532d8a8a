"""`/api/forms/{reportVer}`: a form's current fields and call types, to build what a phone
system sends."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router

from calldesk.api.auth import token_of
from calldesk.api.schemas import READ_ERRORS, FormOut
from calldesk.callforms.models import CallForm

router = Router(tags=["forms"])


@router.get("/{report_ver}", response={200: FormOut, **READ_ERRORS}, summary="A form's fields")
def get_form(request: HttpRequest, report_ver: str) -> FormOut:
    org = token_of(request).organization
    # Another organization's reportVer is as unknown as one that does not exist.
    form = CallForm.objects.filter(organization=org, report_ver=report_ver).first()
    if form is None:
        raise Http404("No form with this reportVer.")
    revision = form.current_revision()
    definition = revision.definition
    return FormOut.model_validate(
        {
            "id": form.public_id,
            "reportVer": form.report_ver,
            "name": form.name,
            "revision": revision.number,
            "retired": form.retired_at is not None,
            "fields": [
                {
                    "key": item.key,
                    "label": item.label,
                    "type": item.type.value,
                    "required": item.required,
                    "helpText": item.help_text,
                    "personal": item.personal,
                    "choices": [{"label": choice.label, "code": choice.code} for choice in item.choices],
                }
                for item in definition.fields
            ],
            "callTypes": [{"key": kind.key, "label": kind.label, "data": kind.data} for kind in definition.call_types],
        }
    )

"""The admin pages' Django forms. Validation of a form definition itself stays in
`callforms.definition.parse_definition`; these forms only shape the page's input."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django import forms
from django.contrib.auth.password_validation import validate_password

from calldesk.accounts.models import Organization, Role, User
from calldesk.callforms.definition import FieldType
from calldesk.callforms.models import CallForm
from calldesk.lib import limits
from calldesk.lib.emails import EmailAddressField
from calldesk.lib.times import time_zone_names

REPORT_VER_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
FIELD_TYPE_CHOICES = [
    (FieldType.TEXT.value, "Text"),
    (FieldType.LONG_TEXT.value, "Long text"),
    (FieldType.NUMBER.value, "Number"),
    (FieldType.YES_NO.value, "Yes / no"),
    (FieldType.CHOICE.value, "Choice (one)"),
    (FieldType.MULTI_CHOICE.value, "Choice (several)"),
    (FieldType.DATE.value, "Date"),
    (FieldType.DATETIME.value, "Date and time"),
    (FieldType.PHONE.value, "Phone number"),
    (FieldType.EMAIL.value, "Email address"),
    (FieldType.REFERRALS.value, "Referrals (resource directory)"),
]


class NewCallForm(forms.Form):
    report_ver = forms.CharField(
        label="reportVer",
        max_length=64,
        help_text="The public string phone systems send, e.g. a 7-digit number like 9991234.",
    )
    name = forms.CharField(label="Name", max_length=200)

    def clean_report_ver(self) -> str:
        value: str = self.cleaned_data["report_ver"].strip()
        if not REPORT_VER_RE.match(value):
            raise forms.ValidationError("Use letters, digits, dot, dash or underscore (at most 64).")
        # reportVer is unique across the installation, so this says no even for
        # another organization's form; it tells nothing more than that the string is taken.
        if CallForm.objects.filter(report_ver=value).exists():
            raise forms.ValidationError("This reportVer is already in use; choose another.")
        return value


class FormNameForm(forms.Form):
    name = forms.CharField(label="Form name", max_length=200)
    # Checked again by parse_definition (one set of limits with config import); left out of a
    # post, the default applies.
    follow_up_attempts = forms.IntegerField(
        min_value=limits.FOLLOW_UP_ATTEMPTS[0],
        max_value=limits.FOLLOW_UP_ATTEMPTS[1],
        required=False,
        label="Follow-up attempts",
        help_text="A follow-up closes as unreachable after this many attempts without reaching the person.",
    )


class FieldRowForm(forms.Form):
    """One field of the definition as one row of the editor."""

    key = forms.CharField(max_length=63, required=False, help_text="Left empty: made from the label.")
    label = forms.CharField(max_length=limits.MAX_FIELD_LABEL, required=False)
    type = forms.ChoiceField(choices=FIELD_TYPE_CHOICES, initial=FieldType.TEXT.value)
    required = forms.BooleanField(required=False)
    personal = forms.BooleanField(required=False)
    help_text = forms.CharField(max_length=limits.MAX_HELP_TEXT, required=False)
    choices = forms.CharField(
        required=False,
        # Room for the most choices a field may have, each with the longest label and code.
        max_length=limits.MAX_CHOICES_PER_FIELD * (limits.MAX_CHOICE_LABEL + limits.MAX_CHOICE_CODE + 4),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Spanish = 112211"}),
        help_text="One per line: Label = code (the code is optional).",
    )


class CallTypeRowForm(forms.Form):
    key = forms.CharField(max_length=63, required=False)
    label = forms.CharField(max_length=limits.MAX_CALL_TYPE_LABEL, required=False)
    full_report = forms.BooleanField(required=False, label="Full report", initial=True)
    # A choice rather than a checkbox: a post without it (an older page) keeps the default.
    follow_ups = forms.ChoiceField(
        choices=[("yes", "Offered"), ("no", "Not offered")], required=False, initial="yes", label="Follow-ups"
    )


# absolute_max: a post claiming more rows builds no more forms than that (Django's default
# allows 1,000 more, and building and showing them takes seconds) and is refused as too many.
FieldRowFormSet = forms.formset_factory(
    FieldRowForm,
    extra=1,
    can_order=True,
    can_delete=True,
    max_num=limits.MAX_FIELDS,
    absolute_max=limits.MAX_FIELDS,
)
CallTypeFormSet = forms.formset_factory(
    CallTypeRowForm,
    extra=1,
    can_delete=True,
    max_num=limits.MAX_CALL_TYPES,
    absolute_max=limits.MAX_CALL_TYPES,
)


class MappingForm(forms.Form):
    parameter = forms.CharField(max_length=100, label="URL parameter", help_text="e.g. language, dnis")
    value = forms.CharField(
        max_length=500, required=False, label="Only when its value is", help_text="Empty: any value."
    )
    field_key = forms.ChoiceField(label="Field", choices=())
    field_value = forms.CharField(
        max_length=500,
        required=False,
        label="Put this value",
        help_text="Empty: the value as sent (a choice field picks the choice by code or label).",
    )

    def __init__(self, *args: Any, field_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field_key"].choices = field_choices  # type: ignore[attr-defined]

    def clean_parameter(self) -> str:
        value: str = self.cleaned_data["parameter"].strip()
        if not re.match(r"^[A-Za-z0-9._-]+$", value):
            raise forms.ValidationError("A parameter name is letters, digits, dot, dash or underscore.")
        return value


class TesterForm(forms.Form):
    url = forms.CharField(
        label="A URL your phone system sent",
        max_length=16384,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )


ROLE_HELP = "Specialists write reports; supervisors also see every report; admins also configure."


class UserCreateForm(forms.Form):
    # The column's length: a longer (valid) address would otherwise fail in the database.
    email = EmailAddressField(label="Email", max_length=User._meta.get_field("email").max_length)
    name = forms.CharField(max_length=200, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.SPECIALIST, help_text=ROLE_HELP)
    agent_id = forms.CharField(
        max_length=64, required=False, label="Agent ID", help_text="The ID the phone system knows this person by."
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Initial password",
        required=False,
        help_text="Leave empty to email them an invitation to choose their own. "
        "A password set here must be changed at their first login.",
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if User.objects.filter(email=email).exists():  # stored normalised
            raise forms.ValidationError("A user with this email exists already.")
        return email

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if password:
            validate_password(password)
        return password


class UserEditForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    role = forms.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)
    agent_id = forms.CharField(max_length=64, required=False, label="Agent ID")
    new_password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        label="New password",
        help_text="Leave empty to keep the current one.",
    )

    def __init__(self, *args: Any, member: User, acting: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.acting = acting

    def clean_role(self) -> str:
        role: str = self.cleaned_data["role"]
        # An admin who demotes themselves could leave the organization with no one to configure it.
        if self.member.pk == self.acting.pk and role != Role.ADMIN:
            raise forms.ValidationError("You cannot take away your own admin role; ask another admin.")
        return role

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        if password:
            validate_password(password, self.member)
        return password


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in time_zone_names()]


def _region_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in sorted(phonenumbers.SUPPORTED_REGIONS)]


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    time_zone = forms.ChoiceField(help_text="Call times without a zone are read in it, and every time is shown in it.")
    phone_region = forms.ChoiceField(
        label="Default phone region", help_text="Numbers without a country code are read as numbers of this region."
    )
    idle_timeout_minutes = forms.IntegerField(
        min_value=limits.IDLE_TIMEOUT_MINUTES[0],
        max_value=limits.IDLE_TIMEOUT_MINUTES[1],
        label="Idle timeout (minutes)",
        help_text="A session unused this long logs out.",
    )
    retention_days = forms.IntegerField(
        min_value=limits.RETENTION_DAYS[0],
        max_value=limits.RETENTION_DAYS[1],
        required=False,
        label="Keep callers' personal data (days)",
        help_text="Empty: keep it. After this, phone numbers and personal fields are blanked.",
    )

    two_factor_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Two-factor sign-in required for",
        help_text="People in these roles sign in with a code from their phone as well as their password; "
        "they set it up at their next sign-in.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = kwargs.get("initial") or {}
        if isinstance(initial.get("two_factor_roles"), str):
            initial["two_factor_roles"] = [r for r in initial["two_factor_roles"].split(",") if r]
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _zone_choices()  # type: ignore[attr-defined]
        self.fields["phone_region"].choices = _region_choices()  # type: ignore[attr-defined]

    def clean_two_factor_roles(self) -> str:
        return Organization.two_factor_roles_text(self.cleaned_data["two_factor_roles"])


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="What uses it, e.g. “Asterisk at main office”.")

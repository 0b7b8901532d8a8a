"""Email addresses as Calldesk reads them, the same on every path (admin pages, config import,
login, the telephony URL's `agent`): Unicode is allowed in the local part and the domain
(RFC 6531/6532: `josé.nuñez@acme.com`, `info@bücher.example`), and an address has one normal
form (NFC, lower-case) so the same person typed two ways is one user."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.validators import EmailValidator
from django.utils.regex_helper import _lazy_re_compile


def normalise_email(value: str) -> str:
    """`  José.Nuñez@ACME.com ` → `josé.nuñez@acme.com` (composed accents, lower-case)."""
    return unicodedata.normalize("NFC", value.strip()).lower()


class UnicodeEmailValidator(EmailValidator):
    """Django's validator, with letters of any script in the local part (Django's is ASCII
    only); its domain check already takes internationalised domains."""

    user_regex = _lazy_re_compile(
        # dot-atom of letters, digits and RFC 5322's symbols (\w is Unicode-aware)
        r"^[\w!#$%&'*+/=?^`{}|~-]+(\.[\w!#$%&'*+/=?^`{}|~-]+)*\Z"
        # or a quoted string
        r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z',
        re.IGNORECASE,
    )


validate_address = UnicodeEmailValidator()


class EmailAddressField(forms.CharField):
    """A form's email address: normalised first (a decomposed `é` is two code points, one of
    them not a letter), then checked. A text box, not type=email: browsers refuse a Unicode
    local part in those."""

    default_validators = [validate_address]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        attrs = {"inputmode": "email", "spellcheck": "false", "autocapitalize": "none"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return normalise_email(str(super().to_python(value)))

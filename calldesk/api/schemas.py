"""Every input (and answer) of the API in one place: what OpenAPI describes and what is checked.

Phone systems send numbers as JSON numbers or strings alike, so parameter values may be either;
lists, objects and true/false are refused with a message for the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, field_validator, model_validator

from calldesk.telephony.models import END_REASON_MAX, EXTERNAL_ID_MAX
from calldesk.telephony.reading import storable

Scalar = StrictStr | StrictInt | StrictFloat
# A form field sent twice arrives as a list: the telephony URL's rule (first non-empty value) reads it.
ParamValue = Scalar | list[Scalar] | None
CallIdValue = StrictStr | StrictInt

CAUSE_HELP = (
    "normalClearing, busy, cancel, noAnswer, congestion, notFound or forwarded (Zammad's causes), "
    "answeredElsewhere or unknown; Q.850 cause numbers (16, 17, …), SIP codes (486, …) and Asterisk's "
    "cause names (NO_ANSWER, …) are read as these. Empty, 0 and unknown numbers: unknown. Any other "
    "word is kept as sent."
)


def text(value: Any) -> str:
    """A scalar as the telephony URL would carry it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class CallIn(BaseModel):
    """The telephony URL's parameters, matched without regard to case; any other
    parameter goes through the form's mappings."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    reportVer: ParamValue = Field(None, description="The call report form (required).", examples=["9991234"])
    agent: ParamValue = Field(None, description="Email address or agent ID of the specialist taking the call.")
    ani: ParamValue = Field(None, description="The caller's number.")
    callStart: ParamValue = Field(None, description="ISO-8601, `2008-09-22 14:01:54` or Unix time; default now.")
    callId: CallIdValue | None = Field(
        None, description="The phone system's own ID of the call: the same callId is the same call."
    )

    __pydantic_extra__: dict[str, ParamValue] = Field(init=False)  # type: ignore[assignment]

    @field_validator("callId")
    @classmethod
    def _call_id_fits(cls, value: str | int | None) -> str | int | None:
        if len(text(value)) > EXTERNAL_ID_MAX:
            raise ValueError(f"at most {EXTERNAL_ID_MAX} characters")
        return value

    def pairs(self) -> list[tuple[str, str]]:
        """The parameters as (name, value) pairs, as the telephony URL's reading takes them."""
        pairs: list[tuple[str, str]] = []
        for name, value in self.model_dump(exclude_none=True).items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, text(item)))
        return pairs


class HangupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: StrictStr = Field("", max_length=END_REASON_MAX, description=CAUSE_HELP)
    endedAt: StrictStr | StrictInt | None = Field(None, description="When the call ended, read like callStart.")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: StrictStr | StrictInt | None = Field(
        None, description="Who answered: email address or agent ID, read like the call's `agent`."
    )
    answeredAt: StrictStr | StrictInt | None = Field(None, description="When, read like callStart; default now.")

    @field_validator("agent")
    @classmethod
    def _agent_fits(cls, value: str | int | None) -> str | int | None:
        if len(text(value)) > EXTERNAL_ID_MAX:
            raise ValueError(f"at most {EXTERNAL_ID_MAX} characters")
        return value


class AnswerByCallIdIn(AnswerIn):
    callId: CallIdValue = Field(description="The callId the call was posted with.")

    @field_validator("callId")
    @classmethod
    def _call_id_fits(cls, value: str | int) -> str:
        return call_id(value)


class HangupByCallIdIn(HangupIn):
    callId: CallIdValue = Field(description="The callId the call was posted with.")

    @field_validator("callId")
    @classmethod
    def _call_id_fits(cls, value: str | int) -> str:
        return call_id(value)


class CtiEventIn(BaseModel):
    """An event of Zammad's generic CTI interface, with Zammad's parameter names."""

    # Phone systems set up for Zammad send more than Zammad reads; the rest is ignored as there.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event: Literal["newCall", "answer", "hangup"]
    from_: Scalar = Field("", alias="from", description="The calling number (or `anonymous`).")
    to: Scalar = Field("", description="The called number.")
    direction: Literal["in", "out", ""] = ""
    callId: CallIdValue = Field(description="Zammad's callId: unique per call, at most 250 characters.")
    user: list[StrictStr] = Field(default_factory=list, description="`user` or `user[]`: the users involved.")
    queue: Scalar = ""
    answeringNumber: Scalar = Field("", description="Who answered: email address or agent ID.")
    cause: StrictStr = Field("", max_length=END_REASON_MAX, description=CAUSE_HELP)
    reportVer: Scalar = Field("", description="Calldesk's addition: the form (default: the organization's first).")

    @model_validator(mode="before")
    @classmethod
    def _users(cls, data: Any) -> Any:
        if isinstance(data, dict):
            users = [*_listed(data.get("user")), *_listed(data.get("user[]"))]
            data = {name: value for name, value in data.items() if name not in ("user", "user[]")}
            data["user"] = users
        return data

    @field_validator("callId")
    @classmethod
    def _call_id_fits(cls, value: str | int) -> str:
        return call_id(value)


def call_id(value: str | int) -> str:
    """A callId that names a call: not blank, not longer than the database keeps."""
    found = storable(text(value)).strip()  # as the call's own callId was stored
    if not found:
        raise ValueError("must not be empty")
    if len(found) > EXTERNAL_ID_MAX:
        raise ValueError(f"at most {EXTERNAL_ID_MAX} characters")
    return found


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# Answers.


class ErrorOut(BaseModel):
    message: str
    errors: dict[str, str] = Field(default_factory=dict, description="A message per field.")


# What a write can answer besides success: the body (400, 413, 415), the token (401), an unknown
# call (404), a value (422).
WRITE_ERRORS: dict[int, type[BaseModel]] = {code: ErrorOut for code in (400, 401, 404, 413, 415, 422)}
# A read: a NUL character anywhere in the request (400, refused before any view), the token (401),
# an unknown record (404), a parameter (422).
READ_ERRORS: dict[int, type[BaseModel]] = {code: ErrorOut for code in (400, 401, 404, 422)}


class PersonOut(BaseModel):
    email: str
    name: str
    agentId: str


class DraftOut(BaseModel):
    id: UUID
    status: str
    editorUrl: str = Field(description="The report's page in Calldesk.")


class CallOut(BaseModel):
    id: UUID
    callId: str
    reportVer: str
    state: Literal["ringing", "talking", "ended"]
    receivedAt: datetime
    answeredAt: datetime | None
    answeredBy: PersonOut | None = Field(description="The specialist who answered, when known.")
    endedAt: datetime | None
    endReason: str
    agent: PersonOut | None = Field(description="The specialist the draft is for.")
    unassignedReason: str = Field(description="Why the call has no draft (empty when it has one).")
    draft: DraftOut | None
    notices: list[str]


class PendingHangupOut(BaseModel):
    callId: str
    state: Literal["pending"]
    message: str


class PendingAnswerOut(PendingHangupOut):
    """An answer kept for a callId not recorded yet."""


class CtiOut(BaseModel):
    """Zammad answers `{}`; Calldesk adds the call's id and state."""

    id: UUID | None = None
    state: str = ""


class CallRefOut(BaseModel):
    id: UUID
    callId: str


class ReportOut(BaseModel):
    id: UUID
    reportVer: str
    formName: str
    revision: int
    status: str
    callType: str
    agent: PersonOut | None
    author: PersonOut | None
    callStart: datetime
    phone: str = Field(description="As sent (empty once retention removed it).")
    phoneE164: str
    values: dict[str, Any] = Field(description="The form's fields by key, as the report's revision defines them.")
    createdAt: datetime
    updatedAt: datetime
    submittedAt: datetime | None
    version: int
    call: CallRefOut | None


class ReportPageOut(BaseModel):
    items: list[ReportOut]
    next: str | None = Field(description="The cursor of the next page; null on the last page.")


class ReportFilterQuery(BaseModel):
    """The report list's filters (the same names as on the list page's address)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(None, alias="from", description="First day (YYYY-MM-DD), organization's time zone.")
    to: str | None = Field(None, description="Last day (YYYY-MM-DD).")
    agent: str | None = Field(None, description="A user's id.")
    form: str | None = Field(None, description="A form's id.")
    call_type: str | None = None
    status: str | None = Field(None, description="draft, submitted, closed, abandoned, or any; default: all but drafts")
    phone: str | None = Field(None, description="The caller's number, any format.")
    sort: Literal["-call_start", "call_start"] = "-call_start"


class ReportQuery(ReportFilterQuery):
    """The report list's filters, a page at a time."""

    cursor: str | None = Field(None, description="`next` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class ChoiceOut(BaseModel):
    label: str
    code: str


class FieldOut(BaseModel):
    key: str
    label: str
    type: str
    required: bool
    helpText: str
    personal: bool
    choices: list[ChoiceOut]


class CallTypeOut(BaseModel):
    key: str
    label: str
    data: bool


class FormOut(BaseModel):
    id: UUID
    reportVer: str
    name: str
    revision: int
    retired: bool
    fields: list[FieldOut]
    callTypes: list[CallTypeOut]

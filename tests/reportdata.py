"""Known reports for the list, export, dashboard and retention tests.

Organization A (America/New_York) gets a second revision of form 9991234 (a new choice
`French` and a multi-choice `topics`), and six reports; organization B one report from the
same caller's number, which must never show up in A's lists, exports or figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calldesk.accounts.models import User
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.reports.models import CallReport, ReportChange, Status
from calldesk.telephony.models import Call
from tests.cast import FORM_A_DEFINITION, Cast

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
CALLER = "999-123-4567"
CALLER_E164 = "+19991234567"


def revision_two(form: CallForm) -> FormRevision:
    definition: dict[str, Any] = {
        "fields": [
            {
                **FORM_A_DEFINITION["fields"][0],
                "choices": [*FORM_A_DEFINITION["fields"][0]["choices"], {"label": "French"}],
            },
            *FORM_A_DEFINITION["fields"][1:],
            {"key": "topics", "label": "Topics", "type": "multi_choice", "choices": ["Housing", "Food", "Health"]},
        ]
    }
    return FormRevision.objects.create(form=form, number=2, definition_json=definition)


def make_report(
    form: CallForm,
    author: User,
    start: datetime,
    *,
    agent: User | None = None,
    status: str = Status.SUBMITTED,
    phone: tuple[str, str] = ("", ""),
    values: dict[str, Any] | None = None,
    call_type: str = "call",
    revision: FormRevision | None = None,
    submit_after: timedelta = timedelta(minutes=10),
    ended: str = "",
) -> CallReport:
    revision = revision or form.revisions.order_by("number").first()
    assert revision is not None
    params = [["reportVer", form.report_ver], ["agent", author.agent_id or author.email]]
    if phone[0]:
        params.append(["ANI", phone[0]])
    call = Call.objects.create(
        organization=form.organization,
        form=form,
        revision=revision,
        opened_by=author,
        params=params,
        unmapped=[["ani_extra", phone[0]]] if phone[0] else [],
        resolved={"summary": (values or {}).get("summary", "")} if values and "summary" in values else {},
        fingerprint="f" * 64,
        ended_at=start + timedelta(minutes=3) if ended else None,
        end_reason=ended,
    )
    report = CallReport.objects.create(
        organization=form.organization,
        form=form,
        revision=revision,
        call=call,
        agent=agent or author,
        call_start=start,
        phone_raw=phone[0],
        phone_e164=phone[1],
        call_type=call_type,
        values=values or {},
        status=status,
        author=author,
        submitted_at=start + submit_after if status in (Status.SUBMITTED, Status.CLOSED) else None,
    )
    ReportChange.objects.create(
        report=report,
        user=author,
        action=ReportChange.Action.CREATED,
        changes={"phone_raw": [None, phone[0]], **{k: [None, v] for k, v in (values or {}).items()}},
        version=1,
    )
    return report


@dataclass
class Known:
    r1: CallReport
    r2: CallReport
    r3: CallReport
    r4: CallReport
    r5: CallReport
    r6: CallReport
    rb: CallReport

    @property
    def org_a(self) -> list[CallReport]:
        return [self.r1, self.r2, self.r3, self.r4, self.r5, self.r6]


def make_known(cast: Cast) -> Known:
    form = cast.form_a
    two = revision_two(form)
    sam, kim = cast.specialist, cast.specialist2
    return Known(
        r1=make_report(
            form,
            sam,
            datetime(2026, 3, 2, 10, 0, tzinfo=NY),
            phone=(CALLER, CALLER_E164),
            values={"language": "English", "incoming_line": "Main line", "summary": "Upset about RENT", "risk": True},
        ),
        # 23:30 in New York is already 3 March in UTC: the date filter works in the org's zone.
        r2=make_report(
            form,
            kim,
            datetime(2026, 3, 2, 23, 30, tzinfo=NY),
            phone=("(999) 123 4567", CALLER_E164),
            values={"language": "Spanish", "incoming_line": "Youth line", "summary": "housing", "risk": False},
            submit_after=timedelta(hours=2),
        ),
        r3=make_report(
            form, sam, datetime(2026, 3, 5, 9, 0, tzinfo=NY), status=Status.CLOSED, call_type="hang_up", ended="cancel"
        ),
        r4=make_report(
            form,
            kim,
            datetime(2026, 3, 6, 12, 0, tzinfo=NY),
            status=Status.DRAFT,
            phone=("9995550000", "+19995550000"),
            values={"language": "Spanish"},
            ended="normalClearing",
        ),
        r5=make_report(
            form,
            cast.supervisor,
            datetime(2026, 3, 7, 14, 15, tzinfo=NY),
            agent=sam,
            revision=two,
            values={"language": "French", "topics": ["Housing", "Food"], "summary": '=HYPERLINK("x")', "risk": True},
        ),
        r6=make_report(
            form,
            sam,
            datetime(2026, 3, 8, 8, 5, tzinfo=NY),
            revision=two,
            status=Status.ABANDONED,
            values={"topics": ["Food"]},
            ended="cancel",
        ),
        rb=make_report(
            cast.form_b,
            cast.specialist_b,
            datetime(2026, 3, 2, 10, 0, tzinfo=LONDON),
            phone=(CALLER, CALLER_E164),
            values={"notes": "rent"},
        ),
    )

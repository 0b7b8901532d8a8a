"""How a call ended, as supervisors read it: the causes of docs/api.md.

Phone systems say it in words (Zammad's `noAnswer`, Asterisk's `NO_ANSWER`), in Q.850 cause
numbers (Asterisk's `Cause: 16`) or in SIP status codes (`486`). Every one of them is read here
into Calldesk's names; a number nobody can place, `0` and an empty cause read as *unknown*, so a
supervisor never sees a bare number. Any other word is kept as sent. Pure.
"""

from __future__ import annotations

import re

NORMAL_CLEARING = "normalClearing"
BUSY = "busy"
CANCEL = "cancel"
NO_ANSWER = "noAnswer"
CONGESTION = "congestion"
NOT_FOUND = "notFound"
FORWARDED = "forwarded"
# Beside the seven causes phone systems send (docs/api.md): a forked or ringall call taken by
# another phone (Q.850 26), and a cause nobody said (or said as 0).
ANSWERED_ELSEWHERE = "answeredElsewhere"
UNKNOWN = "unknown"

CAUSES = (NORMAL_CLEARING, BUSY, CANCEL, NO_ANSWER, CONGESTION, NOT_FOUND, FORWARDED, ANSWERED_ELSEWHERE, UNKNOWN)

# Q.850 (ITU-T) cause values, as Asterisk's Hangup event and SIP's `Reason: Q.850;cause=` carry them.
Q850 = {
    1: NOT_FOUND,  # unallocated number
    2: NOT_FOUND,  # no route to transit network
    3: NOT_FOUND,  # no route to destination
    16: NORMAL_CLEARING,
    17: BUSY,  # user busy
    18: NO_ANSWER,  # no user responding
    19: NO_ANSWER,  # no answer from user (alerted)
    20: NO_ANSWER,  # subscriber absent
    # Call rejected: the callee declined it, which a helpline reads as a busy specialist.
    21: BUSY,
    22: FORWARDED,  # number changed
    23: FORWARDED,  # redirected to a new destination
    26: ANSWERED_ELSEWHERE,  # non-selected user clearing
    27: CONGESTION,  # destination out of order
    28: NOT_FOUND,  # invalid number format
    31: NORMAL_CLEARING,  # normal, unspecified
    34: CONGESTION,  # no circuit available
    38: CONGESTION,  # network out of order
    41: CONGESTION,  # temporary failure
    42: CONGESTION,  # switching equipment congestion
    44: CONGESTION,  # requested channel not available
    47: CONGESTION,  # resource unavailable
}
# SIP final responses (300-699), as a SIP source or proxy may report them.
SIP = {
    302: FORWARDED,
    404: NOT_FOUND,
    408: NO_ANSWER,
    480: NO_ANSWER,
    484: NOT_FOUND,
    486: BUSY,
    487: CANCEL,
    503: CONGESTION,
    600: BUSY,
    603: BUSY,
    604: NOT_FOUND,
}
# Words phone systems use for the same causes, folded (letters and digits only, any case):
# Asterisk's cause names (`NORMAL_CLEARING`, `USER_BUSY`), its DialStatus values, ISDN texts.
_WORDS = {
    **{cause.casefold(): cause for cause in CAUSES},
    "normal": NORMAL_CLEARING,
    "normalunspecified": NORMAL_CLEARING,
    "userbusy": BUSY,
    "callrejected": BUSY,
    "noanswer": NO_ANSWER,
    "nouserresponse": NO_ANSWER,
    "subscriberabsent": NO_ANSWER,
    "cancelled": CANCEL,
    "canceled": CANCEL,
    "originatorcancel": CANCEL,
    "abandoned": CANCEL,
    "chanunavail": CONGESTION,
    "normalcircuitcongestion": CONGESTION,
    "switchcongestion": CONGESTION,
    "networkoutoforder": CONGESTION,
    "unallocated": NOT_FOUND,
    "noroutedestination": NOT_FOUND,
    "invalidnumberformat": NOT_FOUND,
    "answeredelsewhere": ANSWERED_ELSEWHERE,
    "completedelsewhere": ANSWERED_ELSEWHERE,
    "callcompletedelsewhere": ANSWERED_ELSEWHERE,
    "nonselecteduserclearing": ANSWERED_ELSEWHERE,
    "redirected": FORWARDED,
    "numberchanged": FORWARDED,
}
_NOT_LETTERS = re.compile(r"[^0-9a-z]")


def read_cause(sent: str) -> str:
    """The cause a supervisor reads for `sent`: one of CAUSES, or the word as sent."""
    value = sent.strip()
    if not value:
        return UNKNOWN
    if value.isascii() and value.isdigit():
        number = int(value)
        return Q850.get(number) or SIP.get(number) or UNKNOWN
    return _WORDS.get(_NOT_LETTERS.sub("", value.casefold()), value)

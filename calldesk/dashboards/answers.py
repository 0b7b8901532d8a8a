"""Answered, abandoned and missed calls: what the phone systems said of each call,
counted whether or not the call has a report (the counting is counting._outcome).

Every call of the range (by when it arrived, in the organization's zone) is exactly one of:

- **answered**: someone took it (`answered_at` is set; a telephony-URL pop is answered by the
  specialist whose browser opened it; a call whose phone system never said, but whose report a
  specialist submitted or closed before any hang-up came, was taken too);
- **abandoned**: it ended unanswered because the caller hung up (cause `cancel`, or
  `normalClearing` before anyone answered), counted by how long the caller waited;
- **missed**: it ended unanswered for any other reason (`noAnswer`, `busy`, `congestion`, a
  queue's timeout, a cause the phone system did not send, a call no event ever ended);
- **still live**: ringing, not past the stale limit (calldesk.telephony.ending).
"""

from __future__ import annotations

from dataclasses import dataclass

from calldesk.dashboards.charts import Chart
from calldesk.dashboards.counting import ABANDON_BUCKETS, ABANDONED, ANSWER, ANSWERED, LIVE, MISSED, Tally

LABELS = {
    ANSWERED: "Answered",
    ABANDONED: "Abandoned: the caller hung up before an answer",
    MISSED: "Missed: ended unanswered (no answer, busy, timeout, unknown)",
    LIVE: "Still ringing",
}


@dataclass
class Answers:
    counts: dict[str, int]
    waits: list[int]  # abandoned calls per ABANDON_BUCKETS entry

    @classmethod
    def of(cls, tally: Tally) -> Answers:
        counts: dict[str, int] = {}
        waits = [0] * len(ABANDON_BUCKETS)
        for (outcome, bucket), n in tally.part(ANSWER).items():
            counts[outcome] = counts.get(outcome, 0) + n
            if outcome == ABANDONED:
                waits[bucket] += n
        return cls(counts, waits)

    def charts(self) -> list[Chart]:
        return [
            Chart("answers", "Answered, abandoned and missed calls", "bars", [LABELS[k] for k in LABELS],
                  [self.counts.get(k, 0) for k in LABELS]),
            Chart("abandoned_wait", "Abandoned calls by how long the caller waited", "bars",
                  [label for label, _ in ABANDON_BUCKETS], self.waits),
        ]  # fmt: skip

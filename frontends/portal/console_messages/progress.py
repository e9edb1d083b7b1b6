"""How far an announcement got, as the office reads it (no I/O).

- Every recipient found so far has one delivery per channel; ``progress`` counts them by status.
  Until the spreading ends the audience size may be unknown, so the whole is the larger of
  the audience size and the deliveries counted.
- Handled: anything no longer queued or sending (sent, failed, skipped, held for a member's
  daily digest, sent in one, or unknown after a worker stopped mid-send).
- Done (the live page stops asking): the announcement was stopped, or every recipient was
  queued and nothing is queued or sending any more. Deliveries held for digests go out with
  the members' digests later; they do not keep the page polling for a day.
- It can be stopped while it is not stopped yet and something may still go out (spreading,
  queued, sending or held).
"""
from __future__ import annotations

from dataclasses import dataclass

SPREADING, SPREAD, CANCELLED = "spreading", "spread", "cancelled"
SHOWN = ("queued", "sending", "sent", "failed", "skipped", "held", "digested", "unknown")


@dataclass(frozen=True)
class Progress:
    counts: dict[str, int]
    whole: int
    handled: int
    done: bool
    stoppable: bool

    @property
    def percent(self) -> int:
        return int(100 * self.handled / self.whole) if self.whole else (100 if self.done else 0)


def of(announcement: dict) -> Progress:
    counts = {status: int((announcement.get("progress") or {}).get(status) or 0) for status in SHOWN}
    extra = {k: int(v or 0) for k, v in (announcement.get("progress") or {}).items() if k not in counts}
    counts.update(extra)
    counted = sum(counts.values())
    waiting = counts["queued"] + counts["sending"]
    status = announcement.get("status")
    done = status == CANCELLED or (status == SPREAD and waiting == 0)
    stoppable = status != CANCELLED and (status == SPREADING or waiting + counts["held"] > 0)
    return Progress(counts=counts, whole=max(int(announcement.get("audience_size") or 0), counted),
                    handled=counted - waiting, done=done, stoppable=stoppable)

"""Marks deliveries ``sending`` for the dispatcher's senders together: one store write for
the deliveries several senders are about to finish at about the same moment.

Each sender holds its own provider connection and asks to mark its delivery as late as the
provider allows (SMTP: before the final dot). The first to ask waits a moment for the other
senders that have a delivery in hand to reach the same point (they all do, unless their
provider is slow), then one of them writes the marks of everyone waiting and each learns
whether its own delivery was marked. A delivery is still marked before its own final dot,
never after, so at-most-once holds as with one write per delivery; what the batching saves is
a store round trip per email, the round trip the senders would otherwise each wait for.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

# How long a sender waits for the others before marking what has gathered: longer than the
# few milliseconds an SMTP conversation's steps take, far below any provider's timeout.
GATHER_S = 0.05


class SendingMarks:
    def __init__(self, mark: Callable[[Sequence[dict]], set[str]], gather_s: float = GATHER_S):
        self.mark, self.gather_s = mark, gather_s
        self._cond = threading.Condition()
        self._in_hand = 0          # senders with a delivery between taking it and its outcome
        self._pending: dict[str, dict] = {}
        self._answers: dict[str, bool] = {}
        self._writing = False

    def taken(self) -> None:
        with self._cond:
            self._in_hand += 1

    def done(self) -> None:
        with self._cond:
            self._in_hand -= 1
            self._cond.notify_all()  # a waiting sender may now be the last one to wait for

    def begin(self, delivery: dict) -> bool:
        """Mark ``delivery`` (with whatever the other senders ask meanwhile); whether it is
        now ``sending``. A failed write fails every sender whose delivery it carried."""
        key = delivery["_id"]
        with self._cond:
            self._pending[key] = delivery
            deadline = time.monotonic() + self.gather_s
            while key not in self._answers:
                gathered = len(self._pending) >= self._in_hand or time.monotonic() >= deadline
                if gathered and not self._writing and self._pending:
                    self._write()
                else:
                    self._cond.wait(max(0.0005, deadline - time.monotonic()))
            answer = self._answers.pop(key)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def _write(self) -> None:
        """Called holding the lock; writes without it, so others can keep gathering."""
        batch, self._pending, self._writing = self._pending, {}, True
        self._cond.release()
        try:
            try:
                marked = self.mark(list(batch.values()))
                answers = {key: key in marked for key in batch}
            except BaseException as exc:  # noqa: BLE001 (handed to each sender it concerns)
                answers = {key: exc for key in batch}
        finally:
            self._cond.acquire()
            self._writing = False
        self._answers.update(answers)
        self._cond.notify_all()

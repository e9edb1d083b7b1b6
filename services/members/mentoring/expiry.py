"""The members worker's mentoring timer: every ``MENTORING_EXPIRY_INTERVAL_S`` (default 60 s)
it expires the asks past their deadline and asks each request's next choice
(``store.expire_due``: one transaction per request, conditional on the request as read, so
any number of worker copies can run it side by side; the clock is injectable for tests)."""
from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client import Counter

from services.members.mentoring import store as mentoring_store
from shared import clock as clocks
from shared.worker import PeriodicTask

log = logging.getLogger(__name__)

EXPIRED = Counter("members_mentoring_asks_expired_total", "Mentoring asks expired by the timer")


def run_once(store, deadline: timedelta, clock=clocks.now, limit: int = mentoring_store.EXPIRY_BATCH) -> int:
    """Expire what is due now; return how many asks expired."""
    expired = mentoring_store.expire_due(store, clock(), deadline, limit)
    if expired:
        EXPIRED.inc(expired)
        log.info("mentoring: %d asks expired", expired)
    return expired


def loop(store, deadline: timedelta, clock=clocks.now, interval_s: float = 60.0,
         limit: int = mentoring_store.EXPIRY_BATCH) -> PeriodicTask:
    task: PeriodicTask

    def tick() -> int:
        expired = run_once(store, deadline, clock, limit)
        if expired >= limit:
            task.wake()  # more may be due: go on without waiting
        return expired

    task = PeriodicTask("mentoring-expiry", tick, interval_s=interval_s)
    return task

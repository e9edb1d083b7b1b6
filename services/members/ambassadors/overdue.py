"""The members worker's ambassador timer: every ``AMBASSADOR_OVERDUE_INTERVAL_S`` (default
60 s) it nudges the ambassador of each contact past its reply target (once), tells the office
of each still open ``AMBASSADOR_ESCALATE_AFTER_S`` after the nudge (once), and erases the
askers of finder questions past their retention (``AMBASSADOR_ASKER_RETENTION_DAYS``, or 30
days past an unconfirmed question's deadline). Each stage is claimed by an update conditional
on it not being done, in the transaction that publishes it (``store.overdue_due``,
``store.erase_askers_due``), so any number of worker copies can run side by side; the clock
is injectable for tests."""
from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client import Counter

from services.members.ambassadors import store as ambassadors_store
from shared import clock as clocks
from shared.worker import PeriodicTask

log = logging.getLogger(__name__)

OVERDUE = Counter("members_ambassador_overdue_total", "Ambassador overdue stages published by the timer")
ERASED = Counter("members_ambassador_askers_erased_total", "Finder askers erased by the timer")


def run_once(store, escalate_after: timedelta, clock=clocks.now, limit: int = ambassadors_store.BATCH) -> int:
    """Publish the stages due now and erase the askers due; return how many of both."""
    now = clock()
    stages = ambassadors_store.overdue_due(store, now, escalate_after, limit)
    erased = ambassadors_store.erase_askers_due(store, now, limit)
    if stages:
        OVERDUE.inc(stages)
        log.info("ambassadors: %d overdue stages published", stages)
    if erased:
        ERASED.inc(erased)
        log.info("ambassadors: %d askers erased", erased)
    return stages + erased


def loop(store, escalate_after: timedelta, clock=clocks.now, interval_s: float = 60.0,
         limit: int = ambassadors_store.BATCH) -> PeriodicTask:
    task: PeriodicTask

    def tick() -> int:
        done = run_once(store, escalate_after, clock, limit)
        if done >= limit:
            task.wake()  # more may be due: go on without waiting
        return done

    task = PeriodicTask("ambassador-overdue", tick, interval_s=interval_s)
    return task

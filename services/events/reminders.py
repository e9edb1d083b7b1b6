"""The events worker's reminder job: every few seconds it claims the due reminders and
publishes ``events.reminder.due`` (claim and message in one transaction each: see
``reminders_store``), so any number of worker copies can run it side by side.

The interval is the setting ``EVENTS_REMINDER_INTERVAL_S`` (seconds, default 5): reminders are
due minutes or hours ahead, so a few seconds' delay is of no consequence; tests set it lower.
"""
from __future__ import annotations

import logging

from prometheus_client import Counter

from services.events import reminders_store
from shared import clock as clocks
from shared.worker import PeriodicTask

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
# Claims per run; when a run reaches it, the next run starts at once instead of after the interval.
BATCH = 100

RUNS = Counter("events_reminder_runs_total", "Completed runs of the reminder job")
CLAIMED = Counter("events_reminders_claimed_total", "Due reminders claimed, by outcome", ["outcome"])


def run_once(store, clock=clocks.now, worker_id: str = "events-worker", limit: int = BATCH) -> tuple[int, int]:
    """Claim up to ``limit`` due reminders; return (claimed, published)."""
    claimed = sent = 0
    now = clock()
    while claimed < limit:
        outcome = reminders_store.claim_one(store, now, worker_id)
        if outcome is None:
            break
        claimed += 1
        CLAIMED.labels(outcome).inc()
        if outcome == reminders_store.SENT:
            sent += 1
    if claimed:
        log.info("reminders: %d claimed, %d published", claimed, sent)
    return claimed, sent


def loop(store, clock=clocks.now, worker_id: str = "events-worker", interval_s: float = DEFAULT_INTERVAL_S,
         limit: int = BATCH) -> PeriodicTask:
    """The periodic task that claims due reminders and publishes ``events.reminder.due``."""
    task: PeriodicTask

    def tick() -> int:
        claimed, sent = run_once(store, clock, worker_id, limit)
        RUNS.inc()
        if claimed >= limit:
            task.wake()  # more may be due: go on without waiting
        return sent

    task = PeriodicTask("reminders", tick, interval_s=interval_s)
    return task

"""The members worker process: publishes the outbox and runs the mentoring expiry timer and the
ambassadors' overdue timer (the service consumes nothing yet)."""
from __future__ import annotations

from datetime import timedelta

from services.members.ambassadors import overdue
from services.members.app import NAME, create_store
from services.members.mentoring import expiry
from services.members.mentoring.api import programme
from shared.config import Config, load
from shared.service import build_worker
from shared.worker import Worker


def create_worker(config: Config | None = None) -> Worker:
    config = config or load()
    store = create_store(config)
    timer = expiry.loop(store, programme(config).deadline, interval_s=config.mentoring_expiry_interval_s)
    ambassadors = overdue.loop(store, timedelta(seconds=config.ambassador_escalate_after_s),
                               interval_s=config.ambassador_overdue_interval_s)
    return build_worker(NAME, config, store, loops={"mentoring-expiry": timer, "ambassador-overdue": ambassadors})

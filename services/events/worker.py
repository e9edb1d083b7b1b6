"""The events worker process: the outbox relay, the members events it consumes (read model,
erasure) and the reminder job."""
from __future__ import annotations

import os
import socket

from services.events import handlers, reminders
from services.events.app import NAME, create_store
from shared.bus.deadletters import DeadLetters
from shared.config import Config, load
from shared.service import build_worker
from shared.worker import Worker


def create_worker(config: Config | None = None) -> Worker:
    config = config or load()
    store = create_store(config)
    reminder_task = reminders.loop(store, worker_id=f"{socket.gethostname()}:{os.getpid()}",
                                   interval_s=config.events_reminder_interval_s)
    forget_parked = DeadLetters(config.amqp_url, NAME).purge_mentioning
    return build_worker(NAME, config, store, subscriptions=handlers.subscriptions(forget_parked),
                        loops={"reminders": reminder_task})

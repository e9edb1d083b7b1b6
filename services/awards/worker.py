"""The awards worker process: publishes the outbox and consumes the events awards needs
(``handlers.py``; timers come with features)."""
from __future__ import annotations

from services.awards import handlers
from services.awards.app import NAME, create_store
from shared.bus.deadletters import DeadLetters
from shared.config import Config, load
from shared.service import build_worker
from shared.worker import Worker


def create_worker(config: Config | None = None) -> Worker:
    config = config or load()
    forget_parked = DeadLetters(config.amqp_url, NAME).purge_mentioning
    return build_worker(NAME, config, create_store(config), subscriptions=handlers.subscriptions(forget_parked))

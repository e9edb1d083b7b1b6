"""The awards worker process: publishes the outbox, consumes the events awards needs
(``handlers.py``) and settles the ledger (``ledger.store.settle``: a cycle registered or a
member erased while other workers' views lagged is made exact once none can lag)."""
from __future__ import annotations

from services.awards import handlers
from services.awards.app import NAME, create_store
from services.awards.ledger import store as ledger_store
from shared import clock
from shared.bus.deadletters import DeadLetters
from shared.config import Config, load
from shared.service import build_worker
from shared.worker import PeriodicTask, Worker


def create_worker(config: Config | None = None) -> Worker:
    config = config or load()
    store = create_store(config)
    settle = PeriodicTask("ledger-settle", lambda: ledger_store.settle(store.db, clock.now()),
                          interval_s=ledger_store.SETTLE_INTERVAL_S)
    forget_parked = DeadLetters(config.amqp_url, NAME).purge_mentioning
    return build_worker(NAME, config, store, subscriptions=handlers.subscriptions(forget_parked),
                        loops={"ledger-settle": settle})

"""Assembling a service's two processes from its parts, the same way for every service:
the api (a Flask app from ``shared.web.app``) and the worker (outbox relay, consumer of the
service's subscriptions, and any timers it needs).
"""
from __future__ import annotations

import threading
import time
from typing import Iterable

from flask import Blueprint, Flask
from kombu import Connection

from shared import clock, logs
from shared.auth import TokenVerifier
from shared.bus.consumer import Consumer, Subscription
from shared.bus.outbox import BACKLOG_EVERY_S, OutboxRelay, measure_backlog
from shared.bus.publisher import publisher_for
from shared.config import Config
from shared.revocations import Revocations
from shared.store import ServiceStore
from shared.web.app import create_service_app
from shared.worker import Loop, PeriodicTask, Worker


class BrokerCheck:
    """Is the broker reachable? Cached for a few seconds so probes do not open a connection
    per request."""

    def __init__(self, amqp_url: str, ttl_s: float = 5.0):
        self.url, self.ttl_s = amqp_url, ttl_s
        self._checked_at, self._ok = 0.0, False
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        if self.url.startswith("memory://"):
            return True
        with self._lock:
            if time.monotonic() - self._checked_at > self.ttl_s:
                try:
                    with Connection(self.url, connect_timeout=2) as conn:
                        conn.ensure_connection(max_retries=1)
                    self._ok = True
                except Exception:
                    self._ok = False
                self._checked_at = time.monotonic()
            return self._ok


def build_api(name: str, config: Config, store: ServiceStore, blueprints: Iterable[Blueprint],
              *, description: str = "") -> Flask:
    logs.configure(f"{name}-api", config.log_level, keep_existing=True)
    clock.set_offset(config.clock_offset_s)
    store.create_indexes()
    verifier = TokenVerifier.from_file(config.jwt_public_key_file, config.jwt_issuer, config.jwt_audience) \
        if config.jwt_public_key_file else None
    if verifier is not None:
        verifier.revocations = Revocations(store.db)
    return create_service_app(
        name, config, store, blueprints=blueprints, verifier=verifier, description=description,
        ready_checks={"store": store.ping, "broker": BrokerCheck(config.amqp_url)},
    )


def build_worker(name: str, config: Config, store: ServiceStore, *,
                 subscriptions: Iterable[Subscription] = (),
                 loops: dict[str, Loop] | None = None,
                 consumer_options: dict | None = None) -> Worker:
    clock.set_offset(config.clock_offset_s)
    store.create_indexes()
    relay = OutboxRelay(store.db, publisher_for(config.amqp_url), service=name)
    # Measured beside the relay, not by it: a relay that is stuck or failing still shows its backlog growing.
    backlog = PeriodicTask("outbox-backlog", lambda: measure_backlog(store.db, name), interval_s=BACKLOG_EVERY_S)
    all_loops: dict[str, Loop] = {"outbox-relay": relay, "outbox-backlog": backlog}
    subscriptions = list(subscriptions)
    if subscriptions:
        all_loops["consumer"] = Consumer(name, config.amqp_url, store.db, store.transaction,
                                         subscriptions, **(consumer_options or {}))
    all_loops.update(loops or {})
    return Worker(name, all_loops, ready_checks={"store": store.ping, "broker": BrokerCheck(config.amqp_url),
                                                 "outbox-relay": lambda: relay.ready})

"""Every event a service registers reaches a queue: no event type can be deferred for ever.

The outbox relay publishes with ``mandatory``: an event no queue is bound to comes back
unroutable and stays ``deferred`` in the producer's outbox, retried for ever and keeping its
personal data (``shared.bus.outbox``). So every type registered in a ``services/*/messages.py``
catalogue must be either subscribed to by some service's consumer (its
``handlers.subscriptions()``) or matched by an ``EVENT_LOG`` routing pattern in its own
service's ``handlers.py``, which that service's worker binds to its ``<service>.events`` stream
(``shared.bus.topology.ServiceQueues.event_log``). Catalogues and subscriptions are discovered
as ``test_event_contracts`` discovers them, so a new event type is checked without touching
this file.
"""
from __future__ import annotations

import importlib

import pytest

from tests.contract.test_event_contracts import CONSUMED, PRODUCED, SERVICES_DIR, _service_modules

EVENT_LOGS: dict[str, tuple[str, ...]] = {
    service: tuple(getattr(module, "EVENT_LOG", ())) for service, module in _service_modules("handlers")}
SUBSCRIBED: dict[str, set[str]] = {}
for _consumed in CONSUMED:
    SUBSCRIBED.setdefault(_consumed.subscription.event_type, set()).add(_consumed.service)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether a topic exchange delivers ``routing_key`` to a binding of ``pattern`` (AMQP
    0-9-1: words split by dots; ``*`` is exactly one word, ``#`` zero or more)."""
    def match(words: list[str], keys: list[str]) -> bool:
        if not words:
            return not keys
        head, rest = words[0], words[1:]
        if head == "#":
            return any(match(rest, keys[i:]) for i in range(len(keys) + 1))
        return bool(keys) and head in ("*", keys[0]) and match(rest, keys[1:])
    return match(pattern.split("."), routing_key.split("."))


def _kept_by(event_type: str) -> list[str]:
    service = PRODUCED[event_type].service
    return [p for p in EVENT_LOGS.get(service, ()) if topic_matches(p, event_type)]


@pytest.mark.parametrize("event_type", sorted(PRODUCED))
def test_every_registered_event_type_is_consumed_or_kept_in_its_services_event_log(event_type):
    assert SUBSCRIBED.get(event_type) or _kept_by(event_type), (
        f"{event_type} ({PRODUCED[event_type].service}) has no consumer and no event log keeps it: the "
        f"broker would return it and it would stay deferred in the outbox for ever, with its personal data. "
        f"Subscribe to it in some services/*/handlers.py subscriptions(), or add a pattern for it to "
        f"EVENT_LOG in services/{PRODUCED[event_type].service}/handlers.py (bound by its worker).")


@pytest.mark.parametrize("service", sorted(s for s, patterns in EVENT_LOGS.items() if patterns))
def test_an_event_log_keeps_only_its_own_services_registered_events(service):
    """A stream keeps its own service's events (another's are not its to keep), and a pattern
    that matches no registered type is a typo or a leftover."""
    for pattern in EVENT_LOGS[service]:
        assert pattern.split(".")[0] == service, f"{service}'s EVENT_LOG pattern {pattern} is not its own"
        assert [t for t in PRODUCED if topic_matches(pattern, t)], f"{service}'s {pattern} matches no event type"


@pytest.mark.parametrize("service", sorted(s for s, patterns in EVENT_LOGS.items() if patterns))
def test_the_worker_of_a_service_with_an_event_log_binds_it(service):
    """The patterns are the ones its worker passes to its consumer (it imports them)."""
    assert (SERVICES_DIR / service / "worker.py").is_file(), f"{service} has an EVENT_LOG but no worker"
    worker = importlib.import_module(f"services.{service}.worker")
    handlers = importlib.import_module(f"services.{service}.handlers")
    assert getattr(worker, "EVENT_LOG", None) is handlers.EVENT_LOG


def test_the_delivery_log_is_kept_by_notifications_event_log():
    assert "notifications.delivery.sent" in PRODUCED
    assert _kept_by("notifications.delivery.sent") == ["notifications.delivery.*"]


@pytest.mark.parametrize("pattern,key,matched", [
    ("notifications.delivery.*", "notifications.delivery.sent", True),
    ("notifications.delivery.*", "notifications.delivery", False),
    ("notifications.delivery.*", "notifications.delivery.sent.late", False),
    ("notifications.#", "notifications.delivery.sent", True),
    ("notifications.#", "notifications", True),
    ("#", "members.member.registered", True),
    ("members.*.registered", "members.member.registered", True),
    ("members.member.registered", "members.member.verified", False),
    ("members.#.verified", "members.verified", True),
    ("members.#.verified", "members.member.verified", True),
])
def test_the_topic_matcher_reads_patterns_as_the_broker_does(pattern, key, matched):
    assert topic_matches(pattern, key) is matched

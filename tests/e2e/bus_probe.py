"""A probe on the real bus for end-to-end journeys: a queue of the test's own bound to the
routing keys it watches, so a journey can read every event its actions caused, as any
consumer (the awards service) would receive it, and check each against its producer's schema.

    with BusProbe(amqp_url, "members.ambassador.#", "events.volunteer.#") as probe:
        ... drive the journey over HTTP ...
        events = probe.collect(lambda e: e["data"].get("cause_id") == cause_id,
                               want={"events.volunteer.joined": 4})
"""
from __future__ import annotations

import json
import queue
import uuid
from collections import Counter
from collections.abc import Callable

from kombu import Connection, Queue

from shared.bus.envelope import EventCatalog, validate_data
from shared.bus.topology import exchange
from tests.support import wait_until


class BusProbe:
    def __init__(self, amqp_url: str, *routing_keys: str):
        self.amqp_url = amqp_url
        self.name = f"e2e.probe.{uuid.uuid4().hex[:10]}"
        self.routing_keys = routing_keys
        self.received: list[dict] = []

    def __enter__(self) -> "BusProbe":
        self.conn = Connection(self.amqp_url)
        channel = self.conn.default_channel
        self.queue = Queue(self.name, exchange(), routing_key=self.routing_keys[0], durable=False, auto_delete=False)
        self.queue(channel).declare()
        for key in self.routing_keys[1:]:
            self.queue(channel).bind_to(exchange(), routing_key=key)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.queue(self.conn.default_channel).delete()
        finally:
            self.conn.release()

    def collect(self, mine: Callable[[dict], bool], want: dict[str, int], timeout_s: float = 30) -> list[dict]:
        """The events ``mine`` keeps of all the probe received, read until each type in ``want``
        was seen at least that many times (earlier calls' events included: nothing read is lost)."""
        def kept() -> list[dict]:
            return [event for event in self.received if mine(event)]

        with self.conn.SimpleQueue(self.queue) as inbox:
            def take() -> bool:
                try:
                    message = inbox.get(timeout=0.5)
                except queue.Empty:
                    pass
                else:
                    self.received.append(json.loads(message.body))
                    message.ack()
                seen = Counter(event["type"] for event in kept())
                return all(seen[kind] >= n for kind, n in want.items())
            wait_until(take, timeout_s=timeout_s, interval_s=0, message=f"the events {want}")
        return kept()


def assert_valid(events: list[dict], *catalogs: EventCatalog) -> None:
    """Every event's data is what its producer's catalogue schema promises (what consumers read)."""
    schemas = {kind: schema for catalog in catalogs for kind, schema in catalog.schemas.items()}
    for event in events:
        assert event["type"] in schemas, event["type"]
        assert validate_data(schemas[event["type"]], event["data"], event["type"]) == event["data"]

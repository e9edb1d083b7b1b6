"""Publishing a window of events with publisher confirms and ``mandatory``.

``AmqpPublisher`` uses py-amqp (kombu's own transport) directly: it sends a whole window of
messages before waiting, and collects the broker's acks (single or ``multiple``), nacks and
returns, so confirms cost one round trip per window instead of one per message.
``EmbeddedPublisher`` serves kombu's in-process memory transport in dev mode.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import amqp
from kombu import Connection, Producer

from shared.bus.envelope import CONTENT_TYPE
from shared.bus.topology import EXCHANGE_NAME, ensure_exchange, exchange

log = logging.getLogger(__name__)


@dataclass
class PublishResult:
    confirmed: set[Any] = field(default_factory=set)
    failed: dict[Any, str] = field(default_factory=dict)
    error: str | None = None  # the connection broke; unconfirmed items were not published


class AmqpPublisher:
    """Windowed confirming publisher on one connection and one channel (one thread only)."""

    def __init__(self, url: str, *, confirm_timeout_s: float = 5.0, heartbeat: int = 30):
        self.url = url
        self.confirm_timeout_s = confirm_timeout_s
        self.heartbeat = heartbeat
        self._kombu: Connection | None = None
        self._channel: amqp.Channel | None = None

    def _connect(self) -> amqp.Channel:
        if self._channel is None or not self._channel.is_open:
            self.reset()
            self._kombu = Connection(self.url, heartbeat=self.heartbeat, connect_timeout=5)
            self._kombu.connect()
            raw: amqp.Connection = self._kombu.connection
            ensure_exchange(raw.channel)
            channel = raw.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._channel = channel
            self._next_tag = 1
        return self._channel

    # Confirm bookkeeping for the window in flight: delivery tag -> item key.
    def _settle(self, tag: int, multiple: bool, outcome: str) -> None:
        tags = [t for t in self._in_flight if t <= tag] if multiple else [tag]
        for t in tags:
            key = self._in_flight.pop(t, None)
            if key is None:
                continue
            if outcome == "ack" and key not in self._returned:
                self._result.confirmed.add(key)
            elif outcome == "nack":
                self._result.failed[key] = "nacked by the broker"
            else:
                self._result.failed[key] = self._returned[key]

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, "ack")

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, "nack")

    def _on_return(self, exc, exchange_name, routing_key, message) -> None:
        # The broker sends basic.return before the ack of the same message.
        key = self._key_by_message_id.get(message.properties.get("message_id"))
        if key is not None:
            self._returned[key] = f"unroutable: no queue bound for {routing_key} ({exc.reply_text})"

    def publish_batch(self, items: Sequence) -> PublishResult:
        """Publish ``items`` (with ``key``, ``event_id``, ``type``, ``body``) in order; return
        which were confirmed. Raises on connection loss after recording what was confirmed."""
        self._result = PublishResult()
        self._in_flight: dict[int, Any] = {}
        self._returned: dict[Any, str] = {}
        self._key_by_message_id = {}
        try:
            self._publish_and_confirm(self._connect(), items)
        except (OSError, amqp.exceptions.AMQPError, ConnectionError) as exc:
            self._result.error = f"{type(exc).__name__}: {exc}"
            self.reset()
        return self._result

    def _publish_and_confirm(self, channel: amqp.Channel, items: Sequence) -> None:
        for item in items:
            self._key_by_message_id[item.event_id] = item.key
            message = amqp.Message(
                item.body, content_type=CONTENT_TYPE, delivery_mode=2, message_id=item.event_id,
                type=item.type,
            )
            self._in_flight[self._next_tag] = item.key
            self._next_tag += 1
            # send_method, not basic_publish: py-amqp's basic_publish polls the socket once
            # per message for connection.blocked, which halves throughput; a blocked broker
            # simply stops confirming, and the confirm timeout below covers that.
            channel.send_method(amqp.spec.Basic.Publish, "Bssbb",
                                (0, EXCHANGE_NAME, item.type, True, False), message)
        deadline = time.monotonic() + self.confirm_timeout_s
        raw = self._kombu.connection
        while self._in_flight:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                for key in self._in_flight.values():
                    self._result.failed[key] = "no confirm before timeout"
                self.reset()  # late confirms would be attributed to the wrong window
                break
            try:
                raw.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue

    def reset(self) -> None:
        if self._kombu is not None:
            try:
                self._kombu.release()
            except Exception:  # already broken; nothing more to close
                pass
        self._kombu = None
        self._channel = None

    close = reset


class EmbeddedPublisher:
    """Dev-mode publisher over kombu's memory transport; delivery is immediate and local."""

    confirm_timeout_s = 0.0  # nothing to wait for

    def __init__(self, connection: Connection):
        self.connection = connection
        self.producer = Producer(connection.channel(), exchange=exchange())

    def publish_batch(self, items: Sequence) -> PublishResult:
        result = PublishResult()
        for item in items:
            self.producer.publish(item.body, routing_key=item.type, content_type=CONTENT_TYPE,
                                  content_encoding="utf-8", message_id=item.event_id,
                                  delivery_mode=2)
            result.confirmed.add(item.key)
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def publisher_for(url: str):
    if url.startswith("memory://"):
        return EmbeddedPublisher(Connection(url))
    return AmqpPublisher(url)

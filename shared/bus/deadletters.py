"""Operator tools for a service's parked messages (``<service>.dead``): list them with their
errors, replay one or all into the inbox, or purge them; and, for erasure, purge those that
mention a member (``purge_mentioning``), which a service's ``members.member.erased`` handler
calls, so no parked copy keeps an erased member's data.

Listing takes messages with ``basic_get`` and puts them back (the dead queue is a classic
queue, so this does not count as a failed delivery); replay republishes with confirms to the
inbox (through ``<service>.requeue``, which the service's own broker user may write) with a
fresh attempt count, then acks the parked copy. Most messages are parked by the
consumer with their error (``x-error``); one the broker moved here itself (past the inbox's
delivery limit) is described from the broker's ``x-death`` record.

A purge acks only the messages it matches; every other message is never acked and goes back
to the queue when the channel closes, whatever happens in between. A message held meanwhile by
another reader of the queue (an operator's listing) is not seen by a purge running then.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Producer

from shared.bus.envelope import InvalidEvent, decode
from shared.bus.topology import ServiceQueues


@dataclass
class ParkedMessage:
    message_id: str | None
    event_type: str | None
    error: str
    attempts: int
    parked_at: str
    body: bytes


def _drain(connection: Connection, queue: str):
    """Yield every message now in ``queue`` without acking (held until the channel closes)."""
    channel = connection.channel()
    while True:
        raw = channel.basic_get(queue, no_ack=False)
        if raw is None:
            break
        yield channel, channel.message_to_python(raw)  # a kombu Message, with ack()
    channel.close()  # unacked messages go back to the queue


def _error_of(headers: dict) -> str:
    if "x-error" in headers:
        return str(headers["x-error"])
    deaths = headers.get("x-death") or []
    if not deaths:
        return ""
    death = deaths[0]  # the latest; "delivery_limit": returned unsettled too often
    return f"dead-lettered by the broker from {death.get('queue')} ({death.get('reason')})"


def _describe(message) -> ParkedMessage:
    headers = message.headers or {}
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    try:
        event_type = decode(body).type
    except InvalidEvent:
        event_type = None
    return ParkedMessage(message.properties.get("message_id"), event_type, _error_of(headers),
                         int(headers.get("x-attempts", 0)), str(headers.get("x-parked-at", "")), body)


class DeadLetters:
    def __init__(self, amqp_url: str, service: str):
        self.url = amqp_url
        self.queues = ServiceQueues(service, ())

    def _connection(self) -> Connection:
        connection = Connection(self.url, transport_options={"confirm_publish": True})
        connection.ensure_connection(max_retries=3)
        return connection

    def list(self) -> list[ParkedMessage]:
        with self._connection() as connection:
            return [_describe(m) for _, m in _drain(connection, self.queues.dead_name)]

    def replay(self, message_id: str | None = None) -> int:
        """Move parked messages (all, or those with ``message_id``) back to the inbox."""
        replayed = 0
        with self._connection() as connection:
            # The service's own exchange: the tool may run as the service's broker user.
            producer = Producer(connection.default_channel, exchange=self.queues.requeue(), auto_declare=False)
            for _, message in _drain(connection, self.queues.dead_name):
                if message_id is not None and message.properties.get("message_id") != message_id:
                    continue
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
                headers["x-replayed-from"] = self.queues.dead_name
                producer.publish(message.body, routing_key=self.queues.inbox_name, headers=headers,
                                 content_type=message.content_type, content_encoding=message.content_encoding,
                                 message_id=message.properties.get("message_id"), delivery_mode=2)
                message.ack()
                replayed += 1
        return replayed

    def purge(self, message_id: str | None = None) -> int:
        return self._purge(lambda message: message_id is None or message.properties.get("message_id") == message_id)

    def purge_mentioning(self, text: str) -> int:
        """Remove the parked messages whose body or error contains ``text`` (a member's id,
        which is unique enough to match as a substring); return how many."""
        needle = text.encode()

        def mentions(message) -> bool:
            parked = _describe(message)
            return needle in parked.body or text in parked.error
        return self._purge(mentions) if text else 0

    def _purge(self, chosen) -> int:
        purged = 0
        with self._connection() as connection:
            for _, message in _drain(connection, self.queues.dead_name):
                if chosen(message):
                    message.ack()
                    purged += 1
        return purged

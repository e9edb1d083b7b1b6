"""Names and declaration of the RabbitMQ topology: one topic exchange, and per consuming
service a quorum inbox bound to the types it handles, delayed-retry queues that dead-letter
back into the inbox, and a dead-letter queue where failed messages are parked.

Declaring is idempotent, so every worker declares at start-up and a restart changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

EXCHANGE_NAME = "alumnet.events"
RETRY_DELAYS_S = (1, 10, 60)


def exchange() -> Exchange:
    return Exchange(EXCHANGE_NAME, type="topic", durable=True)


def is_embedded(connection: Connection) -> bool:
    """True for kombu's in-process memory transport (dev mode), which has no TTLs or DLX."""
    return connection.transport.driver_type == "memory"


EVENT_LOG_MAX_AGE = "7D"


@dataclass(frozen=True)
class ServiceQueues:
    service: str
    event_types: tuple[str, ...]
    retry_delays: tuple[float, ...] = RETRY_DELAYS_S
    # Routing patterns of the service's own events to keep in ``<service>.events``, a stream
    # with a week of retention: events no service consumes yet (the delivery log's) are routed
    # there instead of being returned as unroutable, and a future consumer or an operator can
    # read them back from any point in the week.
    event_log: tuple[str, ...] = ()

    @property
    def inbox_name(self) -> str:
        return f"{self.service}.inbox"

    @property
    def dead_name(self) -> str:
        return f"{self.service}.dead"

    def retry_name(self, delay: float) -> str:
        return f"{self.service}.retry.{delay:g}s"

    def inbox(self) -> Queue:
        return Queue(
            self.inbox_name, durable=True,
            bindings=[binding(exchange(), routing_key=t) for t in self.event_types],
            queue_arguments={"x-queue-type": "quorum"},
        )

    def dead(self) -> Queue:
        # Classic, not quorum: operators list parked messages by getting and requeueing them,
        # which must not count towards a quorum queue's delivery limit.
        return Queue(self.dead_name, durable=True, queue_arguments={"x-queue-mode": "lazy"})

    def retry(self, delay: float) -> Queue:
        return Queue(self.retry_name(delay), durable=True, queue_arguments={
            "x-message-ttl": int(delay * 1000),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.inbox_name,
        })

    def events_log(self) -> Queue:
        return Queue(f"{self.service}.events", durable=True,
                     bindings=[binding(exchange(), routing_key=p) for p in self.event_log],
                     queue_arguments={"x-queue-type": "stream", "x-max-age": EVENT_LOG_MAX_AGE})

    def all_queues(self) -> list[Queue]:
        return [self.inbox(), self.dead(), *(self.retry(d) for d in self.retry_delays)]

    def declare(self, connection: Connection) -> None:
        channel = connection.default_channel
        exchange()(channel).declare()
        queues = self.all_queues()
        if self.event_log and not is_embedded(connection):  # the memory transport has no streams
            queues.append(self.events_log())
        for queue in queues:
            queue(channel).declare()

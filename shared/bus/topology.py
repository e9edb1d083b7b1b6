"""Names and declaration of the RabbitMQ topology: one topic exchange, and per consuming
service a quorum inbox bound to the types it handles, delayed-retry queues that dead-letter
back into the inbox, a dead-letter queue where failed messages are parked, and the service's
own direct exchange ``<service>.requeue`` through which all of that moves.

Rules it keeps:
- Every inbox has the same delivery limit, and past it the broker moves the message to
  ``<service>.dead`` itself: the backstop for a message the consumer never gets to park
  (the consumer parks one that keeps killing its worker well before, with the reason).
- A message moves between a service's queues only through ``<service>.requeue``, bound to
  each of them by the queue's name: the consumer's retries and parking, the operator's
  replay, and the broker's dead-lettering. So a service's broker user needs write on no
  exchange that reaches another service's queues (the default exchange reaches them all,
  and RabbitMQ cannot limit it by queue; declaring a queue that dead-letters through it
  would need that right too).
- Messages move between our queues by dead-lettering *at least once* (quorum queues only):
  the source keeps a message until its target has confirmed it, so a retry whose inbox is
  briefly unavailable waits instead of being dropped. That strategy needs
  ``overflow=reject-publish``; our queues have no length limit, so it refuses nothing.
- The shared exchange is the deployment's (deploy/rabbitmq/definitions.json): a service
  declares it passively, which needs no right, and creates it only where it is missing and
  its user may (tests, dev mode, a broker without the definitions) (``ensure_exchange``).
- Declaring is idempotent, so every worker declares at start-up and a restart changes
  nothing. A queue created earlier with other arguments (before these rules) cannot be
  redeclared: it is used as it is, with an error in the log, until an operator migrates it
  (deploy/README.md).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from kombu import Connection, Exchange, Queue, binding

log = logging.getLogger(__name__)

EXCHANGE_NAME = "alumnet.events"
RETRY_DELAYS_S = (1, 10, 60)
# Deliveries of one message without an ack after which the broker parks it; above the
# consumer's own (shared.bus.consumer.POISON_ATTEMPTS), which parks with the reason.
DELIVERY_LIMIT = 20
PRECONDITION_FAILED = 406  # AMQP reply code: a queue exists with other arguments
NOT_FOUND = 404  # AMQP reply code: no such exchange


def exchange() -> Exchange:
    return Exchange(EXCHANGE_NAME, type="topic", durable=True)


def _bound_exchange() -> Exchange:
    # Binding a queue would otherwise declare the exchange actively (a right services lack).
    return Exchange(EXCHANGE_NAME, type="topic", durable=True, no_declare=True)


def ensure_exchange(new_channel: Callable) -> None:
    """Make sure the shared exchange exists, declaring it passively first (no right needed)
    and creating it only if it is missing. ``new_channel``: opens a channel (a refused
    declare closes the one it was made on)."""
    channel = new_channel()
    try:
        channel.exchange_declare(EXCHANGE_NAME, "topic", durable=True, passive=True)
    except Exception as exc:  # py-amqp's NotFound, or kombu's ChannelError in dev mode
        if str(getattr(exc, "reply_code", "")) != str(NOT_FOUND):
            raise
        channel = new_channel()
        channel.exchange_declare(EXCHANGE_NAME, "topic", durable=True, auto_delete=False)
    channel.close()


def dead_lettering_to(exchange_name: str, queue: str) -> dict:
    """Queue arguments that dead-letter into ``queue`` through ``exchange_name``, at least
    once (see the module's rules)."""
    return {"x-dead-letter-exchange": exchange_name, "x-dead-letter-routing-key": queue,
            "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


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

    @property
    def requeue_name(self) -> str:
        return f"{self.service}.requeue"

    def requeue(self) -> Exchange:
        """The service's own exchange into its own queues, each bound by its name."""
        return Exchange(self.requeue_name, type="direct", durable=True)

    def _by_name(self, name: str) -> binding:
        return binding(self.requeue(), routing_key=name)

    def inbox(self) -> Queue:
        return Queue(
            self.inbox_name, durable=True,
            bindings=[*(binding(_bound_exchange(), routing_key=t) for t in self.event_types),
                      self._by_name(self.inbox_name)],
            queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT,
                             **dead_lettering_to(self.requeue_name, self.dead_name)},
        )

    def dead(self) -> Queue:
        # Classic, not quorum: operators list parked messages by getting and requeueing them,
        # which must not count towards a quorum queue's delivery limit.
        return Queue(self.dead_name, durable=True, bindings=[self._by_name(self.dead_name)],
                     queue_arguments={"x-queue-mode": "lazy"})

    def retry(self, delay: float) -> Queue:
        # Quorum, for at-least-once dead-lettering; one TTL per queue, so messages expire in
        # order at its head, which is where a quorum queue expires them.
        name = self.retry_name(delay)
        return Queue(name, durable=True, bindings=[self._by_name(name)], queue_arguments={
            "x-queue-type": "quorum", "x-message-ttl": int(delay * 1000),
            **dead_lettering_to(self.requeue_name, self.inbox_name),
        })

    def events_log(self) -> Queue:
        return Queue(f"{self.service}.events", durable=True,
                     bindings=[binding(_bound_exchange(), routing_key=p) for p in self.event_log],
                     queue_arguments={"x-queue-type": "stream", "x-max-age": EVENT_LOG_MAX_AGE})

    def all_queues(self) -> list[Queue]:
        return [self.inbox(), self.dead(), *(self.retry(d) for d in self.retry_delays)]

    def declare(self, connection: Connection) -> list[str]:
        """Declare the exchanges and the service's queues with their bindings; return the names
        of queues that exist with older arguments and were bound as they are."""
        ensure_exchange(connection.channel)
        channel = connection.channel()  # its own: a refused declare closes the channel
        self.requeue()(channel).declare()
        queues = self.all_queues()
        if self.event_log and not is_embedded(connection):  # the memory transport has no streams
            queues.append(self.events_log())
        outdated = []
        for queue in queues:
            try:
                queue(channel).declare()
            except connection.channel_errors as exc:
                if getattr(exc, "reply_code", None) != PRECONDITION_FAILED:
                    raise
                channel = connection.channel()
                _bind_existing(queue(channel))
                outdated.append(queue.name)
                log.error("queue %s exists with other arguments than %s (%s); it is used as it is "
                          "until it is migrated (deploy/README.md)", queue.name, queue.queue_arguments, exc)
        channel.close()
        return outdated


def _bind_existing(queue: Queue) -> None:
    queue.queue_declare(passive=True)
    for item in queue.bindings:
        item.bind(queue)

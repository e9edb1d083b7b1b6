"""A service's consumer: reads its inbox, runs idempotent handlers, retries, then parks.

Messages are taken in batches (up to ``batch_size`` already delivered under the prefetch
window). A batch is handled in one MongoDB transaction that also records every event id in the
inbox collection, and only then acked, so effects are stored exactly once. If the batch fails,
each message is handled alone, so one bad message cannot hold back the others: it is
republished to a delay queue (1 s, 10 s, 60 s by default) and, once those are used up, parked
in ``<service>.dead`` with its error. Messages that cannot be decoded or validated, or whose
type nobody handles, are parked at once. A handler gets the event with the ``data`` its
subscription's schema loaded (``Subscription.accept``), never the raw message. Handlers run
in a helper thread while the connection thread keeps sending heartbeats.

Rules for messages that come back:
- A message the broker returns unsettled (its worker died, or lost its connection) carries
  ``x-delivery-count``. Such a message is handled alone, never in a batch, and its attempts
  are counted in the store (``inbox.start_attempt``), so only the worker deaths that happened
  while *it* was being handled count, never the bounces of a whole prefetch window. Once
  ``POISON_ATTEMPTS`` such deaths are counted it is parked with that reason, unhandled.
- After every (re)connection, returned messages are taken one at a time (prefetch 1), each
  acked before the next, so a worker killed then bounces one message, not its window: the
  broker's own delivery limit (topology) counts every bounce and is only the backstop.
- A store that cannot be reached is an outage, not a message's fault: consumption pauses and
  nothing is retried or parked. A store that answers but times out, or an event whose inbox
  record another open transaction holds (a killed worker's keeps its locks until the store
  aborts it), is a lock: the batch is split, and each held message waits in the first delay
  queue, without using up its retries, for up to ``HELD_WAIT_S``, while the rest flows.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable

from kombu import Connection, Consumer as KombuConsumer, Producer
from kombu.message import Message
from marshmallow import Schema
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, PyMongoError

from shared.bus import inbox, metrics
from shared.bus.envelope import Envelope, InvalidEvent, decode, validate_data
from shared.bus.topology import RETRY_DELAYS_S, ServiceQueues, is_embedded
from shared.logs import correlation

log = logging.getLogger(__name__)
# Worker deaths while handling one message after which it is parked as the one killing its
# worker; far below the broker's DELIVERY_LIMIT (topology), which parks without saying why.
POISON_ATTEMPTS = 3
HELD_WAIT_S = 300.0  # well past a store's transaction lifetime (MongoDB's default is 60 s)
QUEUES_MEASURED_EVERY_S = 15.0  # the inbox and dead-letter depths, for metrics (KEDA reads the broker itself)
# Set by the broker on the way in; a copy we republish must not carry them (a quorum queue
# only adds x-delivery-count once it is above zero, so a stale one would stay). A copy keeps
# being "returned" through our own header x-returned.
BROKER_HEADERS = ("x-delivery-count", "x-death", "x-first-death-", "x-last-death-")


@dataclass
class HandlerContext:
    """What a handler gets beside the event: its database, the transaction's session, a place
    for work that must wait until the transaction has committed (sending, waking), and one for
    work that must run in the transaction after every handler of the batch (``before_commit``:
    a handler that buffers its writes flushes them there, one bulk write for the whole batch
    instead of round trips per event; whoever runs handlers must run these hooks before
    committing, as ``Consumer`` does). Both lists are shared by the handlers of one batch and
    start empty on each attempt at its transaction."""

    db: Database
    session: ClientSession
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    before_commit: list[Callable[[], None]] = field(default_factory=list)


Handler = Callable[[Envelope, HandlerContext], None]


def timed_out(exc: BaseException) -> bool:
    return isinstance(exc, PyMongoError) and exc.timeout


class StoreUnavailable(Exception):
    """The consumer's database cannot be reached: stop consuming, keep messages unacked."""


class _KillsItsWorker(Exception):
    def __init__(self, deaths: int):
        super().__init__(f"{deaths} worker deaths")
        self.deaths = deaths


class _HandlerThread:
    """One daemon thread that runs handler work, so the connection thread stays free for
    heartbeats, and a handler stuck on a dead store cannot keep the process from exiting."""

    def __init__(self, name: str):
        import queue
        self._jobs: "queue.SimpleQueue[tuple[Future, Callable]]" = queue.SimpleQueue()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        while True:
            future, job = self._jobs.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as exc:  # handed to the waiting thread
                    future.set_exception(exc)

    def submit(self, job: Callable, *args) -> Future:
        future: Future = Future()
        self._jobs.put((future, lambda: job(*args)))
        return future


@dataclass(frozen=True)
class Subscription:
    """A consumed event type, the consumer's expectation of its data, and its handler."""

    event_type: str
    schema: Schema
    handler: Handler

    def accept(self, event: Envelope) -> Envelope:
        """``event`` as its handler gets it: ``data`` loaded by the expectation (raising
        ``InvalidEvent``), so fields it does not declare are gone and values have its types,
        and dumped back to JSON primitives (times stay RFC 3339 strings)."""
        return replace(event, data=validate_data(self.schema, event.data, event.type))


@dataclass
class _Delivery:
    message: Message
    event: Envelope | None = None
    subscription: Subscription | None = None

    @property
    def attempts(self) -> int:
        return int((self.message.headers or {}).get("x-attempts", 0))

    @property
    def returned(self) -> int:
        return returned_count(self.message)


def returned_count(message: Message) -> int:
    """How often the broker delivered this message (or the copy it was republished from)
    before without it being settled."""
    headers = message.headers or {}
    return int(headers.get("x-delivery-count", 0)) + int(headers.get("x-returned", 0))


def forwarded_headers(headers: dict | None) -> dict:
    return {k: v for k, v in (headers or {}).items() if not k.startswith(BROKER_HEADERS)}


def _body_bytes(message: Message) -> bytes:
    body = message.body
    return body.encode() if isinstance(body, str) else bytes(body)


class Consumer:
    def __init__(self, service: str, amqp_url: str, db: Database, transaction,
                 subscriptions: Iterable[Subscription], *, batch_size: int = 100,
                 prefetch: int = 200, retry_delays: tuple[float, ...] = RETRY_DELAYS_S,
                 heartbeat: int = 30, event_log: tuple[str, ...] = (),
                 poison_attempts: int = POISON_ATTEMPTS, held_wait_s: float = HELD_WAIT_S,
                 measure_every_s: float = QUEUES_MEASURED_EVERY_S):
        self.service = service
        self.amqp_url = amqp_url
        self.db = db
        self.transaction = transaction
        self.subscriptions = {s.event_type: s for s in subscriptions}
        self.queues = ServiceQueues(service, tuple(self.subscriptions), tuple(retry_delays), tuple(event_log))
        self.batch_size = batch_size
        self.prefetch = prefetch
        self.heartbeat = heartbeat
        self.poison_attempts = poison_attempts
        self.held_wait_s = held_wait_s
        self.handled = 0
        self.parked = 0
        self.retried = 0
        self._stop = threading.Event()
        self._buffer: list[Message] = []
        self._executor = _HandlerThread(f"{service}-handler")
        self._side: Connection | None = None  # used only from the handler thread
        self.ready = threading.Event()  # attached to the inbox and consuming (the worker's /readyz)
        self.measure_every_s = measure_every_s
        self._measured_at = float("-inf")

    # ---------------------------------------------------------------- connection loop
    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Consume until ``stop``; reconnect with backoff when the broker goes away."""
        failures = 0
        while not self._stop.is_set():
            try:
                self._consume()
                failures = 0
            except StoreUnavailable as exc:
                # Closing the connection returned the unacked messages to the queue, for a
                # copy of this worker that can reach its store, or for us once it is back.
                failures += 1
                self.ready.clear()
                log.error("%s consumer paused: its store is unreachable (%s)", self.service, exc)
                # Reconnecting before the store is back would only bounce the same messages
                # (and count towards a quorum queue's delivery limit).
                self._wait_for_store()
                continue
            except Exception:
                failures += 1
                self.ready.clear()
                log.exception("%s consumer lost its connection (attempt %d)", self.service, failures)
                self._buffer.clear()  # unacked; the broker redelivers them
                self._stop.wait(min(0.2 * 2 ** failures, 5.0))
        self.ready.clear()
        self._executor.submit(self._close_side).result(timeout=10)

    def _wait_for_store(self) -> None:
        while not self._stop.is_set():
            try:
                self.db.client.admin.command("ping")
                log.info("%s consumer resumes: its store is reachable again", self.service)
                return
            except PyMongoError:
                self._stop.wait(1.0)

    def _consume(self) -> None:
        with Connection(self.amqp_url, heartbeat=self.heartbeat, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
            self.queues.declare(conn)
            channel = conn.channel()
            self._take_returned_one_by_one(conn, channel)
            consumer = self._attach(channel, self.prefetch)
            while not self._stop.is_set():
                if time.monotonic() - self._measured_at > self.measure_every_s:
                    self.measure_queues(conn)
                self._fill_buffer(conn)
                conn.heartbeat_check()  # cheap; sends a heartbeat only when one is due
                if self._buffer:
                    batch, self._buffer[:] = list(self._buffer), []
                    self._handle_with_heartbeats(conn, batch)
            consumer.cancel()
            self.ready.clear()
            # Messages delivered after the last batch go back to the queue on close.

    def measure_queues(self, conn: Connection) -> dict[str, int]:
        """Read the inbox's and the dead-letter queue's depths (ready messages) from the broker
        into ``alumnet_queue_messages``: the dead one counts every parked message, also those
        the broker parked itself past the delivery limit, which no counter of ours sees."""
        self._measured_at = time.monotonic()
        depths = {}
        try:
            channel = conn.channel()  # its own: a refused passive declare closes the channel
            try:
                for label, name in (("inbox", self.queues.inbox_name), ("dead", self.queues.dead_name)):
                    depths[label] = channel.queue_declare(name, passive=True).message_count
                    metrics.QUEUE_MESSAGES.labels(self.service, label).set(depths[label])
            finally:
                channel.close()
        except Exception:  # only a metric: consuming goes on
            log.warning("%s could not measure its queues", self.service, exc_info=True)
        return depths

    def _attach(self, channel, prefetch: int) -> KombuConsumer:
        # Declared already (ServiceQueues.declare copes with a queue of older arguments).
        consumer = KombuConsumer(channel, [self.queues.inbox()], on_message=self._buffer.append,
                                 prefetch_count=prefetch, no_ack=False, auto_declare=False)
        consumer.consume()
        self.ready.set()
        return consumer

    def _take_returned_one_by_one(self, conn: Connection, channel) -> None:
        """Returned messages come first from a quorum queue. Take them one at a time, each
        acked before the next is delivered, until a fresh message (handled alone too) or an
        empty queue ends the phase."""
        consumer = self._attach(channel, 1)
        try:
            while not self._stop.is_set():
                self._fill_buffer(conn)
                if not self._buffer:
                    return
                message = self._buffer.pop(0)
                self._handle_with_heartbeats(conn, [message])
                if not returned_count(message):
                    return
        finally:
            consumer.cancel()  # what it delivered meanwhile stays in the buffer, for the next batch

    def _fill_buffer(self, conn: Connection) -> None:
        try:
            conn.drain_events(timeout=0.5)
        except TimeoutError:
            return
        deadline = time.monotonic() + 0.002
        while len(self._buffer) < self.batch_size and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=0.001)
            except TimeoutError:
                break

    def _handle_with_heartbeats(self, conn: Connection, batch: list[Message]) -> None:
        started = time.perf_counter()
        future = self._executor.submit(self._handle_batch, batch)
        while True:
            try:
                acks = future.result(timeout=1.0)
                break
            except FutureTimeout:
                conn.heartbeat_check()
        for message in acks:
            message.ack()
        metrics.BATCH_SECONDS.labels(self.service).observe(time.perf_counter() - started)

    # ---------------------------------------------------------------- handling (helper thread)
    def _handle_batch(self, batch: list[Message]) -> list[Message]:
        """Handle a batch; return the messages to ack (all of them: each is either stored,
        already handled, requeued for retry or parked)."""
        good: list[_Delivery] = []
        for message in batch:
            delivery = _Delivery(message)
            try:
                event = delivery.event = decode(_body_bytes(message))
                delivery.subscription = self.subscriptions.get(event.type)
                if delivery.subscription is None:
                    raise InvalidEvent(f"{self.service} has no handler for {event.type}")
                # Handlers see only what their expectation declares, never the raw message.
                delivery.event = delivery.subscription.accept(event)
            except InvalidEvent as exc:
                self._park(delivery, f"invalid message: {exc}")
                continue
            good.append(delivery)
        fresh = [d for d in good if not d.returned]
        for delivery in good:
            if delivery.returned or len(fresh) == 1:  # a returned one may be what killed a worker
                self._handle_alone(delivery)
        if len(fresh) > 1:
            try:
                self._store_effects(fresh)
            except Exception as exc:
                if self._store_is_down(exc):
                    raise StoreUnavailable(str(exc)) from exc
                log.warning("%s batch of %d failed; handling one by one", self.service, len(fresh),
                            exc_info=True)
                for delivery in fresh:
                    self._handle_alone(delivery)
        return batch

    def _store_is_down(self, exc: BaseException) -> bool:
        """The store, not the message, is at fault: retrying or parking would be wrong. A
        timeout counts only when the store does not answer either (else something holds the
        documents the work needs)."""
        if isinstance(exc, ConnectionFailure):
            return True
        if not timed_out(exc):
            return False
        try:
            self.db.client.admin.command("ping")
            return False
        except PyMongoError:
            return True

    def _store_effects(self, deliveries: list[_Delivery], *, counted: str | None = None) -> None:
        """Store the effects of ``deliveries`` in one transaction. ``counted``: the event id
        whose attempt is counted once its inbox record is ours (see ``inbox.start_attempt``)."""
        after_commit: list[Callable[[], None]] = []

        def work(session: ClientSession) -> None:
            nonlocal counted
            after_commit.clear()
            before_commit: list[Callable[[], None]] = []
            seen = inbox.already_handled(self.db, [d.event.id for d in deliveries], session)
            fresh: dict[str, _Delivery] = {}
            for d in deliveries:
                if d.event.id not in seen:
                    fresh.setdefault(d.event.id, d)  # the same event twice in one batch
            if not fresh:
                return
            inbox.record(self.db, session, [d.event for d in fresh.values()])
            if counted is not None:
                started = inbox.start_attempt(self.db, counted)
                counted = None  # once, however often the transaction is retried
                if started > self.poison_attempts:
                    raise _KillsItsWorker(started - 1)
            for d in fresh.values():
                context = HandlerContext(self.db, session, after_commit, before_commit)
                with correlation(d.event.correlationid):
                    d.subscription.handler(d.event, context)
            for hook in before_commit:
                hook()

        self.transaction(work)
        self.handled += len(deliveries)
        metrics.EVENTS_HANDLED.labels(self.service).inc(len(deliveries))
        for hook in after_commit:
            try:
                hook()
            except Exception:  # the effect is stored; a hook only speeds up follow-up work
                log.exception("after-commit hook failed")

    def _handle_alone(self, delivery: _Delivery) -> None:
        counted = delivery.event.id if delivery.returned else None
        try:
            self._store_effects([delivery], counted=counted)
            self._end_attempt(counted)
        except _KillsItsWorker as exc:
            self._park(delivery, f"its worker died {exc.deaths} times while handling it "
                                 "(killed, out of memory or crashed); not handled again")
            self._end_attempt(counted)
        except inbox.AlreadyHandled:
            pass  # another worker stored this event's effect meanwhile
        except inbox.InHand as exc:
            self._wait_for_holder(delivery, str(exc))
        except Exception as exc:
            if self._store_is_down(exc):
                raise StoreUnavailable(str(exc)) from exc
            self._end_attempt(counted)
            if timed_out(exc):
                self._wait_for_holder(delivery, f"timed out on a reachable store (locked?): {exc}")
            else:
                self._retry_or_park(delivery, f"{type(exc).__name__}: {exc}")

    def _end_attempt(self, event_id: str | None) -> None:
        if event_id is not None:
            inbox.end_attempt(self.db, event_id)

    def _wait_for_holder(self, delivery: _Delivery, reason: str) -> None:
        """Another transaction holds what this message needs: let it wait in the first delay
        queue without using up a retry, until it has waited ``held_wait_s`` in all."""
        held_since = (delivery.message.headers or {}).get("x-held-since")
        since = time.time() if held_since is None else float(held_since)
        if time.time() - since > self.held_wait_s:
            self._retry_or_park(delivery, f"held for over {self.held_wait_s:g}s: {reason}")
            return
        if held_since is None:  # once per wait, not every second of it
            log.info("%s: %s waits; %s", self.service, delivery.event.id, reason)
        self._delay(delivery, self.queues.retry_delays[0], {"x-held-since": since, "x-last-error": reason[:1000]})

    def _retry_or_park(self, delivery: _Delivery, error: str) -> None:
        attempt = delivery.attempts
        delays = self.queues.retry_delays
        if attempt >= len(delays):
            self._park(delivery, error)
            return
        delay = delays[attempt]
        log.warning("%s retrying %s in %gs (attempt %d): %s", self.service,
                    delivery.event.type if delivery.event else "?", delay, attempt + 1, error)
        self.retried += 1
        metrics.EVENTS_RETRIED.labels(self.service).inc()
        self._delay(delivery, delay, {"x-attempts": attempt + 1, "x-last-error": error[:1000]})

    def _delay(self, delivery: _Delivery, delay: float, headers: dict) -> None:
        headers = {**forwarded_headers(delivery.message.headers), "x-returned": delivery.returned, **headers}
        if is_embedded(self._side_connection()):
            # The memory transport has no TTL or dead-lettering: wait in a timer instead.
            timer = threading.Timer(delay, self._republish, (delivery.message, self.queues.inbox_name, headers))
            timer.daemon = True
            timer.start()
        else:
            self._republish(delivery.message, self.queues.retry_name(delay), headers)

    def _park(self, delivery: _Delivery, error: str) -> None:
        headers = {
            **(delivery.message.headers or {}),
            "x-error": error[:4000],
            "x-attempts": delivery.attempts,
            "x-parked-at": datetime.now(timezone.utc).isoformat(),
            "x-original-routing-key": delivery.message.delivery_info.get("routing_key", ""),
        }
        log.error("%s parked a message in %s: %s", self.service, self.queues.dead_name, error)
        self.parked += 1
        metrics.EVENTS_PARKED.labels(self.service).inc()
        self._republish(delivery.message, self.queues.dead_name, headers)

    def _side_connection(self) -> Connection:
        if self._side is None:
            self._side = Connection(self.amqp_url, transport_options={"confirm_publish": True})
        return self._side

    def _republish(self, message: Message, queue_name: str, headers: dict) -> None:
        """Publish a copy to one of our queues through our own exchange (topology), with
        confirms; the original is acked only after this returns."""
        producer = Producer(self._side_connection().default_channel, exchange=self.queues.requeue(),
                            auto_declare=False)  # declared with the queues
        producer.publish(
            _body_bytes(message), routing_key=queue_name, headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            message_id=message.properties.get("message_id"), delivery_mode=2,
            retry=True, retry_policy={"max_retries": 5, "interval_start": 0.2, "interval_step": 0.5},
        )

    def _close_side(self) -> None:
        if self._side is not None:
            self._side.release()
            self._side = None

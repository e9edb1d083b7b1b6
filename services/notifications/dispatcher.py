"""Sends queued deliveries: claim a batch, then for each one mark it ``sending``, send, and
record the outcomes with their events in one transaction every few sends (the last one also
releases the batch).

Several senders, each with its own provider connections, work on a batch at once: while one
waits for its SMTP server another's conversation goes on, and the marks of the deliveries they
are about to finish are written together (``marks.SendingMarks``), so a sent email costs well
under one store write (a mark shared by the senders, a share of a recording). A worker killed
mid-batch leaves ``unknown`` what its senders had sent and not recorded (at most a recording's
worth each, ``RECORD_EVERY``), of which at most one message per sender may not have arrived
(its final dot not sent yet): never sent twice, as with one sender.

At most once per delivery: a delivery is taken by one worker (with its batch), marked
``sending`` as late as its provider allows (SMTP: before the final dot of DATA; SMS: right
before the call), and never sent by email again once ``sending`` (a crash there leaves it
``unknown``; an SMS is repeated under the same idempotency key). A transient failure queues it again with exponential backoff
(or the provider's Retry-After); a permanent one, or running out of attempts, records it as
failed. Each outcome publishes ``notifications.delivery.sent`` or ``.failed``.

A batch is held while it is worked on: the claim is renewed every third of the claim timeout
(checked before each delivery and again right before it is marked ``sending``, after the rate
limiter's wait), so a slow but live worker keeps it. A worker that lost it all the same (one
send slower than the timeout) marks nothing more, and its recording writes nothing and
publishes nothing (see ``NotificationsStore.record``): what it had in hand is left to the
stale-claim recovery.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from prometheus_client import Counter

from services.notifications import invites
from services.notifications.mailer import (
    PermanentFailure,
    TransientFailure,
    build_message,
)
from services.notifications.marks import GATHER_S, SendingMarks
from services.notifications.messages import CATALOG, DELIVERY_FAILED, DELIVERY_SENT
from services.notifications.rendering import render_email, render_sms
from services.notifications.sms_text import segments
from services.notifications.store import (
    FAILED,
    QUEUED,
    SENT,
    UNKNOWN,
    NotificationsStore,
)
from services.notifications.transports import Channel, Sms
from shared import clock as clocks
from shared import unsubscribe
from shared.bus.envelope import Envelope
from shared.clock import Clock
from shared.leases import holder_id
from shared.logs import correlation

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
MAX_BACKOFF_S = 3600.0
# Outcomes are recorded (with their events, in one transaction) every this many sends: a
# worker killed between two records leaves at most this many sent deliveries ``unknown``.
RECORD_EVERY = 10
OUTCOMES = Counter("alumnet_notifications_deliveries_total", "Delivery outcomes by channel",
                   ["channel", "outcome"])


def backoff_s(attempt: int, base_s: float, retry_after: float | None = None,
              jitter: Callable[[], float] = random.random) -> float:
    """The wait before attempt ``attempt + 1``: base, doubled per attempt, capped at an hour,
    spread by +-20% so a provider outage does not end in a thundering herd; never shorter
    than the provider's Retry-After."""
    wait = min(MAX_BACKOFF_S, base_s * 2 ** (attempt - 1)) * (0.8 + 0.4 * jitter())
    return max(wait, retry_after or 0.0)


class DeliveryDispatcher:
    def __init__(self, store: NotificationsStore, channels: dict[str, Channel], *, mail_from: str,
                 prepare: Callable[[dict], dict] | None = None, retry_base_s: float = 30.0,
                 claim_timeout_s: float = 300.0, sms_max_segments: int = 2, clock: Clock = clocks.now,
                 more_senders: Sequence[dict[str, Channel]] = (), gather_s: float = GATHER_S):
        self.store, self.channels, self.mail_from = store, channels, mail_from
        # Each sender has its own channels (its own provider connections): the first works in
        # the calling thread, the others in threads of their own while a batch is sent.
        self.senders = [channels, *more_senders]
        self.clock = clock  # what is due is reckoned by it; a test's stands where the test put it
        # Turns a stored delivery's context into the template context at send time (decrypts
        # one-time tokens into links, adds the unsubscribe link: see handlers.context_for_sending).
        self.prepare = prepare or (lambda delivery: dict(delivery.get("context") or {}))
        self.retry_base_s, self.claim_timeout = retry_base_s, timedelta(seconds=claim_timeout_s)
        self.sms_max_segments = sms_max_segments
        self.renew_every_s = claim_timeout_s / 3
        self.worker_id = holder_id()
        self.stopping = threading.Event()
        self.sent = 0
        self.marks = SendingMarks(self._mark, gather_s) if store is not None else None
        # The batch in hand: its id, when its claim was last renewed (monotonic), whether lost;
        # its outcomes not recorded yet, how many of its deliveries were dealt with, whether
        # its last recording released it. Shared by the senders, under the lock.
        # ``_writes``: the batch's writes (marks, renewals, recordings) one at a time, as with
        # one sender: a recording's transaction never meets this worker's own write of the
        # same documents (the batch, its deliveries) from another sender.
        self._lock, self._writes = threading.Lock(), threading.Lock()
        self._batch: str | None = None
        self._renewed_at = 0.0
        self._lost = False
        self._outcomes: list[tuple[str, dict, tuple[Envelope, ...]]] = []
        self._settled = self._batch_sent = 0
        self._released = False

    def dispatch_all(self) -> int:
        """Send everything due now, then recover what a dead worker left (after the sends: a
        pass woken for one new email does not wait for that read first) and send that too;
        return how many were sent."""
        sent = 0
        try:
            sent += self._send_due()
            self.store.requeue_stale(self.claim_timeout, tuple(name for name, channel in self.channels.items()
                                                               if channel.idempotent))
            sent += self._send_due()
        finally:
            # Kept open while passes send (a stream of sign-ups does not reconnect for each
            # welcome email); the first pass with nothing to send, or the stop, closes them.
            if not sent or self.stopping.is_set():
                self.close()
        return sent

    def _send_due(self) -> int:
        sent = 0
        while not self.stopping.is_set() and (batch := self.store.claim_batch(self.worker_id, self.clock())):
            self._batch, self._renewed_at, self._lost = batch[0]["batch"], time.monotonic(), False
            self._outcomes, self._settled, self._batch_sent, self._released = [], 0, 0, False
            try:
                sent += self._dispatch(batch)
            finally:
                if not self._released:
                    self.store.finish_batch(self._batch, self.worker_id)
        return sent

    def close(self) -> None:
        for channels in self.senders:
            for channel in channels.values():
                channel.close()

    def stop(self) -> None:
        self.stopping.set()

    def _holds_claim(self) -> bool:
        """Whether this worker still holds the batch in hand, renewing the claim when a third
        of the claim timeout has passed since the last renewal."""
        with self._lock:
            if not self._lost and time.monotonic() - self._renewed_at >= self.renew_every_s:
                renewed_at = time.monotonic()
                with self._writes:
                    renewed = self.store.renew_claim(self._batch, self.worker_id)
                if renewed:
                    self._renewed_at = renewed_at
                else:
                    self._lost_claim()
            return not self._lost

    def _mark(self, deliveries: Sequence[dict]) -> set[str]:
        with self._writes:
            return self.store.begin_sending_many(deliveries)

    def _lost_claim(self) -> None:
        log.warning("batch %s was recovered by another worker while this one worked on it; "
                    "what it had in hand is left to the recovery", self._batch)
        self._lost = True

    def _dispatch(self, batch: list[dict]) -> int:
        """Send a batch with every sender at once (each takes the next delivery), recording
        outcomes every ``RECORD_EVERY``; the last recording also releases the batch when every
        delivery of it was dealt with."""
        todo, errors = deque(batch), []
        helpers = [threading.Thread(target=self._sender, args=(channels, todo, errors), daemon=True,
                                    name=f"dispatcher-sender-{n}")
                   for n, channels in enumerate(self.senders[1:min(len(self.senders), len(batch))], 1)]
        for helper in helpers:
            helper.start()
        try:
            self._sender(self.channels, todo, errors)
            for helper in helpers:
                helper.join()
        finally:
            with self._lock:
                outcomes, self._outcomes = self._outcomes, []
                whole = self._settled == len(batch) and not self._lost and not errors
            self._record(outcomes, release=whole)
        if errors:
            raise errors[0]
        return self._batch_sent

    def _sender(self, channels: dict[str, Channel], todo: deque, errors: list[BaseException]) -> None:
        """One sender: takes deliveries from ``todo`` until it is empty, the worker stops, the
        claim is lost or another sender failed."""
        try:
            while not errors and not self.stopping.is_set() and self._holds_claim():
                try:
                    delivery = todo.popleft()
                except IndexError:
                    return
                self.marks.taken()
                try:
                    with correlation(delivery.get("correlation_id")):
                        outcome = self._send(delivery, channels)
                finally:
                    self.marks.done()
                with self._lock:
                    self._settled += 1
                    if outcome is not None:
                        (delivery_id, change), *events = outcome
                        self._outcomes.append((delivery_id, change, tuple(events)))
                    due, self._outcomes = ((self._outcomes, []) if len(self._outcomes) >= RECORD_EVERY
                                           else ([], self._outcomes))
                self._record(due)
        except BaseException as exc:  # noqa: BLE001 (raised by _dispatch once every sender stopped)
            errors.append(exc)

    def _record(self, outcomes: list[tuple[str, dict, tuple[Envelope, ...]]], release: bool = False) -> None:
        if not outcomes:
            return
        with self._writes:
            renewed_at = time.monotonic()
            recorded = self.store.record(self._batch, self.worker_id, outcomes)
            if recorded is not None and release and len(recorded) == len(outcomes):
                self.store.release_batch(self._batch, self.worker_id)
        with self._lock:
            if recorded is None:
                self._lost_claim()
                return
            self._renewed_at = renewed_at  # recording renews the claim
            self._released = release and len(recorded) == len(outcomes)
            sent = sum(1 for _id, change, _ in outcomes if _id in recorded and change["$set"]["status"] == SENT)
            self._batch_sent += sent
            self.sent += sent

    def _send(self, delivery: dict, channels: dict[str, Channel]) -> tuple[Any, ...] | None:
        attempt = delivery["attempts"] + 1
        try:
            payload = self._build(delivery)
        except Exception as exc:  # a template or data bug: retrying cannot help
            log.exception("delivery %s cannot be built", delivery["_id"])
            if not (self._holds_claim() and self.marks.begin(delivery)):
                return None
            return self._failed(delivery, attempt, f"cannot build the message: {exc}", permanent=True)
        began: list[bool] = []

        def begin() -> bool:
            began.append(self._holds_claim() and self.marks.begin(delivery))
            return began[-1]
        try:
            # Marked ``sending`` as late as the provider allows (SMTP: before the final dot),
            # after the rate limiter: a worker killed before leaves it queued for another.
            sent = channels[delivery["channel"]].send(payload, begin=begin)
            if sent is None:
                return None  # cancelled or erased since the batch was taken
        except (PermanentFailure, TransientFailure) as exc:
            # A failure before the provider got that far: mark it now, to record the outcome.
            if not (began[-1] if began else begin()):
                return None
            return self._failure(delivery, attempt, exc)
        now = datetime.now(timezone.utc)
        OUTCOMES.labels(delivery["channel"], "sent").inc()
        change = {"$set": {"status": SENT, "sent_at": now, "provider": sent.provider,
                           "provider_message_id": sent.provider_message_id}}
        return (delivery["_id"], change), self._event(DELIVERY_SENT, delivery, attempt, sent.provider, {
            "sent_at": now.isoformat(), "provider_message_id": sent.provider_message_id})

    def _failure(self, delivery: dict, attempt: int, exc: PermanentFailure | TransientFailure) -> tuple[Any, ...]:
        """The outcome of a failed send: failed, ``unknown`` or queued again after a backoff."""
        if isinstance(exc, PermanentFailure):
            log.warning("delivery %s failed permanently: %s", delivery["_id"], exc)
            return self._failed(delivery, attempt, str(exc), permanent=True)
        log.warning("delivery %s failed, attempt %d: %s", delivery["_id"], attempt, exc)
        now = datetime.now(timezone.utc)
        if exc.maybe_sent and not self.channels[delivery["channel"]].idempotent:
            # It may have arrived and the provider cannot recognise a repeat: at most once.
            OUTCOMES.labels(delivery["channel"], "unknown").inc()
            return (delivery["_id"], {"$set": {"status": UNKNOWN, "unknown_at": now,
                                               "last_error": f"{exc}; not sent again (at most once)"}}),
        if attempt >= MAX_ATTEMPTS:
            return self._failed(delivery, attempt, f"gave up after {attempt} attempts: {exc}", permanent=False)
        OUTCOMES.labels(delivery["channel"], "retried").inc()
        due = now + timedelta(seconds=backoff_s(attempt, self.retry_base_s, exc.retry_after))
        return (delivery["_id"], {"$set": {"status": QUEUED, "due_at": due, "priority": delivery["priority"],
                                           "last_error": str(exc)}}),

    def _failed(self, delivery: dict, attempt: int, reason: str, *, permanent: bool) -> tuple[Any, ...]:
        now = datetime.now(timezone.utc)
        OUTCOMES.labels(delivery["channel"], "failed").inc()
        change = {"$set": {"status": FAILED, "failed_at": now, "last_error": reason, "reason": reason}}
        return (delivery["_id"], change), self._event(DELIVERY_FAILED, delivery, attempt, None, {
            "failed_at": now.isoformat(), "reason": reason, "permanent": permanent})

    @staticmethod
    def _event(event_type: str, delivery: dict, attempt: int, provider: str | None, extra: dict) -> Envelope:
        return CATALOG.create(event_type, delivery["_id"], {
            "delivery_id": delivery["_id"], "source_event_id": delivery["event_id"],
            "member_id": delivery["recipient"], "channel": delivery["channel"], "template": delivery["template"],
            "category": delivery.get("category") or "account", "attempts": attempt, "provider": provider, **extra,
        }, delivery.get("correlation_id"))

    def _build(self, delivery: dict) -> Any:
        context = self.prepare(delivery)
        if delivery["channel"] == "sms":
            body = render_sms(delivery["template"], delivery["language"], context)
            if segments(body) > self.sms_max_segments:
                # Template tests keep every template within the limit; data this unusual is
                # sent anyway (a cut message is worse) but reported.
                log.warning("SMS %s takes %d segments (limit %d)", delivery["_id"], segments(body),
                            self.sms_max_segments)
            return Sms(to=delivery["address"], body=body, delivery_id=delivery["_id"])
        rendered = render_email(delivery["template"], delivery["language"], context)
        calendar_event = context.get("calendar_event")
        unsubscribe_url = context.get("unsubscribe_url") if delivery.get("marketing") else None
        return build_message(sender=self.mail_from, to=delivery["address"], subject=rendered.subject,
                             text=rendered.text, html=rendered.html, delivery_id=delivery["_id"],
                             language=delivery["language"],
                             calendar=invites.event_ics(calendar_event) if calendar_event else None,
                             headers=unsubscribe.headers(unsubscribe_url) if unsubscribe_url else None)

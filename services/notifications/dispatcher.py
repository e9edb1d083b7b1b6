"""Sends queued deliveries: claim, send, record.

A delivery is claimed atomically (``queued`` -> ``sending``) before the send and recorded
after it, so two workers never send the same one, and a redelivered source event finds its
delivery already there. A transient failure puts it back in the queue a few times; a
permanent one is recorded as failed.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from services.notifications import invites
from services.notifications.mailer import (
    PermanentFailure,
    TransientFailure,
    build_message,
)
from services.notifications.rendering import render_email
from services.notifications.store import FAILED, SENT, NotificationsStore
from shared.leases import holder_id
from shared.logs import correlation

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class DeliveryDispatcher:
    def __init__(self, store: NotificationsStore, mailer, mail_from: str,
                 prepare: Callable[[dict], dict] | None = None):
        self.store, self.mailer, self.mail_from = store, mailer, mail_from
        # Turns a stored delivery's context into the template context at send time (decrypts
        # one-time tokens into links: see handlers.context_for_sending).
        self.prepare = prepare or (lambda delivery: delivery["context"])
        self.worker_id = holder_id()
        self.sent = 0

    def dispatch_all(self) -> int:
        """Send everything queued now; return how many were sent."""
        self.store.expire_stale_claims(timedelta(minutes=10))
        sent = 0
        while (delivery := self.store.claim_next(self.worker_id)) is not None:
            with correlation(delivery.get("correlation_id")):
                sent += self._send(delivery)
        return sent

    def _send(self, delivery: dict) -> int:
        try:
            context = self.prepare(delivery)
            rendered = render_email(delivery["template"], delivery["language"], context)
            calendar_event = context.get("calendar_event")
            message = build_message(sender=self.mail_from, to=delivery["address"], subject=rendered.subject,
                                    text=rendered.text, html=rendered.html, delivery_id=delivery["_id"],
                                    language=delivery["language"],
                                    calendar=invites.event_ics(calendar_event) if calendar_event else None)
        except Exception as exc:  # a template or data bug: retrying cannot help
            self.store.mark(delivery["_id"], FAILED, last_error=f"cannot build the message: {exc}")
            log.exception("delivery %s cannot be built", delivery["_id"])
            return 0
        try:
            self.mailer.send(message)
        except PermanentFailure as exc:
            self.store.mark(delivery["_id"], FAILED, last_error=str(exc))
            log.warning("delivery %s failed permanently: %s", delivery["_id"], exc)
            return 0
        except TransientFailure as exc:
            if delivery["attempts"] >= MAX_ATTEMPTS:
                self.store.mark(delivery["_id"], FAILED, last_error=str(exc))
            else:
                self.store.requeue(delivery["_id"], str(exc))
            log.warning("delivery %s failed, attempt %d: %s", delivery["_id"], delivery["attempts"], exc)
            return 0
        self.store.mark(delivery["_id"], SENT, message_id=message["Message-ID"])
        self.sent += 1
        return 1

"""Spreading one message over an audience: event announcements (``events.event.published``),
survey invitations and reminders (``surveys.py``) and the office's announcements.

A fan-out with a ``not_before`` time (a survey's opening) is not spread before it. A survey
reminder's audience is the survey's invited who have not completed it
(``surveys_store.invitees_not_completed``); every other audience is ``memberview.fits``.

The message handler (or the announcements API) only stores a fan-out document; a worker loop
(``FanoutSpreader``) then walks the verified contacts with a cursor, a page at a time, and
queues a delivery for each member in the audience, so memory stays bounded whatever the
audience size and no transaction grows with it. Delivery ids are (fan-out, member, channel),
so a spread resumed after a crash - by the same worker or, after the lease, another - queues
nobody twice. A page's deliveries and their batches are stored in one transaction (about half
a second of the embedded store's work for a full page): a kill or a store error in between
leaves neither, never deliveries that a resumed spread skips and no dispatcher takes. The
sweeper (``StrandedSweeper``) checks each spread fan-out once for queued deliveries whose batch
is missing all the same (left by the two-write pages of before) and stores those batches again.
Cancelling stops the walk at the next page and skips whatever still waits.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.notifications import routing, surveys_store
from services.notifications import store as notification_store
from services.notifications.rendering import has_sms
from services.notifications.store import BULK, URGENT, NotificationsStore
from shared import clock as clocks
from shared import memberview
from shared.bus.envelope import Envelope
from shared.leases import holder_id

log = logging.getLogger(__name__)
PAGE = 500
# A fan-out's first page is one dispatcher batch: its emails go out while the next, full
# pages are prepared, instead of after a full page's transaction (a second or more here).
FIRST_PAGE = 50
LEASE = timedelta(seconds=60)
SPREADING, SPREAD, CANCELLED = "spreading", "spread", "cancelled"


def language_of(contact: Mapping[str, Any]) -> str:
    return contact.get("language") if contact.get("language") in ("bg", "en") else "bg"


def deliveries_for(contact: Mapping[str, Any], preferences: Mapping[str, Any] | None, *, source_id: str,
                   template: str, category: str, transactional: bool, urgent: bool, now: datetime,
                   correlation_id: str | None, context: Callable[[str], dict],
                   fanout_id: str | None = None, sms_allowed: bool = True,
                   language: str | None = None) -> list[dict]:
    """The delivery documents one notification makes for one contact, in ``language`` when the
    event names it (else the contact's)."""
    language = language if language in ("bg", "en") else language_of(contact)
    full_context = {"given_name": contact.get("given_name", ""), "family_name": contact.get("family_name", ""),
                    **context(language)}
    routes = routing.routes(contact, preferences, category=category, transactional=transactional,
                            sms_possible=sms_allowed and has_sms(template), urgent=urgent, now=now)
    return [notification_store.new_delivery(
        source_id=source_id, recipient=contact["_id"], channel=route.channel, template=template,
        language=language, address=route.address, context=full_context, correlation_id=correlation_id,
        category=category, marketing=not transactional, status=route.status, due_at=route.due_at,
        priority=URGENT if transactional or urgent else BULK, reason=route.reason, fanout_id=fanout_id)
        for route in routes]


def create_for_event(db: Database, session: ClientSession, event: Envelope, notification) -> None:
    """The fan-out of an audience notification, once per event (redelivery adds nothing)."""
    notification_store.create_fanout(db, session, {
        "_id": event.id, "kind": "event", "event_type": event.type, "data": event.data,
        "audience": notification.audience(event.data), "template": notification.template,
        "category": notification.category, "channels": list(notification.channels),
        "not_before": notification.not_before(event.data) if notification.not_before else None,
        "correlation_id": event.correlationid, "status": SPREADING, "created_at": datetime.now(timezone.utc),
        "lease_until": None,
        # Members whose data the message carries (an award's winner): their erasure stops it.
        **({"mentions": notification.mentions(event.data)} if notification.mentions else {})})


class FanoutSpreader:
    """The worker loop's tick: spread every fan-out that is not spread yet."""

    def __init__(self, store: NotificationsStore, context_of: Callable[[dict, str], dict],
                 wake_dispatcher: Callable[[], None] | None = None, page: int = PAGE,
                 clock: Callable[[], datetime] = clocks.now, first_page: int = FIRST_PAGE):
        self.store, self.context_of, self.page, self.clock = store, context_of, page, clock
        self.first_page = min(first_page, page)
        self.wake_dispatcher = wake_dispatcher or (lambda: None)
        self.worker_id = holder_id()

    def spread_all(self) -> int:
        """Spread every fan-out whose time has come (a survey's not before its opening)."""
        spread = 0
        while (fanout := self.store.claim_fanout(self.worker_id, LEASE, self.clock())) is not None:
            self.spread(fanout)
            spread += 1
        return spread

    def audience(self, fanout: dict) -> Iterator[dict]:
        """The verified contacts a fan-out reaches, streamed: those ``memberview.fits`` its
        audience, or for a survey's reminder the invited who have not completed it."""
        audience = fanout["audience"]
        if audience.get("kind") == "survey_invitees":
            yield from surveys_store.invitees_not_completed(self.store.db, audience["survey_id"],
                                                            audience["invitation"], self.page)
            return
        segment = self.store.segment(audience.get("segment_id")) if audience.get("kind") == "segment" else None
        for contact in self.store.verified_contacts(self.page):
            if memberview.fits(audience, contact, segment):
                yield contact

    def spread(self, fanout: dict) -> None:
        contexts: dict[str, dict] = {}

        def context(language: str) -> dict:
            if language not in contexts:
                contexts[language] = self.context_of(fanout, language)
            return contexts[language]

        audience, page = 0, []
        for contact in self.audience(fanout):
            page.append(contact)
            if len(page) >= (self.page if audience else self.first_page):
                if not self._queue(fanout, page, context):
                    log.info("fan-out %s stopped (cancelled or taken over)", fanout["_id"])
                    return
                audience, page = audience + len(page), []
        if page and not self._queue(fanout, page, context):
            return
        self.store.finish_fanout(fanout["_id"], self.worker_id, audience + len(page))
        log.info("fan-out %s spread to %d members", fanout["_id"], audience + len(page))

    def _queue(self, fanout: dict, contacts: list[dict], context: Callable[[str], dict]) -> bool:
        """Queue a page, in one transaction that first extends the fan-out's lease while it is
        still spreading and this worker's: a cancel (or a takeover) before it queues nothing,
        and one after it waits for the commit and then skips the page with the rest (both
        write the fan-out, so the store orders them). Returns whether the page was queued."""
        now = self.clock()  # when each delivery is due (quiet hours, digests) is reckoned from it
        preferences = self.store.preferences_of([c["_id"] for c in contacts])
        deliveries = []
        for contact in contacts:
            deliveries += deliveries_for(
                contact, preferences.get(contact["_id"]), source_id=fanout["_id"], template=fanout["template"],
                category=fanout["category"], transactional=False, urgent=False, now=now,
                correlation_id=fanout.get("correlation_id"), context=context, fanout_id=fanout["_id"],
                sms_allowed="sms" in fanout.get("channels", ("email",)))

        def write(session: ClientSession) -> bool:
            # The contacts were read before this transaction: leave out whoever has been
            # erased since (the erasure writes the fan-out too, so it cannot slip in between).
            erased = notification_store.erased_among(self.store.db, session, {d["recipient"] for d in deliveries})
            if not self.store.extend_fanout(fanout["_id"], self.worker_id, LEASE, session):
                return False
            notification_store.queue(self.store.db, session, [d for d in deliveries if d["recipient"] not in erased])
            return True

        if not self.store.transaction(write):
            return False
        self.wake_dispatcher()
        return True


class NewFanouts:
    """A worker loop that wakes the spreader soon after any process stores a fan-out (the
    announcements api is another process: without this its POST waited for the spreader's
    period). It asks the store every ``poll_s`` whether a fan-out waits for a spreader (one
    indexed read) and wakes the spreader when one does. Not a change stream: on the embedded
    store every open change stream costs 1-2 ms of CPU for each email sent, because its
    getMore looks at every write of the database (bench/README.md, notifications); a read
    twice a second costs a fraction of one. After a store error it waits ``retry_s``; the
    spreader's own period stays the safety net."""

    def __init__(self, store: NotificationsStore, wake_spreader: Callable[[], None], retry_s: float = 5.0,
                 poll_s: float = 0.5):
        self.store, self.wake_spreader, self.retry_s, self.poll_s = store, wake_spreader, retry_s, poll_s
        self.polls = 0
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                waiting = self.store.fanout_waiting()
            except PyMongoError:
                log.warning("cannot look for new fan-outs; the spreader's period takes over for %ss", self.retry_s,
                            exc_info=True)
                self._stop.wait(self.retry_s)
                continue
            self.polls += 1
            if waiting:
                self.wake_spreader()
            self._stop.wait(self.poll_s)

    def stop(self) -> None:
        self._stop.set()


class StrandedSweeper:
    """The worker's timer that finds queued deliveries in no batch (which no dispatcher would
    ever take, and fan-out progress would show queued for ever) and gives them their batch
    again. Each spread fan-out is checked once, by the one worker copy that leased it. Only
    fan-outs are looked at: every other path queues deliveries inside its caller's transaction
    (the consumer's, the digest's, the recording of outcomes), never apart from their batches."""

    def __init__(self, store: NotificationsStore, wake_dispatcher: Callable[[], None] | None = None):
        self.store = store
        self.wake_dispatcher = wake_dispatcher or (lambda: None)
        self.worker_id = holder_id()

    def sweep(self) -> int:
        """Check every fan-out not checked yet; return how many batches were stored again."""
        reopened = 0
        while (fanout := self.store.claim_unchecked_fanout(self.worker_id, LEASE)) is not None:
            found = self.store.reopen_stranded(fanout["_id"])
            self.store.finish_check(fanout["_id"], self.worker_id)
            if found:
                log.warning("fan-out %s had queued deliveries in %d missing batches; stored them again",
                            fanout["_id"], found)
            reopened += found
        if reopened:
            self.wake_dispatcher()
        return reopened

"""The daily digest: members who chose ``digest`` for a category get its messages as one email
a day, at their digest hour in their time zone, and nothing on a day with nothing to tell.

Held deliveries carry the time of the member's next digest (``routing.next_digest_time``).
Once it has passed, the digest is queued and the held deliveries are marked ``digested`` in
one transaction: a digest id is (member, local date), so a crash or a second worker cannot
make two digests of one day, and no message is in two digests.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from pymongo.client_session import ClientSession

from services.notifications import routing
from services.notifications import store as notification_store
from services.notifications.wording import MONTHS
from services.notifications.fanout import language_of
from services.notifications.rendering import render_email
from services.notifications.store import (
    BULK,
    DELIVERIES,
    DIGESTED,
    HELD,
    SKIPPED,
    NotificationsStore,
)

log = logging.getLogger(__name__)


def digest_date(moment: datetime, language: str) -> str:
    month = MONTHS[language][moment.month - 1]
    return f"{moment.day} {month} {moment.year} г." if language == "bg" else f"{moment.day} {month} {moment.year}"


class DigestBuilder:
    def __init__(self, store: NotificationsStore, prepare: Callable[[dict], dict],
                 wake_dispatcher: Callable[[], None] | None = None):
        self.store, self.prepare = store, prepare
        self.wake_dispatcher = wake_dispatcher or (lambda: None)

    def build_due(self, now: datetime | None = None) -> int:
        """Queue every digest that is due; return how many."""
        now = now or datetime.now(timezone.utc)
        built = 0
        while recipients := self.store.due_digest_recipients(now, 100):
            for recipient in recipients:
                built += self.store.transaction(lambda session: self._build(session, recipient, now))
        if built:
            self.wake_dispatcher()
        return built

    def _build(self, session: ClientSession, recipient: str, now: datetime) -> int:
        db = self.store.db
        held = list(db[DELIVERIES].find({"recipient": recipient, "status": HELD, "due_at": {"$lte": now}},
                                        session=session).sort("queued_at", 1))
        contact = db[notification_store.CONTACTS].find_one({"_id": recipient}, session=session)
        ids = [d["_id"] for d in held]
        if contact is None or not contact.get("email"):
            db[DELIVERIES].update_many({"_id": {"$in": ids}}, {"$set": {
                "status": SKIPPED, "skipped_at": now, "reason": "no email address for the digest"}}, session=session)
            return 0
        preferences = routing.effective(db[notification_store.PREFERENCES].find_one({"_id": recipient},
                                                                                    session=session))
        local = now.astimezone(ZoneInfo(preferences["timezone"]))
        language = language_of(contact)
        items = []
        for delivery in held:
            rendered = render_email(delivery["template"], language, self.prepare({**delivery, "marketing": False}))
            items.append({"subject": rendered.subject, "text": rendered.text})
        categories = Counter(d.get("category") for d in held)
        category = categories.most_common(1)[0][0] if len(categories) == 1 else "news"
        digest_source = f"digest-{local.date().isoformat()}"
        # Normally one a day; a second one the same day only if the member moved the hour.
        taken = {d["_id"] for d in db[DELIVERIES].find({"recipient": recipient, "template": "digest"}, {"_id": 1},
                                                       session=session)}
        number = 1
        while notification_store.delivery_id(digest_source if number == 1 else f"{digest_source}-{number}",
                                             recipient, "email") in taken:
            number += 1
        if number > 1:
            digest_source = f"{digest_source}-{number}"
        digest = notification_store.new_delivery(
            source_id=digest_source, recipient=recipient, channel="email", template="digest", language=language,
            address=contact["email"], correlation_id=None, category=category, marketing=True, priority=BULK,
            context={"given_name": contact.get("given_name", ""), "family_name": contact.get("family_name", ""),
                     "date": digest_date(local, language), "items": items})
        notification_store.queue(db, session, [digest])
        db[DELIVERIES].update_many({"_id": {"$in": ids}, "status": HELD}, {"$set": {
            "status": DIGESTED, "digested_at": now, "digest_id": digest["_id"]}}, session=session)
        return 1

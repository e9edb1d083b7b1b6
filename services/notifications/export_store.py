"""MongoDB reads for a member's data export (GDPR): everything the notifications service holds
about one member (read only: this module writes nothing; the collections are ``store.py``'s).

- ``contact``: the service's copy of the member (address, number, language, consents as it
  holds them, status and profile fields), without its bookkeeping;
- ``preferences``: what they chose (channel per category, quiet hours, digest hour);
- ``deliveries``: the newest ``DELIVERY_LIMIT`` messages to them: channel, template, language,
  category, status, the address used and the times. Never the message's template data
  (``context``: it may carry other people's data, such as a mentee's name), who else it
  mentions, or an asker's details;
- ``survey_completions`` and ``cause_volunteering``: what the service keeps of their surveys
  and causes to know whom to remind.

A member the service remembers as erased is ``None`` (the erasure deleted the contact and
preferences and anonymised the deliveries), and the answer is the members service's (404).
"""
from __future__ import annotations

from pymongo import DESCENDING
from pymongo.database import Database

from services.notifications import store as notification_store
from services.notifications.store import (
    CAUSE_VOLUNTEERS,
    COMPLETIONS,
    CONTACTS,
    DELIVERIES,
    PREFERENCES,
)
from shared.web.export import only, read_model_entry, without

# Enough to see what was sent lately; the office's delivery log pages further back.
DELIVERY_LIMIT = 500
DELIVERY_FIELDS = ("event_id", "channel", "template", "language", "category", "marketing", "status", "reason",
                   "address", "attempts", "digest_id")


def export(db: Database, member_id: str) -> dict | None:
    """Everything the notifications service holds about ``member_id``; ``None`` once they are
    erased."""
    if notification_store.is_erased(db, None, member_id):
        return None
    deliveries = list(db[DELIVERIES].find({"recipient": member_id})
                      .sort([("queued_at", DESCENDING), ("_id", DESCENDING)]).limit(DELIVERY_LIMIT + 1))
    return {
        "contact": read_model_entry(db[CONTACTS].find_one({"_id": member_id})),
        "preferences": without(db[PREFERENCES].find_one({"_id": member_id}), "_id"),
        "deliveries": [_delivery(d) for d in deliveries[:DELIVERY_LIMIT]],
        "deliveries_truncated": len(deliveries) > DELIVERY_LIMIT,
        "survey_completions": [without(c, "_id", "member_id") for c in db[COMPLETIONS].find({"member_id": member_id})],
        "cause_volunteering": [without(v, "member_id") for v in db[CAUSE_VOLUNTEERS].find({"member_id": member_id})],
    }


def _delivery(delivery: dict) -> dict:
    """A delivery's log line: what, how and when; times are every ``*_at`` field it has."""
    return {**only(delivery, DELIVERY_FIELDS),
            **{k: v for k, v in delivery.items() if k.endswith("_at") and k != "anonymised_at"}}

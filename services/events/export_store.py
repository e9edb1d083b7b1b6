"""MongoDB reads for a member's data export (GDPR): everything the events service holds about
one member, gathered from the collections of the modules that own them (read only: this
module writes nothing).

- ``member``: the service's copy of them (``readmodel_store``), without its bookkeeping;
- ``registrations``: theirs, each with what the event was (title, kind, times, place). A
  ticket's code is a bearer secret, so only whether there is one is said (``has_ticket``); who
  scanned it (``checked_in_by``) is staff's id, not the member's data;
- ``causes``: their volunteering requests (with the cause's title and the role), the hours
  confirmed for them (without who confirmed), and the causes they own;
- ``calendar_feed``: when their feed was made; its ``_id`` is the hash of the URL's secret.

A member the service remembers as erased is ``None``: the erasure anonymised the rows above
(``member_id`` set to ``None``), so nothing of them is left to find, and the answer is the
members service's (404). Each part is one query by an indexed member field, and the titles of
the events and causes one ``$in`` query each.
"""
from __future__ import annotations

from pymongo.database import Database

from services.events import readmodel_store
from services.events.calendar_store import FEEDS
from services.events.causes.store import CAUSES, HOURS, VOLUNTEERS
from services.events.registrations_store import EVENTS, REGISTRATIONS
from shared.web.export import only, read_model_entry, without

# What the member sees of an event they registered for, and of a cause and its roles.
EVENT_FIELDS = ("title", "kind", "status", "starts_at", "ends_at", "timezone", "place", "online_url")
CAUSE_FIELDS = ("title", "kind", "status", "deadline")
ROLE_FIELDS = ("role_id", "title", "when", "place")
# Other people's ids and secrets in the rows: never exported.
REGISTRATION_HIDDEN = ("ticket_code", "checked_in_by", "member_id")
VOLUNTEER_HIDDEN = ("member_id", "position")
HOURS_HIDDEN = ("member_id", "confirmed_by")


def export(db: Database, member_id: str) -> dict | None:
    """Everything the events service holds about ``member_id``; ``None`` once they are erased."""
    if readmodel_store.is_erased(db, None, member_id):
        return None
    registrations = list(db[REGISTRATIONS].find({"member_id": member_id}).sort("registered_at", 1))
    events = _by_id(db[EVENTS], [r["event_id"] for r in registrations], EVENT_FIELDS)
    volunteering = list(db[VOLUNTEERS].find({"member_id": member_id}).sort("requested_at", 1))
    hours = list(db[HOURS].find({"member_id": member_id}).sort("on", 1))
    owned = list(db[CAUSES].find({"owner_id": member_id}, {**dict.fromkeys(CAUSE_FIELDS, 1), "created_at": 1}))
    causes = _by_id(db[CAUSES], [v["cause_id"] for v in volunteering], (*CAUSE_FIELDS, "roles"))
    feed = db[FEEDS].find_one({"member_id": member_id}, {"_id": 0, "created_at": 1})
    return {
        "member": read_model_entry(readmodel_store.member(db, member_id)),
        "registrations": [{**without(r, *REGISTRATION_HIDDEN), "has_ticket": bool(r.get("ticket_code")),
                           "event": events.get(r["event_id"])} for r in registrations],
        "causes": {
            "volunteering": [{**without(v, *VOLUNTEER_HIDDEN), **_cause_and_role(causes.get(v["cause_id"]),
                                                                                 v["role_id"])}
                             for v in volunteering],
            "hours": [without(h, *HOURS_HIDDEN) for h in hours],
            "owned": owned,
        },
        "calendar_feed": feed,
    }


def _by_id(collection, ids: list[str], fields: tuple[str, ...]) -> dict[str, dict]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = collection.find({"_id": {"$in": wanted}}, dict.fromkeys(fields, 1), limit=len(wanted))
    return {doc["_id"]: doc for doc in found}


def _cause_and_role(cause: dict | None, role_id: str) -> dict:
    if cause is None:
        return {"cause": None, "role": None}
    role = next((r for r in cause.get("roles") or [] if r.get("role_id") == role_id), None)
    return {"cause": only(cause, ("_id", *CAUSE_FIELDS)), "role": only(role, ROLE_FIELDS) if role else None}

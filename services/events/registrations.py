"""The rules of registering for an event, without any I/O (documents: ``model.py``).

- Registering is possible only for a published event, from ``registration_opens_at`` (if
  set) until ``registration_closes_at`` (default: the start).
- A member brings at most ``guests_allowed`` guests; a party (the member and their guests)
  larger than the whole capacity can never be seated and is refused.
- A party is confirmed if it fits the seats left (``capacity`` counts people, guests
  included; ``None`` is unlimited), else it joins the waitlist at the next FIFO position.
- Freed seats go to the waitlisted parties in FIFO order; a party that does not fit the
  seats left is skipped and keeps its place (a smaller party behind it may be seated).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

ACTIVE = ("confirmed", "waitlisted")
CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
CANCEL_REASONS = ("member", "admin", "event_cancelled", "erased")


class Refusal(Exception):
    """A registration (or cancellation) the rules do not allow.

    ``kind`` says which rule: ``not-published``, ``event-cancelled``, ``registration-not-open``,
    ``registration-closed``, ``event-over`` (all conflicts with the event's state), or
    ``too-many-guests``, ``party-too-large`` (the request itself; ``field`` names it).
    ``at`` is the moment the rule is about (when registration opens or closed).
    """

    def __init__(self, kind: str, message: str, *, field: str | None = None, at: datetime | None = None):
        super().__init__(message)
        self.kind, self.field, self.at = kind, field, at


def registration_id(event_id: str, member_id: str) -> str:
    return f"{event_id}:{member_id}"


def party_of(guests: int) -> int:
    return 1 + guests


def closes_at(event: dict) -> datetime:
    return event.get("registration_closes_at") or event["starts_at"]


def local_time(moment: datetime, zone: str) -> str:
    """A moment as people read it: ``2026-12-10 22:00 (Europe/Sofia)``."""
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def check_open(event: dict, now: datetime) -> None:
    """Refuse unless the event takes registrations at ``now``."""
    if event["status"] == "cancelled":
        raise Refusal("event-cancelled", "The event is cancelled.")
    if event["status"] != "published":
        raise Refusal("not-published", "The event is not published yet.")
    zone = event.get("timezone") or "UTC"
    opens, closes = event.get("registration_opens_at"), closes_at(event)
    if opens is not None and now < opens:
        raise Refusal("registration-not-open", f"Registration opens at {local_time(opens, zone)}.", at=opens)
    if now >= closes:
        raise Refusal("registration-closed", f"Registration closed at {local_time(closes, zone)}.", at=closes)


def check_party(event: dict, guests: int) -> None:
    """Refuse more guests than the event allows, or a party that can never be seated."""
    allowed = event.get("guests_allowed") or 0
    if guests > allowed:
        message = "This event allows no guests." if allowed == 0 else \
            f"This event allows at most {allowed} guest{'s' if allowed != 1 else ''} per member."
        raise Refusal("too-many-guests", message, field="guests")
    capacity = event.get("capacity")
    if capacity is not None and party_of(guests) > capacity:
        raise Refusal("party-too-large", f"A party of {party_of(guests)} is larger than the event's "
                                         f"capacity of {capacity}.", field="guests")


def check_register(event: dict, guests: int, now: datetime) -> None:
    check_open(event, now)
    check_party(event, guests)


def check_cancel(event: dict, now: datetime) -> None:
    """A registration can be cancelled until the event ends (not for a cancelled event:
    its registrations have all ended already)."""
    if event["ends_at"] <= now:
        raise Refusal("event-over", "The event is over.", at=event["ends_at"])


def seats_left(event: dict) -> int | None:
    """Seats not taken (``None``: unlimited)."""
    capacity = event.get("capacity")
    return None if capacity is None else max(capacity - event.get("seats_taken", 0), 0)


def fits(event: dict, party: int) -> bool:
    left = seats_left(event)
    return left is None or party <= left


def promotable(event: dict, now: datetime) -> bool:
    """Freed seats go to the waitlist only while the event is published and has not started."""
    return event["status"] == "published" and now < event["starts_at"]


def pick_promotions(waiting: Iterable[dict], left: int | None,
                    size: Callable[[dict], int] = lambda registration: registration["party"]) -> list[dict]:
    """Of the waitlisted registrations in FIFO order, those the ``left`` seats (``None``:
    unlimited) take: each whose party fits what is still left; the others keep their place.
    ``size`` is what one takes (a party; a cause's pledge uses its quantity)."""
    chosen = []
    for registration in waiting:
        if left is not None and left <= 0:
            break
        if left is None or size(registration) <= left:
            chosen.append(registration)
            if left is not None:
                left -= size(registration)
    return chosen


def new_ticket_code() -> str:
    """The unguessable check-in code of a confirmed registration."""
    return secrets.token_urlsafe(16)


def new_registration(event_id: str, member_id: str, guests: int, now: datetime) -> dict:
    """A registration document before it is confirmed or waitlisted."""
    return {"_id": registration_id(event_id, member_id), "event_id": event_id, "member_id": member_id,
            "guests": guests, "party": party_of(guests), "status": None, "position": None, "ticket_code": None,
            "registered_at": now, "confirmed_at": None, "promoted_at": None, "cancelled_at": None,
            "cancel_reason": None, "checked_in_at": None, "checked_in_by": None, "anonymised_at": None}


def confirmed(registration: dict, now: datetime, *, promoted: bool = False) -> dict:
    return {**registration, "status": CONFIRMED, "ticket_code": new_ticket_code(), "confirmed_at": now,
            "promoted_at": now if promoted else registration.get("promoted_at")}


def waitlisted(registration: dict, position: int) -> dict:
    return {**registration, "status": WAITLISTED, "position": position, "ticket_code": None}


def cancelled(registration: dict, reason: str, now: datetime) -> dict:
    assert reason in CANCEL_REASONS, reason
    return {**registration, "status": CANCELLED, "cancelled_at": now, "cancel_reason": reason, "ticket_code": None}

"""Who sees which event, and who runs its door (pure: the caller's principal and whether
they fit the event's audience in, a yes or no out).

- A draft is seen by admins only.
- A published or cancelled event for everyone is seen by anyone, signed in or not.
- An event for an audience is seen by admins, by staff and by the verified members of its
  audience (``audience.fits``); to anyone else it does not exist (404), so nobody registers
  for an event they cannot see.
- The door of an event they see, check-in and attendee lists, is run by admins and staff.
  Staff have no other right of admins: creating, editing, publishing and cancelling events,
  drafts, members' tickets and cancelling others' registrations stay with admins.
"""
from __future__ import annotations

from shared.auth import Principal

DOOR = ("admin", "staff")


def sees_every_audience(principal: Principal | None) -> bool:
    return principal is not None and principal.has_any(DOOR)


def visible(event: dict, principal: Principal | None, fits: bool | None) -> bool:
    """Whether the caller sees ``event``; ``fits``: whether they are in its audience."""
    if event["status"] == "draft":
        return principal is not None and principal.is_admin
    return event["audience"].get("kind", "all") == "all" or sees_every_audience(principal) or bool(fits)

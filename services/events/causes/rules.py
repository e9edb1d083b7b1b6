"""The rules of causes, without any I/O (documents: ``store.py``'s docstring).

- A cause is a volunteering call (roles with slots: people), an in-kind collection (roles are
  the items; slots the quantity wanted, a member pledges a quantity) or a campaign (no roles; a
  goal whose ``current`` the owner updates, and perhaps the university's donation page).
- The office drafts, publishes and closes causes; it names an owner (a member) who may edit
  the draft, close the cause, see its volunteers, confirm their hours and update a campaign's
  progress. Only admins publish.
- Members of the cause's audience join a role until its deadline, while it is published. A
  request is joined if it fits the slots left, else it waits in FIFO order; a pledge larger than
  what is still wanted (while something is) is refused rather than left waiting. Slots are
  never exceeded.
- Leaving frees what the volunteer held; the waiting requests take it in FIFO order, each that
  fits (a pledge that does not fit keeps its place): ``registrations.pick_promotions``.
- Hours: 0.5 to 24 per confirmation, one per volunteer and day, never for a day to come, only
  for a joined volunteer of a volunteering call, by its owner or an admin.
- Progress per kind: volunteers joined of slots (volunteering), pledged of wanted
  (collection), ``current`` of ``target`` (campaign); the percentage is rounded down and at
  most 100.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime

from services.events import registrations
from services.events.messages import CAUSE_KINDS
from shared.auth import Principal
from shared.clock import CLUB_ZONE

KINDS = tuple(CAUSE_KINDS)
VOLUNTEERING, COLLECTION, CAMPAIGN = KINDS
DRAFT, PUBLISHED, CLOSED = "draft", "published", "closed"
STATUSES = (DRAFT, PUBLISHED, CLOSED)
JOINED, WAITLISTED, LEFT = "joined", "waitlisted", "left"
ACTIVE = (JOINED, WAITLISTED)
VOLUNTEER_STATUSES = (JOINED, WAITLISTED, LEFT)
LEFT_REASONS = ("member", "admin", "cause_closed", "erased")
MIN_HOURS, MAX_HOURS = 0.5, 24
MAX_SLOTS = 500
ROLE_ID = r"^[a-z0-9][a-z0-9_-]{0,39}\Z"  # a key of the cause's counters: no dots, no dollar


class Refusal(Exception):
    """Something the rules do not allow; ``kind`` says which rule, ``field`` names the request's
    field at fault (``None``: the cause's or the volunteer's state)."""

    def __init__(self, kind: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.kind, self.field = kind, field


# --------------------------------------------------------------------------- the cause

def check(cause: dict) -> dict[str, list[str]]:
    """Contradictions within a cause's fields (field -> messages)."""
    errors: dict[str, list[str]] = {}
    roles, goal = cause.get("roles") or [], cause.get("goal")
    if cause["kind"] == CAMPAIGN:
        if goal is None:
            errors["goal"] = ["A campaign needs its goal."]
        if roles:
            errors["roles"] = ["A campaign has no roles: members follow its goal."]
    else:
        if not roles:
            errors["roles"] = ["Give at least one role." if cause["kind"] == VOLUNTEERING
                               else "Give at least one item wanted."]
        if goal is not None:
            errors["goal"] = ["Only a campaign has a goal; progress is counted from its roles."]
    ids = [role["role_id"] for role in roles]
    if len(ids) != len(set(ids)):
        errors["roles"] = ["Each role needs its own role_id."]
    return errors


def check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise Refusal("deadline-passed", "The deadline has passed: set a later one.", field="deadline")


def check_update(cause: dict, changes: dict) -> None:
    """A closed cause does not change; a published one keeps its roles (members hold their
    slots), everything else may be corrected."""
    if cause["status"] == CLOSED:
        raise Refusal("cause-closed", "The cause is closed.")
    if cause["status"] == PUBLISHED and "roles" in changes and changes["roles"] != cause["roles"]:
        raise Refusal("roles-fixed", "The roles of a published cause are fixed: volunteers hold their slots.",
                      field="roles")


def check_publish(cause: dict, now: datetime) -> None:
    if cause["status"] == CLOSED:
        raise Refusal("cause-closed", "The cause is closed.")
    check_deadline(cause["deadline"], now)


def check_close(cause: dict) -> None:
    if cause["status"] == DRAFT:
        raise Refusal("not-published", "A draft is not closed: it was never published.")


def check_progress(cause: dict) -> None:
    if cause["kind"] != CAMPAIGN:
        raise Refusal("not-campaign", "Only a campaign's progress is set by hand; the others count their volunteers.")
    if cause["status"] == CLOSED:
        raise Refusal("cause-closed", "The cause is closed.")


def role_of(cause: dict, role_id: str) -> dict | None:
    return next((role for role in cause.get("roles") or [] if role["role_id"] == role_id), None)


def new_counts(roles: Iterable[dict]) -> dict[str, dict[str, int]]:
    """Each role's counters: what its joined volunteers hold, how many wait, the last FIFO
    position handed out."""
    return {role["role_id"]: {"filled": 0, "waiting": 0, "seq": 0} for role in roles}


# --------------------------------------------------------------------------- who may

def is_owner(cause: dict, member_id: str | None) -> bool:
    return member_id is not None and cause.get("owner_id") == member_id


def runs(cause: dict, principal: Principal) -> bool:
    """Admins and the owner run a cause: close it, see its volunteers, confirm hours."""
    return principal.is_admin or is_owner(cause, principal.subject)


def may_edit(cause: dict, principal: Principal) -> bool:
    """Admins edit any cause; its owner only the draft."""
    return principal.is_admin or (is_owner(cause, principal.subject) and cause["status"] == DRAFT)


def visible(cause: dict, principal: Principal, fits: bool) -> bool:
    """Those who run a cause see it; a draft nobody else; a published or closed cause the
    verified members of its audience (``fits``)."""
    return runs(cause, principal) or (cause["status"] != DRAFT and fits)


# --------------------------------------------------------------------------- joining and leaving

def amount(cause: dict, role: dict, quantity: int | None) -> int:
    """What a request takes of a role's slots: one person, or the quantity pledged."""
    if cause["kind"] == COLLECTION:
        if quantity is None:
            raise Refusal("quantity-missing", "Say how many you bring.", field="quantity")
        if quantity > role["slots"]:
            raise Refusal("quantity-too-large", f"Only {role['slots']} are wanted in all.", field="quantity")
        return quantity
    if quantity not in (None, 1):
        raise Refusal("quantity-not-wanted", "A volunteer takes one slot: no quantity.", field="quantity")
    return 1


def check_join(cause: dict, now: datetime) -> None:
    if cause["status"] == CLOSED:
        raise Refusal("joining-closed", "The cause is closed.")
    if cause["status"] != PUBLISHED:
        raise Refusal("not-published", "The cause is not published yet.")
    if now >= cause["deadline"]:
        raise Refusal("joining-closed", "The deadline for joining has passed.")


def slots_left(role: dict, counts: dict) -> int:
    return max(role["slots"] - counts["filled"], 0)


def decide(role: dict, counts: dict, taking: int) -> str:
    """Joined if the request fits the slots left; waiting if none are left; a pledge larger
    than what is still wanted is refused (the member may pledge less)."""
    left = slots_left(role, counts)
    if taking <= left:
        return JOINED
    if left > 0:
        raise Refusal("quantity-too-large", f"Only {left} still wanted.", field="quantity")
    return WAITLISTED


def pick_promotions(waiting: Iterable[dict], left: int) -> list[dict]:
    """Of a role's waiting volunteers in FIFO order, those the ``left`` slots take."""
    return registrations.pick_promotions(waiting, left, size=lambda volunteer: volunteer["amount"])


def check_leave(cause: dict) -> None:
    if cause["status"] == CLOSED:
        raise Refusal("cause-closed", "The cause is closed: its volunteers stay as they were.")


def new_volunteer(volunteer_id: str, cause: dict, role_id: str, member_id: str, taking: int,
                  quantity: int | None, note: str | None, now: datetime) -> dict:
    """A volunteer document before it is joined or waitlisted."""
    return {"_id": volunteer_id, "cause_id": cause["_id"], "role_id": role_id, "member_id": member_id,
            "amount": taking, "quantity": quantity if cause["kind"] == COLLECTION else None, "note": note,
            "status": None, "position": None, "requested_at": now, "joined_at": None, "promoted_at": None,
            "left_at": None, "left_reason": None, "hours_total": 0.0, "anonymised_at": None}


def joined(volunteer: dict, now: datetime, *, promoted: bool = False) -> dict:
    return {**volunteer, "status": JOINED, "joined_at": now, "promoted_at": now if promoted else None}


def waitlisted(volunteer: dict, position: int) -> dict:
    return {**volunteer, "status": WAITLISTED, "position": position}


def left(volunteer: dict, reason: str, now: datetime) -> dict:
    assert reason in LEFT_REASONS, reason
    return {**volunteer, "status": LEFT, "left_at": now, "left_reason": reason}


# --------------------------------------------------------------------------- hours

def club_day(moment: datetime) -> date:
    return moment.astimezone(CLUB_ZONE).date()


def check_hours(cause: dict, volunteer: dict, hours: float, on: date, now: datetime) -> None:
    if cause["kind"] != VOLUNTEERING:
        raise Refusal("not-volunteering", "Hours are given to volunteering calls only.")
    if volunteer["status"] != JOINED:
        raise Refusal("not-joined", "Only a joined volunteer's hours are confirmed.")
    if volunteer.get("member_id") is None:
        raise Refusal("volunteer-erased", "This volunteer's data was erased.")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise Refusal("hours-out-of-range", f"From {MIN_HOURS} to {MAX_HOURS} hours a day.", field="hours")
    if on > club_day(now):
        raise Refusal("day-to-come", "Hours are confirmed once given: not for a day to come.", field="on")


# --------------------------------------------------------------------------- progress

def progress(cause: dict) -> dict:
    """``{kind, done, target, percent}``: how far the cause is, by its kind."""
    if cause["kind"] == CAMPAIGN:
        goal = cause.get("goal") or {"target": 0, "current": 0}
        done, target = goal["current"], goal["target"]
    else:
        counts = cause.get("counts") or {}
        done = sum(counts.get(role["role_id"], {}).get("filled", 0) for role in cause["roles"])
        target = sum(role["slots"] for role in cause["roles"])
    percent = 0 if target <= 0 else min(100, math.floor(done * 100 / target))
    return {"kind": cause["kind"], "done": done, "target": target, "percent": percent}

"""The rules of causes, without I/O: role slots (hypothesis: joins and leaves in any order
never exceed a role's slots, and the waitlist keeps the order of the requests and is served
first-come first-served), what a request takes, the deadline, the kinds' fields, who may
see, edit and run a cause, hours and progress per kind."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.events.causes import rules
from shared.auth import Principal

NOW = datetime(2027, 2, 1, 10, 0, tzinfo=timezone.utc)
OWNER, OTHER = "0" * 31 + "1", "0" * 31 + "2"


def cause(kind: str = rules.VOLUNTEERING, slots: int = 2, **extra) -> dict:
    roles = [] if kind == rules.CAMPAIGN else [{"role_id": "guide", "title": {"bg": "Водач", "en": "Guide"},
                                                "slots": slots}]
    document = {"_id": "c" * 32, "kind": kind, "status": rules.PUBLISHED, "deadline": NOW + timedelta(days=7),
                "owner_id": OWNER, "roles": roles, "goal": None, **extra}
    document.setdefault("counts", rules.new_counts(document["roles"]))
    return document


def principal(subject: str, *roles: str) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles or ("alumnus",)), claims={})


def refusal(kind: str, call, *args) -> rules.Refusal:
    with pytest.raises(rules.Refusal) as caught:
        call(*args)
    assert caught.value.kind == kind, caught.value
    return caught.value


# --------------------------------------------------------------------------- slots

class Role:
    """One role driven through the pure rules as the store drives them: its counters, its
    requests by member, and the order members asked in."""

    def __init__(self, kind: str, slots: int):
        self.cause = cause(kind, slots)
        self.role = self.cause["roles"][0]
        self.counts = self.cause["counts"]["guide"]
        self.requests: dict[int, dict] = {}
        self.asked = 0

    def active(self, who: int) -> dict | None:
        request = self.requests.get(who)
        return request if request and request["status"] in rules.ACTIVE else None

    def join(self, who: int, quantity: int) -> None:
        if self.active(who):
            return
        try:
            taking = rules.amount(self.cause, self.role, quantity if self.cause["kind"] == rules.COLLECTION else None)
            decision = rules.decide(self.role, self.counts, taking)
        except rules.Refusal:
            return
        self.asked += 1
        request = rules.new_volunteer(f"v{self.asked}", self.cause, "guide", str(who), taking, quantity, None, NOW)
        request["asked"] = self.asked
        if decision == rules.JOINED:
            self.counts["filled"] += taking
            request = rules.joined(request, NOW)
        else:
            self.counts["waiting"] += 1
            self.counts["seq"] += 1
            request = rules.waitlisted(request, self.counts["seq"])
        self.requests[who] = request

    def leave(self, who: int) -> None:
        request = self.active(who)
        if request is None:
            return
        self.requests[who] = rules.left(request, "member", NOW)
        if request["status"] == rules.WAITLISTED:
            self.counts["waiting"] -= 1
            return
        self.counts["filled"] -= request["amount"]
        chosen = rules.pick_promotions(self.waiting(), rules.slots_left(self.role, self.counts))
        for promoted in chosen:
            self.counts["filled"] += promoted["amount"]
            self.counts["waiting"] -= 1
            self.requests[int(promoted["member_id"])] = rules.joined(promoted, NOW, promoted=True)

    def waiting(self) -> list[dict]:
        return sorted((r for r in self.requests.values() if r["status"] == rules.WAITLISTED),
                      key=lambda r: r["position"])


OPERATIONS = st.lists(st.tuples(st.sampled_from(["join", "leave"]), st.integers(0, 7), st.integers(1, 4)),
                      max_size=40)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([rules.VOLUNTEERING, rules.COLLECTION]), slots=st.integers(1, 6), operations=OPERATIONS)
def test_joins_and_leaves_in_any_order_never_exceed_slots_and_the_waitlist_keeps_its_order(kind, slots, operations):
    role = Role(kind, slots)
    for operation, who, quantity in operations:
        role.join(who, quantity) if operation == "join" else role.leave(who)
        joined = [r for r in role.requests.values() if r["status"] == rules.JOINED]
        waiting = role.waiting()
        assert role.counts["filled"] == sum(r["amount"] for r in joined) <= slots
        assert role.counts["waiting"] == len(waiting)
        # The queue is in the order members asked, and nobody waits for slots that are free.
        assert [r["asked"] for r in waiting] == sorted(r["asked"] for r in waiting)
        assert all(r["amount"] > rules.slots_left(role.role, role.counts) for r in waiting)


def test_a_leave_promotes_the_first_waiting_and_a_pledge_that_does_not_fit_keeps_its_place():
    role = Role(rules.COLLECTION, 4)
    role.join(1, 4)
    role.join(2, 3)
    role.join(3, 1)
    assert [r["member_id"] for r in role.waiting()] == ["2", "3"]
    role.leave(1)
    assert role.requests[2]["status"] == role.requests[3]["status"] == rules.JOINED
    role.leave(2)
    role.join(4, 2)
    role.join(5, 1)
    assert role.requests[4]["status"] == rules.JOINED and role.requests[5]["status"] == rules.JOINED


def test_what_a_request_takes_by_kind():
    volunteering, collection = cause(), cause(rules.COLLECTION, 10)
    assert rules.amount(volunteering, volunteering["roles"][0], None) == 1
    assert refusal("quantity-not-wanted", rules.amount, volunteering, volunteering["roles"][0], 3).field == "quantity"
    assert rules.amount(collection, collection["roles"][0], 4) == 4
    assert refusal("quantity-missing", rules.amount, collection, collection["roles"][0], None).field == "quantity"
    refusal("quantity-too-large", rules.amount, collection, collection["roles"][0], 11)
    role, counts = collection["roles"][0], {"filled": 8, "waiting": 0, "seq": 0}
    assert rules.decide(role, counts, 2) == rules.JOINED
    assert "Only 2 still wanted" in str(refusal("quantity-too-large", rules.decide, role, counts, 3))
    assert rules.decide(role, {**counts, "filled": 10}, 3) == rules.WAITLISTED


def test_joining_ends_at_the_deadline_and_with_the_cause():
    rules.check_join(cause(), NOW)
    refusal("joining-closed", rules.check_join, cause(), NOW + timedelta(days=7))
    refusal("joining-closed", rules.check_join, cause(status=rules.CLOSED), NOW)
    refusal("not-published", rules.check_join, cause(status=rules.DRAFT), NOW)
    refusal("cause-closed", rules.check_leave, cause(status=rules.CLOSED))


# --------------------------------------------------------------------------- the cause

def test_each_kind_has_its_own_fields():
    assert rules.check(cause()) == {}
    assert rules.check(cause(roles=[])) == {"roles": ["Give at least one role."]}
    assert set(rules.check(cause(goal={"target": 5, "current": 0}))) == {"goal"}
    goal = {"target": 1000, "unit": {"bg": "лв.", "en": "BGN"}, "current": 0}
    assert rules.check(cause(rules.CAMPAIGN, goal=goal)) == {}
    assert set(rules.check(cause(rules.CAMPAIGN))) == {"goal"}
    two = [{"role_id": "a", "slots": 1}, {"role_id": "a", "slots": 2}]
    assert set(rules.check(cause(roles=two, counts={}))) == {"roles"}
    refusal("deadline-passed", rules.check_deadline, NOW, NOW)


def test_edits_publishing_and_closing_follow_the_status():
    rules.check_update(cause(status=rules.DRAFT), {"roles": []})
    rules.check_update(cause(), {"title": {"bg": "Б", "en": "B"}})
    refusal("roles-fixed", rules.check_update, cause(), {"roles": []})
    refusal("cause-closed", rules.check_update, cause(status=rules.CLOSED), {})
    refusal("cause-closed", rules.check_publish, cause(status=rules.CLOSED), NOW)
    refusal("deadline-passed", rules.check_publish, cause(status=rules.DRAFT), NOW + timedelta(days=8))
    refusal("not-published", rules.check_close, cause(status=rules.DRAFT))
    refusal("not-campaign", rules.check_progress, cause())


def test_who_sees_edits_and_runs_a_cause():
    owner, other, admin = principal(OWNER), principal(OTHER), principal(OTHER, "admin")
    draft, published = cause(status=rules.DRAFT), cause()
    assert rules.visible(draft, owner, False) and rules.visible(draft, admin, False)
    assert not rules.visible(draft, other, True)
    assert rules.visible(published, other, True) and not rules.visible(published, other, False)
    assert rules.may_edit(draft, owner) and not rules.may_edit(published, owner) and rules.may_edit(published, admin)
    assert rules.runs(published, owner) and rules.runs(published, admin) and not rules.runs(published, other)
    assert not rules.is_owner(cause(owner_id=None), None)


# --------------------------------------------------------------------------- hours

def test_hours_are_confirmed_for_joined_volunteers_of_a_volunteering_call_on_days_past():
    volunteer = {"status": rules.JOINED, "member_id": OTHER}
    today = date(2027, 2, 1)
    rules.check_hours(cause(), volunteer, 0.5, today, NOW)
    rules.check_hours(cause(), volunteer, 24, today - timedelta(days=3), NOW)
    assert refusal("hours-out-of-range", rules.check_hours, cause(), volunteer, 0.25, today, NOW).field == "hours"
    refusal("hours-out-of-range", rules.check_hours, cause(), volunteer, 24.5, today, NOW)
    assert refusal("day-to-come", rules.check_hours, cause(), volunteer, 2, today + timedelta(days=1), NOW).field \
        == "on"
    refusal("not-joined", rules.check_hours, cause(), {**volunteer, "status": rules.WAITLISTED}, 2, today, NOW)
    refusal("volunteer-erased", rules.check_hours, cause(), {**volunteer, "member_id": None}, 2, today, NOW)
    refusal("not-volunteering", rules.check_hours, cause(rules.COLLECTION), volunteer, 2, today, NOW)


def test_the_day_of_hours_is_the_clubs_day():
    late_evening_utc = datetime(2027, 2, 1, 22, 30, tzinfo=timezone.utc)  # already 2 February in Sofia
    assert rules.club_day(late_evening_utc) == date(2027, 2, 2)


# --------------------------------------------------------------------------- progress

def test_progress_per_kind():
    volunteering = cause(slots=10, counts={"guide": {"filled": 3, "waiting": 2, "seq": 2}})
    assert rules.progress(volunteering) == {"kind": "volunteering", "done": 3, "target": 10, "percent": 30}
    collection = cause(rules.COLLECTION, roles=[{"role_id": "a", "slots": 30}, {"role_id": "b", "slots": 20}],
                       counts={"a": {"filled": 30, "waiting": 0, "seq": 0}, "b": {"filled": 3, "waiting": 0, "seq": 0}})
    assert rules.progress(collection) == {"kind": "collection", "done": 33, "target": 50, "percent": 66}
    goal = {"target": 3000, "unit": {"bg": "лв.", "en": "BGN"}, "current": 3600}
    assert rules.progress(cause(rules.CAMPAIGN, goal=goal))["percent"] == 100  # beyond the goal: a full bar
    assert rules.progress(cause(rules.CAMPAIGN, goal={**goal, "current": 2999.9}))["percent"] == 99

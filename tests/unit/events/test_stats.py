"""The office's statistics of events, ``GET /api/v1/events/stats``, through the events HTTP API
(the real app on the session's local store, the app clock fixed): events are made and
published, members register (with guests, onto the waitlist, and cancel) and check in, each
through its route; members are known to the events read model as its consumer leaves them.

Checked: per event the seats taken with guests, the waitlist, check-ins, fill and attendance;
cancelled registrations, drafts and cancelled events count nowhere; the default period (90
days back, every upcoming event) and the explicit one, ``limit``; bad parameters
are 422 problems naming the field; and the aggregation's features on the test store. Who may
ask: ``tests/authz_matrix.py``.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.events import readmodel_store, stats_store
from tests.support import assert_problem, bearer
from tests.unit.events.test_calendar import make_event

EVENTS = "/api/v1/events"
STATS = f"{EVENTS}/stats"
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def member(db, issue_token):
    """``member()``: a verified member known to the events read model, with ``headers``."""
    def make() -> dict:
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(db, None, member_id, {"status": "verified", "graduation_year": 2010})
        return {"id": member_id, "headers": bearer(issue_token(member_id, "alumnus"))}
    return make


def new_event(client, admin, starts: datetime, **fields) -> dict:
    """An event starting at ``starts``, four hours long, published unless ``publish=False``."""
    return make_event(client, admin, starts_at=starts.isoformat(),
                      ends_at=(starts + timedelta(hours=4)).isoformat(), **fields)


def register(client, event: dict, who: dict, guests: int = 0) -> dict:
    response = client.post(f"{EVENTS}/{event['id']}/registrations", json={"guests": guests}, headers=who["headers"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stats(client, admin, **query) -> dict:
    response = client.get(STATS, query_string=query, headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_each_event_shows_seats_with_guests_the_waitlist_and_who_checked_in(client, admin, member):
    # Starts in three hours: registration is open and so is the door (six hours before).
    event = new_event(client, admin, NOW + timedelta(hours=3), capacity=3, guests_allowed=2)
    maria, ivan, petar, georgi, ana = (member() for _ in range(5))
    ticket = register(client, event, maria, guests=1)["ticket_code"]
    register(client, event, ivan)
    assert register(client, event, petar)["status"] == "waitlisted"
    assert register(client, event, georgi, guests=1)["status"] == "waitlisted"
    assert register(client, event, ana)["status"] == "waitlisted"
    response = client.delete(f"{EVENTS}/{event['id']}/registrations/mine", headers=ana["headers"])
    assert response.status_code == 200, response.get_json()
    response = client.post(f"{EVENTS}/{event['id']}/check-ins", json={"code": ticket}, headers=admin)
    assert response.status_code == 200, response.get_json()

    [found] = stats(client, admin)["events"]
    assert found["id"] == event["id"] and found["title"] == {"bg": "Среща на випуск 2010",
                                                              "en": "Class of 2010 reunion"}
    assert found["starts_at"] == (NOW + timedelta(hours=3)).isoformat() and found["past"] is False
    assert {k: found[k] for k in ("capacity", "seats_taken", "confirmed_registrations", "waitlist_length",
                                  "waitlisted_people", "checked_in", "checked_in_people", "fill", "attendance")} == {
        "capacity": 3, "seats_taken": 3, "confirmed_registrations": 2, "waitlist_length": 2,
        "waitlisted_people": 3, "checked_in": 1, "checked_in_people": 2, "fill": 1.0, "attendance": 0.667}


def test_an_unlimited_event_nobody_registered_for_has_no_fill_and_no_attendance(client, admin):
    event = new_event(client, admin, NOW + timedelta(days=5))
    [found] = stats(client, admin)["events"]
    assert found["id"] == event["id"] and found["capacity"] is None
    assert (found["seats_taken"], found["waitlist_length"], found["checked_in"]) == (0, 0, 0)
    assert (found["fill"], found["attendance"]) == (None, None)


def test_drafts_and_cancelled_events_are_left_out(client, admin, member):
    listed = new_event(client, admin, NOW + timedelta(days=5), capacity=10)
    new_event(client, admin, NOW + timedelta(days=6), publish=False)
    cancelled = new_event(client, admin, NOW + timedelta(days=7), capacity=10)
    register(client, cancelled, member())
    response = client.post(f"{EVENTS}/{cancelled['id']}/cancel", json={"reason": "The hall is closed."},
                           headers=admin)
    assert response.status_code == 200, response.get_json()
    assert [e["id"] for e in stats(client, admin)["events"]] == [listed["id"]]


def test_by_default_events_from_ninety_days_back_and_every_upcoming_one_earliest_first(client, admin, clock):
    early = new_event(client, admin, NOW + timedelta(days=1))
    recent = new_event(client, admin, NOW + timedelta(days=10))
    later = new_event(client, admin, NOW + timedelta(days=200))
    upcoming = new_event(client, admin, NOW + timedelta(days=100))
    clock.advance(days=95)  # early started 94 days ago, recent 85 days ago

    found = stats(client, admin)
    assert found["starts_from"] == (NOW + timedelta(days=5)).date().isoformat() and found["starts_to"] is None
    assert found["more"] is False
    assert [(e["id"], e["past"]) for e in found["events"]] == [(recent["id"], True), (upcoming["id"], False),
                                                                (later["id"], False)]
    chosen = stats(client, admin, starts_from=(NOW + timedelta(days=1)).date().isoformat(),
                   starts_to=(NOW + timedelta(days=100)).date().isoformat(), limit=2)
    assert [e["id"] for e in chosen["events"]] == [early["id"], recent["id"]]
    assert chosen["more"] is True  # upcoming starts in the period too
    everything = stats(client, admin, starts_from=(NOW + timedelta(days=1)).date().isoformat(),
                       starts_to=(NOW + timedelta(days=100)).date().isoformat(), limit=3)
    assert len(everything["events"]) == 3 and everything["more"] is False


@pytest.mark.parametrize(("query", "field"), [
    ({"starts_from": "2030-03-10", "starts_to": "2030-03-09"}, "starts_to"),
    ({"starts_from": "10.03.2030"}, "starts_from"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"limit": "many"}, "limit"),
    ({"days": "30"}, "days"),
])
def test_bad_parameters_are_problems_naming_the_field(client, admin, query, field):
    problem = assert_problem(client.get(STATS, query_string=query, headers=admin), 422)
    assert field in problem["errors"], problem


def test_the_route_is_in_the_openapi_document(client):
    assert "get" in client.get(f"{EVENTS}/openapi.json").get_json()["paths"][STATS]


def test_the_aggregation_groups_registrations_of_the_events_asked_on_the_test_store(db):
    """Pins what the store must support: $match with $in, $group on a document of paths, $cond
    over $ifNull on a missing, a null and a set field, $sum of a field."""
    at = datetime(2030, 3, 1, tzinfo=timezone.utc)
    db.registrations.insert_many([
        {"_id": "a:1", "event_id": "a", "status": "confirmed", "party": 3, "checked_in_at": at},
        {"_id": "a:2", "event_id": "a", "status": "confirmed", "party": 1, "checked_in_at": None},
        {"_id": "a:3", "event_id": "a", "status": "confirmed", "party": 2},
        {"_id": "a:4", "event_id": "a", "status": "waitlisted", "party": 2, "checked_in_at": None},
        {"_id": "a:5", "event_id": "a", "status": "cancelled", "party": 1, "checked_in_at": None},
        {"_id": "b:1", "event_id": "b", "status": "confirmed", "party": 1, "checked_in_at": at},
        {"_id": "c:1", "event_id": "c", "status": "confirmed", "party": 1, "checked_in_at": at},
    ])
    assert sorted(stats_store.registration_groups(db, ["a", "b"]), key=str) == sorted([
        {"event_id": "a", "status": "confirmed", "checked_in": True, "registrations": 1, "people": 3},
        {"event_id": "a", "status": "confirmed", "checked_in": False, "registrations": 2, "people": 3},
        {"event_id": "a", "status": "waitlisted", "checked_in": False, "registrations": 1, "people": 2},
        {"event_id": "b", "status": "confirmed", "checked_in": True, "registrations": 1, "people": 1},
    ], key=str)
    assert stats_store.registration_groups(db, []) == []

"""Registrations and waitlists through the events HTTP API (the real app on the session's
local store, a fixed clock, members known to the events read model, events in the outbox).

Checked: a member registers (confirmed, with a ticket code) and registering again changes
nothing; once full, registrations join a FIFO waitlist; guests take seats and are limited;
a cancellation promotes the first waitlisted parties that fit (a party too large keeps its
place); raising the capacity promotes too; registration opens and closes on time, with
problems saying when; the audience is enforced (admins always fit); cancelling an event ends
every registration; an erased member's registrations are anonymised and their seats go to
the waitlist; who may do what; the caller's list; concurrent registrations never overfill.
"""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from services.events import handlers, readmodel_store, registrations_store
from services.events import registrations as rules
from services.members.messages import CATALOG as MEMBERS_CATALOG
from services.members.messages import MEMBER_ERASED
from tests.support import assert_problem, bearer, consumer_like, outbox_events
from tests.unit.conftest import ADMIN_ID

EVENTS = "/api/v1/events"
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)
STARTS = NOW + timedelta(days=30)


@pytest.fixture
def member(db, issue_token):
    """``member(**fields)``: a member known to the events read model (verified, class of
    2010 unless told), with ``id`` and ``headers``."""
    def make(**fields) -> dict:
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(db, None, member_id, {"status": "verified", "graduation_year": 2010, **fields})
        return {"id": member_id, "headers": bearer(issue_token(member_id, "alumnus"))}
    return make


def iso(moment: datetime) -> str:
    return moment.isoformat()


def published(client, admin, **overrides) -> dict:
    body = {"title": {"bg": "Среща на випуск 2010", "en": "Class of 2010 reunion"}, "kind": "reunion",
            "starts_at": iso(STARTS), "ends_at": iso(STARTS + timedelta(hours=4)),
            "place": {"name": "Аула на МУ-Пловдив", "city": "Пловдив"}, "capacity": 100, **overrides}
    response = client.post(EVENTS, json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    response = client.post(f"{EVENTS}/{event['id']}/publish", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def register(client, event: dict, who: dict, guests: int | None = None, status: int = 201) -> dict:
    response = client.post(f"{EVENTS}/{event['id']}/registrations",
                           json={} if guests is None else {"guests": guests}, headers=who["headers"])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def cancel(client, event: dict, who: dict) -> dict:
    response = client.delete(f"{EVENTS}/{event['id']}/registrations/mine", headers=who["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def mine(client, event: dict, who: dict) -> dict:
    response = client.get(f"{EVENTS}/{event['id']}/registrations/mine", headers=who["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def event_doc(db, event: dict) -> dict:
    return db.events.find_one({"_id": event["id"]})


def member_ids(db, event_type: str) -> list[str]:
    return [e["data"]["member_id"] for e in outbox_events(db, event_type)]


# --------------------------------------------------------------------------- registering

def test_a_member_registers_confirmed_with_a_ticket_and_registering_again_changes_nothing(client, db, admin, member):
    event = published(client, admin, capacity=10, guests_allowed=1)
    maria = member()
    registration = register(client, event, maria, guests=1)
    assert registration["status"] == "confirmed" and registration["position"] is None
    assert registration["id"] == f"{event['id']}:{maria['id']}"
    assert (registration["member_id"], registration["guests"], registration["party"]) == (maria["id"], 1, 2)
    assert len(registration["ticket_code"]) >= 20
    assert registration["registered_at"] == registration["confirmed_at"] == "2030-03-01T10:00:00+00:00"
    again = register(client, event, maria, guests=0, status=200)
    assert again == registration
    assert client.get(f"{EVENTS}/{event['id']}", headers=maria["headers"]).get_json()["seats_left"] == 8
    [message] = outbox_events(db, "events.registration.confirmed")
    assert message["subject"] == registration["id"]
    data = message["data"]
    assert (data["event_id"], data["member_id"], data["guests"], data["status"]) == (event["id"], maria["id"], 1,
                                                                                      "confirmed")
    assert data["title"]["en"] == "Class of 2010 reunion" and data["timezone"] == "Europe/Sofia"
    assert registration["ticket_code"] not in json.dumps(message)  # the ticket is a bearer secret


def test_once_full_registrations_join_a_fifo_waitlist(client, db, admin, member):
    event = published(client, admin, capacity=2)
    people = [member() for _ in range(5)]
    answers = [register(client, event, person) for person in people]
    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [a["position"] for a in answers[2:]] == [1, 2, 3]
    assert all(a["ticket_code"] is None for a in answers[2:])
    assert [e["data"]["position"] for e in outbox_events(db, "events.registration.waitlisted")] == [1, 2, 3]
    doc = event_doc(db, event)
    assert (doc["seats_taken"], doc["waitlist_length"], doc["waitlist_seq"]) == (2, 3, 3)
    shown = client.get(f"{EVENTS}/{event['id']}", headers=admin).get_json()
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, 3)

    # A waitlisted member leaving moves those behind up; a confirmed one leaving promotes the first.
    left = cancel(client, event, people[3])
    assert (left["status"], left["cancel_reason"], left["position"]) == ("cancelled", "member", None)
    assert mine(client, event, people[4])["position"] == 2
    cancel(client, event, people[0])
    promoted = mine(client, event, people[2])
    assert promoted["status"] == "confirmed" and promoted["ticket_code"] and promoted["promoted_at"]
    assert mine(client, event, people[4])["position"] == 1
    assert member_ids(db, "events.registration.promoted") == [people[2]["id"]]
    assert member_ids(db, "events.registration.cancelled") == [people[3]["id"], people[0]["id"]]
    doc = event_doc(db, event)
    assert (doc["seats_taken"], doc["waitlist_length"]) == (2, 1)


def test_guests_take_seats_and_are_limited(client, db, admin, member):
    event = published(client, admin, capacity=3, guests_allowed=2)
    family, single = member(), member()
    assert register(client, event, family, guests=2)["status"] == "confirmed"
    assert register(client, event, single)["status"] == "waitlisted"
    problem = assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={"guests": 3},
                                         headers=member()["headers"]), 422)
    assert "at most 2 guests" in problem["errors"]["guests"][0]
    no_guests = published(client, admin, capacity=3)
    problem = assert_problem(client.post(f"{EVENTS}/{no_guests['id']}/registrations", json={"guests": 1},
                                         headers=single["headers"]), 422)
    assert problem["errors"]["guests"] == ["This event allows no guests."]
    small = published(client, admin, capacity=2, guests_allowed=5)
    problem = assert_problem(client.post(f"{EVENTS}/{small['id']}/registrations", json={"guests": 2},
                                         headers=single["headers"]), 422)
    assert "larger than the event's capacity of 2" in problem["errors"]["guests"][0]
    assert_problem(client.post(f"{EVENTS}/{small['id']}/registrations", json={"guests": -1},
                               headers=single["headers"]), 422)
    assert event_doc(db, small)["seats_taken"] == 0


def test_a_cancellation_promotes_the_first_waitlisted_parties_that_fit(client, db, admin, member):
    event = published(client, admin, capacity=4, guests_allowed=3)
    a, b, c, d, e = (member() for _ in range(5))
    register(client, event, a, guests=1)
    register(client, event, b, guests=1)                        # full: 4 of 4
    assert register(client, event, c, guests=2)["position"] == 1  # a party of 3
    assert register(client, event, d, guests=1)["position"] == 2  # a party of 2
    assert register(client, event, e)["position"] == 3           # alone
    cancel(client, event, a)  # 2 seats: too few for c, enough for d
    assert mine(client, event, c)["status"] == "waitlisted" and mine(client, event, c)["position"] == 1
    assert mine(client, event, d)["status"] == "confirmed"
    assert mine(client, event, e)["position"] == 2
    cancel(client, event, b)  # 2 seats again: still too few for c, e fits
    assert mine(client, event, c)["position"] == 1
    assert mine(client, event, e)["status"] == "confirmed"
    assert member_ids(db, "events.registration.promoted") == [d["id"], e["id"]]
    doc = event_doc(db, event)
    assert (doc["seats_taken"], doc["waitlist_length"]) == (3, 1)
    cancel(client, event, e)  # 2 seats: c still waits
    cancel(client, event, d)  # 4 seats: c at last
    assert mine(client, event, c)["status"] == "confirmed"
    assert event_doc(db, event)["seats_taken"] == 3


def test_raising_the_capacity_promotes_from_the_waitlist(client, db, admin, member):
    event = published(client, admin, capacity=1)
    first, second, third = member(), member(), member()
    for person in (first, second, third):
        register(client, event, person)
    response = client.patch(f"{EVENTS}/{event['id']}", json={"capacity": 2}, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["seats_left"], response.get_json()["waitlist_length"]) == (0, 1)
    assert mine(client, event, second)["status"] == "confirmed"
    assert mine(client, event, third)["position"] == 1
    assert member_ids(db, "events.registration.promoted") == [second["id"]]


def test_a_cancelled_registration_registers_anew_at_the_end_of_the_queue(client, db, admin, member):
    event = published(client, admin, capacity=1)
    first, second, third = member(), member(), member()
    for person in (first, second, third):
        register(client, event, person)
    cancel(client, event, second)
    again = register(client, event, second)
    assert again["id"] == f"{event['id']}:{second['id']}"
    assert (again["status"], again["position"], again["cancelled_at"]) == ("waitlisted", 2, None)
    assert db.registrations.count_documents({"event_id": event["id"]}) == 3
    assert [e["data"]["position"] for e in outbox_events(db, "events.registration.waitlisted")] == [1, 2, 2]


# --------------------------------------------------------------------------- time and state rules

def test_registration_opens_and_closes_on_time_with_problems_saying_when(client, db, admin, member, clock):
    event = published(client, admin, registration_opens_at=iso(NOW + timedelta(days=1)),
                      registration_closes_at=iso(NOW + timedelta(days=10)))
    early = member()
    problem = assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={},
                                         headers=early["headers"]), 409)
    assert problem["type"].endswith("/registration-not-open")
    assert problem["opens_at"] == "2030-03-02T10:00:00+00:00"
    assert "2030-03-02 12:00 (Europe/Sofia)" in problem["detail"]
    clock.advance(days=1)
    assert register(client, event, early)["status"] == "confirmed"
    clock.advance(days=9)
    problem = assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={},
                                         headers=member()["headers"]), 409)
    assert problem["type"].endswith("/registration-closed")
    assert problem["closes_at"] == "2030-03-11T10:00:00+00:00" and "Registration closed at" in problem["detail"]
    # Without a closing time, registration closes when the event starts.
    clock.at = NOW
    open_until_start = published(client, admin)
    clock.at = STARTS
    problem = assert_problem(client.post(f"{EVENTS}/{open_until_start['id']}/registrations", json={},
                                         headers=member()["headers"]), 409)
    assert problem["closes_at"] == iso(STARTS)
    assert outbox_events(db, "events.registration.confirmed")[0]["data"]["member_id"] == early["id"]
    assert len(outbox_events(db, "events.registration.confirmed")) == 1


def test_drafts_are_not_found_and_cancelled_events_refuse(client, admin, member):
    someone = member()
    draft = client.post(EVENTS, headers=admin, json={
        "title": {"bg": "Лекция", "en": "Lecture"}, "kind": "lecture", "starts_at": iso(STARTS),
        "ends_at": iso(STARTS + timedelta(hours=1)), "place": {"name": "Зала 1"}}).get_json()
    assert assert_problem(client.post(f"{EVENTS}/{draft['id']}/registrations", json={},
                                      headers=someone["headers"]), 404)["detail"] == "No such event."
    problem = assert_problem(client.post(f"{EVENTS}/{draft['id']}/registrations", json={}, headers=admin), 409)
    assert problem["type"].endswith("/not-published")
    assert_problem(client.post(f"{EVENTS}/{'0' * 32}/registrations", json={}, headers=someone["headers"]), 404)
    event = published(client, admin)
    assert client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "Наводнение."}, headers=admin).status_code \
        == 200
    problem = assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={},
                                         headers=someone["headers"]), 409)
    assert problem["type"].endswith("/event-cancelled")


def test_cancelling_an_event_ends_every_registration(client, db, admin, member):
    event = published(client, admin, capacity=1)
    first, second = member(), member()
    register(client, event, first)
    register(client, event, second)
    assert client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "Наводнение."}, headers=admin).status_code \
        == 200
    for person in (first, second):
        ended = mine(client, event, person)
        assert (ended["status"], ended["cancel_reason"], ended["ticket_code"]) == ("cancelled", "event_cancelled",
                                                                                   None)
    messages = outbox_events(db, "events.registration.cancelled")
    assert sorted(m["data"]["member_id"] for m in messages) == sorted([first["id"], second["id"]])
    assert {m["data"]["reason"] for m in messages} == {"event_cancelled"}
    [cancelled] = outbox_events(db, "events.event.cancelled")
    assert sorted(cancelled["data"]["member_ids"]) == sorted([first["id"], second["id"]])
    doc = event_doc(db, event)
    assert (doc["seats_taken"], doc["waitlist_length"]) == (0, 0)


def test_a_registration_cannot_be_cancelled_after_the_event(client, admin, member, clock):
    event = published(client, admin)
    someone = member()
    register(client, event, someone)
    clock.at = STARTS + timedelta(hours=5)
    problem = assert_problem(client.delete(f"{EVENTS}/{event['id']}/registrations/mine",
                                           headers=someone["headers"]), 409)
    assert problem["type"].endswith("/event-over")


# --------------------------------------------------------------------------- audience

def test_only_members_in_the_audience_register_and_admins_always_fit(client, db, admin, member):
    event = published(client, admin, audience={"kind": "graduation_years", "year_from": 2000, "year_to": 2005})
    outsider, insider, pending = member(graduation_year=2010), member(graduation_year=2003), \
        member(status="pending_verification", graduation_year=2003)
    # An event for an audience does not exist for those outside it, the unverified included.
    for someone in (outsider, pending):
        assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={}, headers=someone["headers"]),
                       404)
    problem = assert_problem(client.post(f"{EVENTS}/{published(client, admin)['id']}/registrations", json={},
                                         headers=pending["headers"]), 403)
    assert "verified" in problem["detail"]
    assert problem["type"].endswith("/not-verified")  # the portal tells this apart from another audience's event
    assert register(client, event, insider)["status"] == "confirmed"
    assert register(client, event, {"headers": admin})["member_id"] == ADMIN_ID
    assert set(member_ids(db, "events.registration.confirmed")) == {insider["id"], ADMIN_ID}


# --------------------------------------------------------------------------- erasure

def test_an_erased_members_registrations_are_anonymised_and_their_seat_goes_to_the_waitlist(
        app, client, db, admin, member):
    event = published(client, admin, capacity=1)
    other = published(client, admin, capacity=5)
    erased, waiting = member(), member()
    ticket = register(client, event, erased)["ticket_code"]
    register(client, event, waiting)
    register(client, other, erased)
    cancel(client, other, erased)
    deliver = consumer_like(app.extensions["alumnet"].store, handlers.subscriptions())
    erasure = MEMBERS_CATALOG.create(MEMBER_ERASED, erased["id"], {
        "member_id": erased["id"], "erased_at": "2030-03-01T11:00:00+00:00"}, "test")
    deliver(erasure)
    deliver(erasure)  # a redelivery changes nothing more
    assert db.registrations.count_documents({"member_id": erased["id"]}) == 0
    assert db.registrations.count_documents({"_id": {"$regex": erased["id"]}}) == 0
    assert db.registrations.count_documents({"ticket_code": ticket}) == 0
    [anonymous] = db.registrations.find({"event_id": event["id"], "member_id": None})
    assert anonymous["_id"].startswith(f"{event['id']}:erased:")
    assert (anonymous["status"], anonymous["cancel_reason"], anonymous["ticket_code"]) == ("cancelled", "erased", None)
    assert anonymous["anonymised_at"].isoformat() == "2030-03-01T11:00:00+00:00"
    [earlier] = db.registrations.find({"event_id": other["id"], "member_id": None})
    assert (earlier["status"], earlier["cancel_reason"]) == ("cancelled", "member")  # already over: kept as was
    assert mine(client, event, waiting)["status"] == "confirmed"
    assert member_ids(db, "events.registration.promoted") == [waiting["id"]]
    assert member_ids(db, "events.registration.cancelled") == [erased["id"]]  # their own cancellation, earlier
    doc = event_doc(db, event)
    assert (doc["seats_taken"], doc["waitlist_length"]) == (1, 0)
    # Gone from the read model: the erased member cannot register again.
    assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={}, headers=erased["headers"]), 403)
    assert client.get(f"{EVENTS}/registrations/mine", headers=erased["headers"]).get_json()["total"] == 0


def test_a_registration_committed_inside_an_erasures_transaction_keeps_no_member_id(app, client, db, admin, member):
    """Two processes at once: the erasure's transaction has taken its snapshot, the member
    registers (committed), then the erasure writes. It did not see the new registration; the
    registration wrote the member's view (``readmodel_store.hold_member``), which the erasure
    deletes, so the erasure conflicts, is retried, and the retry anonymises the registration."""
    event = published(client, admin, capacity=5)
    erased = member()
    store, attempts = app.extensions["alumnet"].store, []

    def erasure(session):
        attempts.append(1)
        db.erased_members.find_one({"_id": erased["id"]}, session=session)  # the snapshot starts here
        if len(attempts) == 1:
            register(client, event, erased)
        at = NOW + timedelta(hours=1)
        readmodel_store.forget_member(db, session, erased["id"], at)
        registrations_store.anonymise_member(db, session, erased["id"], at)
    store.transaction(erasure)
    assert len(attempts) == 2  # the first attempt conflicted on the member's view
    assert db.registrations.count_documents({"member_id": erased["id"]}) == 0
    [anonymous] = db.registrations.find({"event_id": event["id"]})
    assert (anonymous["member_id"], anonymous["status"], anonymous["cancel_reason"]) == (None, "cancelled", "erased")
    assert event_doc(db, event)["seats_taken"] == 0


def test_an_erased_members_past_attendance_stays_counted_anonymously(app, client, db, admin, member):
    event = published(client, admin, capacity=5)
    erased = member()
    register(client, event, erased)
    deliver = consumer_like(app.extensions["alumnet"].store, handlers.subscriptions())
    deliver(MEMBERS_CATALOG.create(MEMBER_ERASED, erased["id"], {
        "member_id": erased["id"], "erased_at": iso(STARTS + timedelta(days=1))}, "test"))
    [anonymous] = db.registrations.find({"event_id": event["id"]})
    assert (anonymous["member_id"], anonymous["status"], anonymous["ticket_code"]) == (None, "confirmed", None)
    assert event_doc(db, event)["seats_taken"] == 1
    assert outbox_events(db, "events.registration.cancelled") == []


# --------------------------------------------------------------------------- who may do what

def test_who_may_register_cancel_and_list(client, db, admin, member):
    event = published(client, admin, capacity=1)
    first, second = member(), member()
    assert_problem(client.post(f"{EVENTS}/{event['id']}/registrations", json={}), 401)
    register(client, event, first)
    register(client, event, second)
    assert_problem(client.delete(f"{EVENTS}/{event['id']}/registrations/{first['id']}",
                                 headers=second["headers"]), 403)
    assert_problem(client.get(f"{EVENTS}/{event['id']}/registrations", headers=second["headers"]), 403)
    assert_problem(client.get(f"{EVENTS}/{event['id']}/registrations/{first['id']}",
                              headers=second["headers"]), 403)
    assert mine(client, event, first)["status"] == "confirmed"  # untouched
    assert_problem(client.delete(f"{EVENTS}/{event['id']}/registrations/mine", headers=member()["headers"]), 404)
    assert_problem(client.get(f"{EVENTS}/registrations/mine"), 401)

    listing = client.get(f"{EVENTS}/{event['id']}/registrations", headers=admin).get_json()
    assert [(r["member_id"], r["status"], r["position"]) for r in listing["items"]] == [
        (first["id"], "confirmed", None), (second["id"], "waitlisted", 1)]
    assert listing["items"][0]["ticket_code"]  # admins see tickets (check-in)
    response = client.delete(f"{EVENTS}/{event['id']}/registrations/{first['id']}", headers=admin)
    assert response.status_code == 200 and response.get_json()["cancel_reason"] == "admin"
    assert client.delete(f"{EVENTS}/{event['id']}/registrations/{first['id']}", headers=admin).status_code == 200
    assert [m["data"]["reason"] for m in outbox_events(db, "events.registration.cancelled")] == ["admin"]
    assert_problem(client.delete(f"{EVENTS}/{event['id']}/registrations/{'f' * 32}", headers=admin), 404)
    waitlisted = client.get(f"{EVENTS}/{event['id']}/registrations?status=waitlisted", headers=admin).get_json()
    assert waitlisted["total"] == 0
    page = client.get(f"{EVENTS}/{event['id']}/registrations?per_page=1&page=2", headers=admin).get_json()
    assert page["total"] == 2 and [r["status"] for r in page["items"]] == ["cancelled"]
    assert client.get(f"{EVENTS}/{event['id']}/registrations/{second['id']}", headers=admin).get_json()["status"] \
        == "confirmed"


def test_a_member_sees_their_registrations_newest_event_first(client, admin, member, clock):
    sooner = published(client, admin, title={"bg": "Първа", "en": "First"})
    later = published(client, admin, title={"bg": "Втора", "en": "Second"},
                      starts_at=iso(STARTS + timedelta(days=7)), ends_at=iso(STARTS + timedelta(days=7, hours=2)))
    full = published(client, admin, capacity=1, starts_at=iso(STARTS + timedelta(days=1)),
                     ends_at=iso(STARTS + timedelta(days=1, hours=2)))
    someone = member()
    register(client, full, member())
    for event in (sooner, later, full):
        register(client, event, someone)
    listing = client.get(f"{EVENTS}/registrations/mine", headers=someone["headers"]).get_json()
    assert listing["total"] == 3
    assert [r["event"]["id"] for r in listing["items"]] == [later["id"], full["id"], sooner["id"]]
    assert listing["items"][0]["event"]["title"]["en"] == "Second" and listing["items"][0]["ticket_code"]
    assert (listing["items"][1]["status"], listing["items"][1]["position"]) == ("waitlisted", 1)
    page = client.get(f"{EVENTS}/registrations/mine?per_page=1&page=3", headers=someone["headers"]).get_json()
    assert [r["event"]["id"] for r in page["items"]] == [sooner["id"]]
    waiting = client.get(f"{EVENTS}/registrations/mine?status=waitlisted", headers=someone["headers"]).get_json()
    assert [r["event"]["id"] for r in waiting["items"]] == [full["id"]]


# --------------------------------------------------------------------------- concurrency

def test_concurrent_registrations_never_overfill(app, db, admin, member):
    """Twelve members at once for three seats, one of them sending four times, each request
    on its own thread (the store's write conflicts are retried): exactly three confirmed, the
    rest waitlisted 1..9, one registration for the impatient member."""
    client = app.test_client()
    event = published(client, admin, capacity=3)
    people = [member() for _ in range(12)]

    def attempt(person):
        response = app.test_client().post(f"{EVENTS}/{event['id']}/registrations", json={},
                                          headers=person["headers"])
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(attempt, people + [people[0]] * 3))
    repeats, answers = answers[12:], answers[:12]
    assert sorted(status for status, _ in [answers[0], *repeats]) == [200, 200, 200, 201]
    assert all(body == answers[0][1] for _, body in repeats)  # the member's one registration
    assert {status for status, _ in answers[1:]} == {201}, answers
    statuses = [body["status"] for _, body in answers]
    assert statuses.count("confirmed") == 3 and statuses.count("waitlisted") == 9
    assert sorted(body["position"] for _, body in answers if body["status"] == "waitlisted") == list(range(1, 10))
    doc = event_doc(db, event)
    assert (doc["seats_taken"], doc["waitlist_length"], doc["waitlist_seq"]) == (3, 9, 9)
    assert len(outbox_events(db, "events.registration.confirmed")) == 3
    assert len(outbox_events(db, "events.registration.waitlisted")) == 9


def test_the_registration_routes_are_documented(client):
    spec = client.get(f"{EVENTS}/openapi.json").get_json()
    for path, methods in {"/api/v1/events/{event_id}/registrations": {"post", "get"},
                          "/api/v1/events/{event_id}/registrations/mine": {"get", "delete"},
                          "/api/v1/events/{event_id}/registrations/{member_id}": {"get", "delete"},
                          "/api/v1/events/registrations/mine": {"get"}}.items():
        assert methods <= set(spec["paths"][path]), path
        for method in methods:
            assert spec["paths"][path][method].get("description") or spec["paths"][path][method].get("summary")


def test_promotion_takes_parties_in_queue_order_skipping_those_that_do_not_fit():
    queue = [{"_id": name, "party": party} for name, party in (("c", 3), ("d", 2), ("e", 1), ("f", 1))]
    assert [r["_id"] for r in rules.pick_promotions(queue, 2)] == ["d"]
    assert [r["_id"] for r in rules.pick_promotions(queue, 3)] == ["c"]
    assert [r["_id"] for r in rules.pick_promotions(queue, 4)] == ["c", "e"]
    assert [r["_id"] for r in rules.pick_promotions(queue, None)] == ["c", "d", "e", "f"]
    assert rules.pick_promotions(queue, 0) == []

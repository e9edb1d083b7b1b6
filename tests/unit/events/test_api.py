"""Events through the events HTTP API (the real app on the session's local store, events in
the outbox): creating drafts, time zones, validation, publishing, rescheduling, cancelling,
visibility and listing with audience fit from the read model.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.events import readmodel_store
from services.events.schemas import NoSuchTime, localise
from tests.support import assert_problem, bearer, outbox_events

EVENTS = "/api/v1/events"
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


def reunion(**overrides) -> dict:
    return {"title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"}, "kind": "reunion",
            "starts_at": "2026-12-12T18:00", "ends_at": "2026-12-12T22:00",
            "place": {"name": "Аула на МУ-Пловдив", "city": "Пловдив"}, "capacity": 100, **overrides}


def create(client, admin, **overrides) -> dict:
    response = client.post(EVENTS, json=reunion(**overrides), headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def published(client, admin, **overrides) -> dict:
    event = create(client, admin, **overrides)
    response = client.post(f"{EVENTS}/{event['id']}/publish", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_draft_reads_local_times_in_its_time_zone_and_announces_nothing(client, db, admin):
    event = create(client, admin)
    assert event["status"] == "draft" and event["timezone"] == "Europe/Sofia"
    assert event["starts_at"] == "2026-12-12T16:00:00+00:00"  # 18:00 in Sofia in winter
    assert event["local_starts_at"] == "2026-12-12T18:00:00+02:00"
    assert event["reminders"] == [1440, 60] and event["seats_left"] == 100 and event["waitlist_length"] == 0
    assert outbox_events(db, "events.event.published") == []
    london = create(client, admin, timezone="Europe/London", starts_at="2026-07-01T18:00",
                    ends_at="2026-07-01T20:00+01:00")
    assert london["starts_at"] == "2026-07-01T17:00:00+00:00" and london["ends_at"] == "2026-07-01T19:00:00+00:00"


def test_a_local_time_the_clocks_skip_is_refused_and_one_they_repeat_is_its_first_pass(client, db, admin):
    # 2027-03-28: Sofia's clock goes from 03:00 to 04:00. Read as it was, 03:30 became 04:30.
    problem = assert_problem(client.post(EVENTS, headers=admin, json=reunion(
        starts_at="2027-03-28T03:30", ends_at="2027-03-28T06:00")), 422)
    assert problem["errors"] == {"starts_at": ["No such time in this time zone: the clocks go forward past it "
                                               "that night."]}
    assert db.events.count_documents({}) == 0
    event = create(client, admin, starts_at="2027-03-28T02:30", ends_at="2027-03-28T06:00")
    problem = assert_problem(client.patch(f"{EVENTS}/{event['id']}", headers=admin,
                                          json={"ends_at": "2027-03-28T03:59"}), 422)
    assert set(problem["errors"]) == {"ends_at"}
    assert db.events.find_one({"_id": event["id"]})["ends_at"] == datetime(2027, 3, 28, 3, 0, tzinfo=timezone.utc)
    # 2027-10-31: 03:30 shows twice; without an offset it is the first (EEST), with one either.
    night = create(client, admin, starts_at="2027-10-31T03:30", ends_at="2027-10-31T03:30+02:00")
    assert (night["starts_at"], night["ends_at"]) == ("2027-10-31T00:30:00+00:00", "2027-10-31T01:30:00+00:00")
    # Past year 9999 once in UTC: refused, not a 500 (by the input rules' years, before localise).
    problem = assert_problem(client.post(EVENTS, headers=admin, json=reunion(
        timezone="America/New_York", starts_at="9999-12-31T22:00", ends_at="9999-12-31T23:00")), 422)
    assert set(problem["errors"]) == {"starts_at", "ends_at"}
    with pytest.raises(NoSuchTime, match="Not a valid datetime"):
        localise(datetime(9999, 12, 31, 23, 0), "America/New_York")


def test_dates_and_times_out_of_the_years_a_route_takes_are_a_422_naming_them(client, db, admin):
    # Year 1 at midnight in Sofia is year 0 in UTC: each of these was a 500 (OverflowError).
    for query in ("starts_from=0001-01-01", "starts_from=2200-01-01"):
        problem = assert_problem(client.get(f"{EVENTS}?{query}"), 422)
        assert set(problem["errors"]) == {"starts_from"}
    problem = assert_problem(client.post(EVENTS, headers=admin, json=reunion(
        starts_at="0001-01-01T00:00:00+01:00", ends_at="1899-12-31T23:59:59+00:00")), 422)
    assert problem["errors"] == {"starts_at": ["Must be in the years 1900 to 2199."],
                                 "ends_at": ["Must be in the years 1900 to 2199."]}
    assert db.events.count_documents({}) == 0
    assert client.get(f"{EVENTS}?starts_from=1900-01-01").status_code == 200
    # A lone surrogate on an idempotent route: its fingerprint was a 500 before the body was read.
    problem = assert_problem(client.post(EVENTS, headers={**admin, "Idempotency-Key": "k-1"},
                                         data=json.dumps(reunion(title={"bg": "\ud800", "en": "x"})),
                                         content_type="application/json"), 400)
    assert problem["type"].endswith("/invalid-json") and db.events.count_documents({}) == 0


def test_bad_events_are_problems_naming_the_fields(client, db, admin):
    problem = assert_problem(client.post(EVENTS, headers=admin, json=reunion(
        kind="party", timezone="Mars/Olympus", capacity=0, starts_at="soon", title={"bg": "x"},
        audience={"kind": "faculty"}, online_url="ftp://x", guests_allowed=99)), 422)
    assert {"kind", "timezone", "capacity", "starts_at", "title", "audience", "online_url",
            "guests_allowed"} <= set(problem["errors"])
    problem = assert_problem(client.post(EVENTS, headers=admin, json=reunion(
        ends_at="2026-12-12T17:00", registration_closes_at="2026-12-13T10:00")), 422)
    assert {"ends_at", "registration_closes_at"} <= set(problem["errors"])
    problem = assert_problem(client.post(EVENTS, headers=admin, json=reunion(kind="webinar", place=None)), 422)
    assert "online_url" in problem["errors"]
    assert db.events.count_documents({}) == 0


def test_only_admins_manage_events(client, admin, issue_token):
    member = bearer(issue_token("m-1", "alumnus"))
    assert_problem(client.post(EVENTS, json=reunion()), 401)
    assert_problem(client.post(EVENTS, json=reunion(), headers=member), 403)
    event = create(client, admin)
    assert_problem(client.post(f"{EVENTS}/{event['id']}/publish", headers=member), 403)
    assert_problem(client.patch(f"{EVENTS}/{event['id']}", json={"capacity": 5}, headers=member), 403)
    assert_problem(client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "x"}, headers=member), 403)


def test_publishing_announces_once_with_both_languages_and_the_audience(client, db, admin):
    event = published(client, admin, audience={"kind": "graduation_years", "year_from": 2006, "year_to": 2006})
    again = client.post(f"{EVENTS}/{event['id']}/publish", headers=admin)
    assert again.status_code == 200
    [announced] = outbox_events(db, "events.event.published")
    data = announced["data"]
    assert data["title"] == {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"}
    assert data["audience"]["year_from"] == 2006 and data["starts_at"] == "2026-12-12T16:00:00+00:00"


def test_moving_a_published_event_reschedules_and_a_draft_does_not(client, db, admin):
    draft = create(client, admin)
    client.patch(f"{EVENTS}/{draft['id']}", json={"starts_at": "2026-12-13T18:00", "ends_at": "2026-12-13T22:00"},
                 headers=admin)
    event = published(client, admin)
    client.patch(f"{EVENTS}/{event['id']}", json={"capacity": 150}, headers=admin)
    assert outbox_events(db, "events.event.rescheduled") == []
    moved = client.patch(f"{EVENTS}/{event['id']}", headers=admin, json={
        "starts_at": "2026-12-19T18:00", "ends_at": "2026-12-19T22:00"})
    assert moved.status_code == 200, moved.get_json()
    [rescheduled] = outbox_events(db, "events.event.rescheduled")
    assert rescheduled["data"]["previous"]["starts_at"] == "2026-12-12T16:00:00+00:00"
    assert rescheduled["data"]["starts_at"] == "2026-12-19T16:00:00+00:00"
    problem = assert_problem(client.patch(f"{EVENTS}/{event['id']}", json={"ends_at": "2026-12-01T10:00"},
                                          headers=admin), 409)
    assert "ends_at" in problem["errors"]


def test_cancelling_announces_once_and_freezes_the_event(client, db, admin):
    event = published(client, admin)
    assert_problem(client.post(f"{EVENTS}/{event['id']}/cancel", json={}, headers=admin), 422)
    for _ in range(2):
        response = client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "Наводнение"}, headers=admin)
        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    [cancelled] = outbox_events(db, "events.event.cancelled")
    assert cancelled["data"]["reason"] == "Наводнение"
    assert_problem(client.patch(f"{EVENTS}/{event['id']}", json={"capacity": 5}, headers=admin), 409)
    assert_problem(client.post(f"{EVENTS}/{event['id']}/publish", headers=admin), 409)


def test_visibility_drafts_for_admins_and_audiences_for_their_verified_members(client, db, admin, issue_token):
    draft = create(client, admin)
    open_to_all = published(client, admin, title={"bg": "Лекция", "en": "Lecture"}, kind="lecture")
    class_of_2006 = published(client, admin, audience={"kind": "graduation_years", "year_from": 2006, "year_to": 2006})
    readmodel_store.merge_member(db, None, "m-2006", {"status": "verified", "graduation_year": 2006})
    readmodel_store.merge_member(db, None, "m-2015", {"status": "verified", "graduation_year": 2015})
    readmodel_store.merge_member(db, None, "m-pending", {"status": "pending_verification", "graduation_year": 2006})

    assert_problem(client.get(f"{EVENTS}/{draft['id']}", headers=bearer(issue_token("m-2006"))), 404)
    assert client.get(f"{EVENTS}/{draft['id']}", headers=admin).status_code == 200
    assert_problem(client.get(f"{EVENTS}/{class_of_2006['id']}"), 404)  # anonymous: only events for all
    assert client.get(f"{EVENTS}/{open_to_all['id']}").get_json()["fits_me"] is None
    # An event for an audience does not exist for anyone else: another class, a member not
    # verified yet, someone the read model does not know.
    for outsider in ("m-2015", "m-pending", "stranger"):
        assert_problem(client.get(f"{EVENTS}/{class_of_2006['id']}", headers=bearer(issue_token(outsider))), 404)
    assert client.get(f"{EVENTS}/{class_of_2006['id']}", headers=bearer(issue_token("m-2006"))).get_json()[
        "fits_me"] is True

    def listing(subject, **query):
        response = client.get(EVENTS, query_string=query, headers=bearer(issue_token(subject)))
        assert response.status_code == 200, response.get_json()
        return {e["id"]: e["fits_me"] for e in response.get_json()["items"]}

    assert listing("m-2006") == {open_to_all["id"]: True, class_of_2006["id"]: True}
    assert listing("m-2015") == {open_to_all["id"]: True}
    assert listing("m-2015", fits_me="true") == {open_to_all["id"]: True}
    assert listing("m-pending") == listing("stranger") == {open_to_all["id"]: False}
    assert listing("m-pending", fits_me="true") == {}
    everything = client.get(EVENTS, headers=admin).get_json()
    assert {e["id"] for e in everything["items"]} == {draft["id"], open_to_all["id"], class_of_2006["id"]}
    assert [e["id"] for e in client.get(EVENTS).get_json()["items"]] == [open_to_all["id"]]


def test_segment_audiences_follow_the_members_segment_filter(client, db, admin, issue_token):
    segment_id = "5" * 32
    readmodel_store.save_segment(db, None, segment_id, {"city": "Plovdiv", "open_to_mentoring": True}, 1)
    event = published(client, admin, audience={"kind": "segment", "segment_id": segment_id})
    readmodel_store.merge_member(db, None, "mentor", {"status": "verified", "city": "Пловдив",
                                                      "open_to_mentoring": True})
    readmodel_store.merge_member(db, None, "other", {"status": "verified", "city": "Sofia", "open_to_mentoring": True})
    assert client.get(f"{EVENTS}/{event['id']}", headers=bearer(issue_token("mentor"))).get_json()["fits_me"] is True
    assert_problem(client.get(f"{EVENTS}/{event['id']}", headers=bearer(issue_token("other"))), 404)
    assert [e["id"] for e in client.get(EVENTS, headers=bearer(issue_token("mentor"))).get_json()["items"]] == [
        event["id"]]
    assert client.get(EVENTS, headers=bearer(issue_token("other"))).get_json()["items"] == []
    readmodel_store.delete_segment(db, None, segment_id)
    readmodel_store.save_segment(db, None, segment_id, {"city": "Sofia"}, 2)  # late: stays deleted
    assert_problem(client.get(f"{EVENTS}/{event['id']}", headers=bearer(issue_token("mentor"))), 404)
    assert client.get(EVENTS, headers=bearer(issue_token("mentor"))).get_json()["items"] == []


def test_upcoming_past_kinds_and_date_ranges(client, app, admin):
    early = published(client, admin, starts_at="2026-12-01T18:00", ends_at="2026-12-01T20:00", kind="lecture")
    late = published(client, admin, starts_at="2027-01-15T18:00", ends_at="2027-01-15T20:00")
    app.extensions["alumnet"].clock.advance(days=10)  # the lecture is now past
    ids = lambda **q: [e["id"] for e in client.get(EVENTS, query_string=q, headers=admin).get_json()["items"]]  # noqa: E731
    assert ids() == [late["id"]]
    assert ids(when="past") == [early["id"]]
    assert ids(when="all", kind="lecture") == [early["id"]]
    assert ids(when="all", starts_from="2027-01-15", starts_to="2027-01-15") == [late["id"]]
    problem = assert_problem(client.get(EVENTS, query_string={"starts_from": "2027-02-01", "starts_to": "2027-01-01"},
                                        headers=admin), 422)
    assert "starts_to" in problem["errors"]

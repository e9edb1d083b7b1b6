"""iCalendar files and members' calendar feeds through the events HTTP API (the real app on
the session's local store, the app clock fixed); every ``.ics`` is parsed back with icalendar.

Events are made through the API; registrations are written as documents (model.py). Checked:
an event's ``.ics`` is visible exactly as the event is, in Bulgarian or English, with its
time zone, place or link, and ``STATUS:CANCELLED`` (a higher ``SEQUENCE``) once cancelled;
a feed URL is created, rotated (the old one stops working) and revoked by its member, stores
only the secret's hash, and lists only that member's events (waitlisted ones tentative).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from services.events import calendar, readmodel_store
from tests.support import assert_problem, bearer

EVENTS = "/api/v1/events"
NOW = datetime(2030, 6, 1, 9, 0, tzinfo=timezone.utc)
STARTS = datetime(2030, 6, 10, 15, 0, tzinfo=timezone.utc)  # 18:00 in Sofia (EEST)
ENDS = STARTS + timedelta(hours=4)
MEMBER, OTHER = "1" * 32, "2" * 32
SOFIA = ZoneInfo("Europe/Sofia")


@pytest.fixture
def member_headers(issue_token):
    return bearer(issue_token(MEMBER, "alumnus"))


@pytest.fixture
def other_headers(issue_token):
    return bearer(issue_token(OTHER, "student"))


def make_event(client, admin_headers, *, publish: bool = True, **fields) -> dict:
    body = {"title": {"bg": "Среща на випуск 2010", "en": "Class of 2010 reunion"},
            "description": {"bg": "Двадесет години по-късно.", "en": "Twenty years on."}, "kind": "reunion",
            "starts_at": STARTS.isoformat(), "ends_at": ENDS.isoformat(),
            "place": {"name": "Аула", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"}, **fields}
    response = client.post(EVENTS, json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    if publish:
        response = client.post(f"{EVENTS}/{event['id']}/publish", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        event = response.get_json()
    return event


def register(db, event_id: str, member_id: str, status: str = "confirmed", **fields) -> None:
    db.registrations.insert_one({
        "_id": f"{event_id}:{member_id}", "event_id": event_id, "member_id": member_id, "guests": 0, "party": 1,
        "status": status, "position": 1 if status == "waitlisted" else None,
        "ticket_code": "t" * 22 if status == "confirmed" else None, "registered_at": NOW, "confirmed_at": None,
        "promoted_at": None, "cancelled_at": None, "cancel_reason": None, "checked_in_at": None,
        "checked_in_by": None, "anonymised_at": None, **fields})


def parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def vevents(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


# --------------------------------------------------------------------------- one event

def test_an_events_ics_has_its_time_zone_place_and_bulgarian_title(client, admin_headers):
    event = make_event(client, admin_headers)
    response = client.get(f"{EVENTS}/{event['id']}.ics")
    cal = parse(response)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event["id"]}.ics"'
    assert str(cal["METHOD"]) == "PUBLISH" and str(cal["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Sofia"]
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["UID"]) == f"{event['id']}@alumnet"
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Sofia"
    assert (start, end) == (STARTS, ENDS)
    assert (start.hour, str(start.tzinfo)) == (18, "Europe/Sofia")
    assert vevent.decoded("DTSTAMP") == NOW
    assert str(vevent["SUMMARY"]) == "Среща на випуск 2010"
    assert str(vevent["DESCRIPTION"]) == "Двадесет години по-късно."
    assert str(vevent["LOCATION"]) == "Аула, бул. „Васил Априлов“ 15А, Пловдив"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert "URL" not in vevent
    assert int(vevent["SEQUENCE"]) >= 0

    english = vevents(parse(client.get(f"{EVENTS}/{event['id']}.ics?lang=en")))[f"{event['id']}@alumnet"]
    assert (str(english["SUMMARY"]), str(english["DESCRIPTION"])) == ("Class of 2010 reunion", "Twenty years on.")
    problem = assert_problem(client.get(f"{EVENTS}/{event['id']}.ics?lang=fr"), 422)
    assert "lang" in problem["errors"]


def test_an_event_in_the_repeated_hour_keeps_its_instant(client, admin_headers):
    # 2030-10-27: Sofia's clock shows 03:00-04:00 twice. 01:30Z is the second 03:30 (EET), which
    # a calendar reads as the first (00:30Z) when written as a Sofia wall time: written in UTC.
    starts = datetime(2030, 10, 27, 1, 30, tzinfo=timezone.utc)
    event = make_event(client, admin_headers, starts_at=starts.isoformat(),
                       ends_at=(starts + timedelta(hours=1)).isoformat())
    [vevent] = parse(client.get(f"{EVENTS}/{event['id']}.ics")).walk("VEVENT")
    assert vevent.decoded("DTSTART") == starts
    assert vevent.decoded("DTEND") == starts + timedelta(hours=1)  # 04:30 EET shows once: Sofia's
    assert vevent["DTEND"].params["TZID"] == "Europe/Sofia"


def test_an_online_event_gives_its_link(client, admin_headers):
    event = make_event(client, admin_headers, kind="webinar", place=None, online_url="https://meet.example.bg/x",
                       timezone="America/New_York")
    [vevent] = parse(client.get(f"{EVENTS}/{event['id']}.ics", headers=admin_headers)).walk("VEVENT")
    assert str(vevent["URL"]) == "https://meet.example.bg/x"
    assert str(vevent["LOCATION"]) == "https://meet.example.bg/x"
    # The room's link is for the audience: an anonymous caller's file has no link.
    [anonymous] = parse(client.get(f"{EVENTS}/{event['id']}.ics")).walk("VEVENT")
    assert "URL" not in anonymous and "meet.example.bg" not in anonymous.to_ical().decode()
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert vevent.decoded("DTSTART") == STARTS


def test_a_cancelled_event_is_cancelled_with_a_higher_sequence(client, clock, admin_headers):
    event = make_event(client, admin_headers)
    [before] = parse(client.get(f"{EVENTS}/{event['id']}.ics")).walk("VEVENT")
    clock.advance(days=2)
    response = client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "Наводнение."}, headers=admin_headers)
    assert response.status_code == 200
    [after] = parse(client.get(f"{EVENTS}/{event['id']}.ics")).walk("VEVENT")
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["UID"]) == str(before["UID"])


def test_the_ics_is_visible_as_the_event_is(client, db, admin_headers, member_headers, other_headers):
    draft = make_event(client, admin_headers, publish=False)
    for headers in ({}, member_headers):
        assert_problem(client.get(f"{EVENTS}/{draft['id']}.ics", headers=headers), 404)
    [vevent] = parse(client.get(f"{EVENTS}/{draft['id']}.ics", headers=admin_headers)).walk("VEVENT")
    assert str(vevent["STATUS"]) == "TENTATIVE"

    for_2010 = make_event(client, admin_headers, audience={"kind": "graduation_years", "year_from": 2010,
                                                           "year_to": 2010})
    readmodel_store.merge_member(db, None, MEMBER, {"status": "verified", "graduation_year": 2010})
    readmodel_store.merge_member(db, None, OTHER, {"status": "verified", "graduation_year": 2011})
    for outsider in ({}, other_headers):
        assert_problem(client.get(f"{EVENTS}/{for_2010['id']}.ics", headers=outsider), 404)
    parse(client.get(f"{EVENTS}/{for_2010['id']}.ics", headers=member_headers))
    assert_problem(client.get(f"{EVENTS}/{for_2010['id']}.ics", headers={"Authorization": "Bearer nonsense"}), 401)
    assert_problem(client.get(f"{EVENTS}/{'0' * 32}.ics"), 404)


# --------------------------------------------------------------------------- feeds

def create_feed(client, headers) -> str:
    response = client.post(f"{EVENTS}/calendar-feed", headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "private, no-store"
    url = response.get_json()["url"]
    assert url.startswith(f"{EVENTS}/calendar-feeds/") and url.endswith(".ics")
    return url


def test_a_feed_lists_only_the_members_events_waitlisted_tentative_cancelled_cancelled(
        client, db, clock, admin_headers, member_headers, other_headers):
    confirmed, waitlisted, cancelled, ended_by_cancel, left, others, long_ago = (
        make_event(client, admin_headers) for _ in range(7))
    register(db, confirmed["id"], MEMBER)
    register(db, waitlisted["id"], MEMBER, status="waitlisted")
    register(db, cancelled["id"], MEMBER)
    register(db, ended_by_cancel["id"], MEMBER, status="cancelled", cancel_reason="event_cancelled")
    register(db, left["id"], MEMBER, status="cancelled", cancel_reason="member")
    register(db, others["id"], OTHER)
    register(db, long_ago["id"], MEMBER)
    for event in (cancelled, ended_by_cancel):
        assert client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "Няма зала."},
                           headers=admin_headers).status_code == 200
    db.events.update_one({"_id": long_ago["id"]}, {"$set": {"starts_at": NOW - timedelta(days=400),
                                                            "ends_at": NOW - timedelta(days=399)}})
    url = create_feed(client, member_headers)
    create_feed(client, other_headers)

    response = client.get(url)
    cal = parse(response)
    assert "Content-Disposition" not in response.headers
    assert str(cal["X-WR-CALNAME"]) == "Alumnet"
    entries = vevents(cal)
    assert set(entries) == {f"{e['id']}@alumnet" for e in (confirmed, waitlisted, cancelled, ended_by_cancel)}
    status = {uid.split("@")[0]: str(e["STATUS"]) for uid, e in entries.items()}
    assert status == {confirmed["id"]: "CONFIRMED", waitlisted["id"]: "TENTATIVE",
                      cancelled["id"]: "CANCELLED", ended_by_cancel["id"]: "CANCELLED"}
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Sofia"]
    assert str(entries[f"{confirmed['id']}@alumnet"]["SUMMARY"]) == "Среща на випуск 2010"
    english = vevents(parse(client.get(url + "?lang=en")))
    assert str(english[f"{confirmed['id']}@alumnet"]["SUMMARY"]) == "Class of 2010 reunion"


def test_a_feed_stores_only_the_secrets_hash_and_rotates(client, db, member_headers):
    first = create_feed(client, member_headers)
    secret = first.removeprefix(f"{EVENTS}/calendar-feeds/").removesuffix(".ics")
    assert len(secret) >= 43
    [feed] = db.calendar_feeds.find({"member_id": MEMBER})
    assert feed["_id"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(feed) and feed["created_at"] == NOW
    parse(client.get(first))

    second = create_feed(client, member_headers)
    assert second != first
    assert_problem(client.get(first), 404)
    parse(client.get(second))
    assert db.calendar_feeds.count_documents({"member_id": MEMBER}) == 1


def test_a_member_revokes_the_feed_and_anonymous_callers_manage_none(client, db, member_headers):
    url = create_feed(client, member_headers)
    assert_problem(client.post(f"{EVENTS}/calendar-feed"), 401)
    assert_problem(client.delete(f"{EVENTS}/calendar-feed"), 401)
    assert client.delete(f"{EVENTS}/calendar-feed", headers=member_headers).status_code == 204
    assert_problem(client.get(url), 404)
    assert client.delete(f"{EVENTS}/calendar-feed", headers=member_headers).status_code == 204
    assert_problem(client.get(f"{EVENTS}/calendar-feeds/{'x' * 43}.ics"), 404)
    assert_problem(client.get(f"{EVENTS}/calendar-feeds/{'x' * 500}.ics"), 404)
    assert db.calendar_feeds.count_documents({}) == 0


def test_an_erased_members_token_gets_no_feed(client, db, member_headers):
    """A token used in the moment of its member's erasure (the erasure handled here, the
    revocation not yet everywhere) must not store a feed with the erased id: the feed's
    transaction holds the member's view, so an erasure handled meanwhile is ordered with it."""
    readmodel_store.merge_member(db, None, MEMBER, {"status": "verified"})
    readmodel_store.forget_member(db, None, MEMBER, NOW)
    assert assert_problem(client.post(f"{EVENTS}/calendar-feed", headers=member_headers), 403)["type"].endswith("/erased")
    assert db.calendar_feeds.count_documents({"member_id": MEMBER}) == 0


def test_an_empty_feed_is_a_valid_calendar(client, member_headers):
    cal = parse(client.get(create_feed(client, member_headers)))
    assert cal.walk("VEVENT") == [] and str(cal["METHOD"]) == "PUBLISH"


def test_calendar_building_is_pure():
    event = {"_id": "e1", "title": {"bg": "Лекция", "en": "Lecture"}, "description": {"bg": "", "en": ""},
             "kind": "lecture", "status": "published", "timezone": "Europe/Sofia", "starts_at": STARTS,
             "ends_at": ENDS, "place": {"name": "Зала 1", "address": None, "city": None}, "online_url": None,
             "created_at": NOW, "updated_at": NOW + timedelta(seconds=90)}
    assert calendar.sequence(event) == 90
    assert calendar.location(event["place"]) == "Зала 1"
    text = calendar.ics(calendar.calendar([(event, True)], lang="en", stamp=NOW)).decode()
    assert "SUMMARY:Lecture" in text and "STATUS:TENTATIVE" in text and "DTSTART;TZID=Europe/Sofia:20300610T180000" \
        in text and "DESCRIPTION" not in text


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get(f"{EVENTS}/openapi.json").get_json()["paths"]
    for path in ("/api/v1/events/{event_id}.ics", "/api/v1/events/calendar-feed",
                 "/api/v1/events/calendar-feeds/{secret}.ics"):
        assert path in paths, sorted(paths)


def test_a_feed_secret_never_reaches_the_access_log(client, member_headers, caplog):
    url = create_feed(client, member_headers)
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    caplog.set_level("INFO", logger="shared.web.app")
    assert client.get(url).status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "shared.web.app"]
    assert any("/calendar-feeds/[secret].ics" in line for line in logged), logged
    assert not any(secret in line for line in logged)

"""The home page: a welcome for visitors; for members the events that fit them, their
registrations, open calls, a nudge to complete the profile and their membership's state."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.unit.portal.conftest import MEMBER_ID, log_in

EVENTS = "/api/v1/events"
MINE = "/api/v1/events/registrations/mine"
FULL_PROFILE = {"status": "verified", "graduation_year": 2006, "faculty": "medicine", "specialty": "кардиология",
                "position": "лекар", "city": "Пловдив", "country": "BG"}


def days(n: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=n)).replace(microsecond=0).isoformat()


def event(event_id: str, *, starts=days(10), seats_left=10, registration_open=True, **more) -> dict:
    return {"id": event_id, "title": {"bg": f"Среща {event_id}", "en": f"Reunion {event_id}"}, "kind": "reunion",
            "status": "published", "starts_at": starts, "ends_at": starts, "timezone": "Europe/Sofia",
            "place": {"name": "Аула", "address": None, "city": "Пловдив"}, "seats_left": seats_left,
            "registration_open": registration_open, "fits_me": True, **more}


def registration(event_id: str, status="confirmed", *, starts=days(10), position=None, guests=0,
                 event_status="published") -> dict:
    return {"id": f"r-{event_id}", "event_id": event_id, "member_id": MEMBER_ID, "status": status,
            "position": position, "guests": guests, "party": guests + 1,
            "event": {"id": event_id, "title": {"bg": f"Среща {event_id}", "en": f"Reunion {event_id}"},
                      "status": event_status, "starts_at": starts, "ends_at": starts, "timezone": "Europe/Sofia"}}


def page_of(*items) -> dict:
    return {"items": list(items), "page": 1, "per_page": 20, "total": len(items)}


@pytest.fixture
def home(client, gateway):
    """A verified member with a complete profile; each test says what the events API holds."""
    log_in(client, gateway, **FULL_PROFILE)
    gateway.on("GET", EVENTS, 200, page_of())
    gateway.on("GET", MINE, 200, page_of())
    return client


def test_visitors_get_a_welcome_with_log_in_and_join(client, gateway):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/login"' in page and 'href="/join"' in page and "Welcome" in page
    assert gateway.calls == []


def test_the_events_that_fit_me_are_asked_for_and_shown(home, gateway):
    gateway.on("GET", EVENTS, 200, page_of(event("e-1"), event("e-2", status="cancelled"),
                                           event("e-3", place=None, kind="webinar")))
    page = home.get("/").get_data(as_text=True)
    assert gateway.sent("GET", EVENTS)[0].params == {"fits_me": "true", "when": "upcoming", "per_page": 20}
    assert 'href="/events/e-1"' in page and "Reunion e-1" in page and "Cancelled" in page
    assert "Hello, Maria" in page and "· Пловдив" in page and "· Online" in page
    assert "Complete your profile" not in page and "awaits" not in page


def test_my_upcoming_registrations_with_ticket_and_waitlist_place(home, gateway):
    gateway.on("GET", MINE, 200, page_of(
        registration("e-1", guests=2), registration("e-2", "waitlisted", position=3),
        registration("e-3", "cancelled"), registration("e-4", starts=days(-3)),
        registration("e-5", event_status="cancelled")))
    page = home.get("/").get_data(as_text=True)
    assert 'href="/events/e-1/ticket"' in page and "With 2 guests." in page
    assert "On the waitlist, place 3." in page
    for gone in ("e-3", "e-4", "e-5"):
        assert f"Reunion {gone}" not in page


def test_open_calls_are_events_with_seats_left_that_i_am_not_in(home, gateway):
    gateway.on("GET", EVENTS, 200, page_of(
        event("e-1", seats_left=4), event("e-2", seats_left=None), event("e-3", seats_left=0),
        event("e-4", registration_open=False), event("e-5"), event("e-6", fits_me=False)))
    gateway.on("GET", MINE, 200, page_of(registration("e-5")))
    page = home.get("/").get_data(as_text=True)
    calls = page.split('id="h-calls"')[1]
    assert "Reunion e-1" in calls and "4 seats left" in calls
    assert "Reunion e-2" in calls and "No limit on seats" in calls
    for closed in ("e-3", "e-4", "e-5", "e-6"):
        assert f"Reunion {closed}" not in calls


def test_no_events_no_registrations_no_calls_are_said_plainly(home):
    page = home.get("/").get_data(as_text=True)
    assert "No upcoming events for you yet." in page
    assert "You are not registered for any upcoming event." in page
    assert "Nothing waits for your answer right now." in page


def test_an_incomplete_profile_is_nudged_naming_the_empty_fields(client, gateway):
    log_in(client, gateway, status="verified", graduation_year=2006, faculty="medicine")
    gateway.on("GET", EVENTS, 200, page_of())
    gateway.on("GET", MINE, 200, page_of())
    page = client.get("/").get_data(as_text=True)
    assert "Complete your profile" in page and 'href="/me"' in page
    assert "Specialty, Position, City, Country." in page and "Graduation year" not in page.split("Still empty")[1][:80]


def test_a_pending_member_sees_her_membership_awaits_approval(client, gateway):
    log_in(client, gateway, **{**FULL_PROFILE, "status": "pending_verification"})
    gateway.on("GET", EVENTS, 200, page_of(event("e-1", fits_me=False)))  # as the API answers her
    gateway.on("GET", MINE, 200, page_of())
    page = client.get("/").get_data(as_text=True)
    assert "awaits the alumni office" in page and "Reunion e-1" in page
    # Only verified members fit an audience: she is shown the events open to everyone.
    assert gateway.sent("GET", EVENTS)[0].params == {"when": "upcoming", "per_page": 20}
    assert "once your membership is verified" in page
    assert "Nothing waits for your answer right now." in page  # only verified members may register


@pytest.mark.parametrize("path", [EVENTS, MINE])
@pytest.mark.parametrize("status, kind", [(403, "forbidden"), (429, "too-many-requests"), (422, "validation")])
def test_a_part_the_events_api_refuses_is_left_out_with_a_note(home, gateway, path, status, kind):
    gateway.on("GET", EVENTS, 200, page_of(event("e-1")))
    gateway.on("GET", MINE, 200, page_of(registration("e-2")))
    gateway.problem("GET", path, status, kind, "no")
    response = home.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "We cannot show" in page
    assert ("Reunion e-1" in page) == (path == MINE)
    assert ("Reunion e-2" in page) == (path == EVENTS)


def test_the_events_service_down_leaves_the_rest_of_the_page(home, gateway):
    gateway.on("GET", EVENTS, 503, {"type": "about:blank", "status": 503})
    gateway.on("GET", MINE, 503, {"type": "about:blank", "status": 503})
    response = home.get("/")
    assert response.status_code == 200 and "Hello, Maria" in response.get_data(as_text=True)


def test_the_members_api_down_gives_the_friendly_page(home, gateway):
    gateway.down = True
    assert home.get("/").status_code == 503


def test_a_member_record_that_cannot_be_read_gives_the_problem_page(home, gateway):
    gateway.problem("GET", f"/api/v1/members/{MEMBER_ID}", 429, "too-many-requests", "Slow down.")
    assert home.get("/").status_code == 429


def test_home_reads_in_bulgarian_with_bulgarian_titles_and_dates(home, gateway):
    gateway.on("GET", EVENTS, 200, page_of(event("e-1", starts="2030-06-14T15:00:00+00:00")))
    home.get("/language/bg")
    page = home.get("/").get_data(as_text=True)
    assert "Среща e-1" in page and "Reunion e-1" not in page
    assert "петък, 14 юни 2030\u202fг., 18:00" in page  # Sofia time, Bulgarian words
    assert "Предстоящи събития за вас" in page and "Upcoming events" not in page


def test_the_welcome_reads_in_bulgarian(client):
    page = client.get("/", headers={"Accept-Language": "bg"}).get_data(as_text=True)
    assert "Добре дошли" in page and "Welcome" not in page


def test_a_verified_member_is_pointed_to_mentoring(home):
    page = home.get("/").get_data(as_text=True)
    assert 'id="h-mentoring"' in page and '<p><a href="/mentoring">Mentoring</a></p>' in page

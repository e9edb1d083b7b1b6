"""Page tests of the alumni's events pages: the list, an event, registering with guests,
cancelling, the waitlist, the ticket with its QR code, calendar files and the feed, my
registrations, and every problem the events API answers them with."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import csrf_token, log_in

EVENT_ID = "0123456789abcdef0123456789abcdef"
EVENT = f"/api/v1/events/{EVENT_ID}"
MINE = f"{EVENT}/registrations/mine"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><title>Alumnet ticket</title></svg>'


def event(**changes) -> dict:
    """An event as GET /api/v1/events/{id} answers (the demo's class-of-2012 reunion)."""
    return {"id": EVENT_ID, "title": {"bg": "Среща на випуск 2012", "en": "Class of 2012 reunion"},
            "description": {"bg": "Десет години по-късно, в Аулата.", "en": "Ten years on, in the Aula."},
            "kind": "reunion", "status": "published", "timezone": "Europe/Sofia",
            "starts_at": "2027-05-15T15:00:00+00:00", "ends_at": "2027-05-15T20:00:00+00:00",
            "local_starts_at": "2027-05-15T18:00:00+03:00",
            "place": {"name": "Аула на МУ-Пловдив", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"},
            "online_url": None, "capacity": 80, "guests_allowed": 1, "registration_opens_at": None,
            "registration_closes_at": None, "registration_open": True,
            "audience": {"kind": "graduation_years", "year_from": 2012, "year_to": 2012},
            "fits_me": True, "seats_left": 42, "waitlist_length": 0, **changes}


def registration(status: str = "confirmed", **changes) -> dict:
    return {"id": f"{EVENT_ID}:m-1", "event_id": EVENT_ID, "member_id": "m-1", "guests": 1, "party": 2,
            "status": status, "position": 3 if status == "waitlisted" else None,
            "ticket_code": "T0k3n-c0de-abcdefghij" if status == "confirmed" else None,
            "registered_at": "2026-12-01T10:00:00+00:00", "cancel_reason": None, **changes}


def page_of(items: list, total: int | None = None, page: int = 1) -> dict:
    return {"items": items, "page": page, "per_page": 20, "total": len(items) if total is None else total}


def text(response) -> str:
    return response.get_data(as_text=True)


def in_bulgarian(client) -> None:
    client.get("/language/bg")


# --------------------------------------------------------------------------- the list

def test_the_list_shows_upcoming_events_with_seats_and_the_waitlist(member, gateway):
    gateway.on("GET", "/api/v1/events", 200, page_of([
        event(), event(id="f" * 32, title={"bg": "Уебинар", "en": "Webinar"}, kind="webinar", place=None,
                       online_url="https://meet.example.org/x", capacity=None, seats_left=None,
                       audience={"kind": "all"}),
        event(id="e" * 32, seats_left=0, waitlist_length=4)]))
    page = text(member.get("/events"))
    assert "Class of 2012 reunion" in page and "42 of 80 seats left" in page
    assert "No seat limit" in page and "Full: 4 on the waitlist" in page
    assert "Saturday, May 15, 2027, 6:00\u202fPM – 11:00\u202fPM" in page  # Sofia time, the event's zone
    assert "For you: The class of 2012" in page and f'href="/events/{EVENT_ID}"' in page
    call = gateway.sent("GET", "/api/v1/events")[-1]
    assert call.params == {"when": "upcoming", "page": 1, "per_page": 20}
    assert call.headers["Authorization"] == "Bearer access-m-1"
    assert "3 upcoming events" in page


def test_the_list_filters_past_events_by_kind_for_me(member, gateway):
    gateway.on("GET", "/api/v1/events", 200, page_of([event()], total=45, page=2))
    page = text(member.get("/events?when=past&kind=reunion&mine=1&page=2"))
    assert gateway.sent("GET", "/api/v1/events")[-1].params == {
        "when": "past", "page": 2, "per_page": 20, "kind": "reunion", "fits_me": "true"}
    assert "45 past events" in page and 'rel="prev"' in page and 'rel="next"' in page
    assert '<option value="reunion" selected>' in page
    assert 'id="f-mine" name="mine" type="checkbox" value="1" checked' in page


def test_the_list_ignores_hand_edited_filters_rather_than_failing(member, gateway):
    gateway.on("GET", "/api/v1/events", 200, page_of([]))
    response = member.get("/events?when=never&kind=party&page=x")
    assert response.status_code == 200 and "No events here yet." in text(response)
    assert gateway.sent("GET", "/api/v1/events")[-1].params == {"when": "upcoming", "page": 1, "per_page": 20}


def test_visitors_see_the_open_events_without_the_for_me_filter(client, gateway):
    gateway.on("GET", "/api/v1/events", 200, page_of([event(audience={"kind": "all"}, fits_me=None)]))
    page = text(client.get("/events?mine=1"))
    assert "Class of 2012 reunion" in page and 'name="mine"' not in page and "log in to see those" in page
    call = gateway.sent("GET", "/api/v1/events")[-1]
    assert "fits_me" not in call.params and "Authorization" not in call.headers


def test_an_empty_for_me_list_says_how_to_see_more(member, gateway):
    gateway.on("GET", "/api/v1/events", 200, page_of([]))
    assert "Untick" in text(member.get("/events?mine=1"))


def test_the_list_in_bulgarian_names_kinds_and_dates_in_bulgarian(member, gateway):
    in_bulgarian(member)
    gateway.on("GET", "/api/v1/events", 200, page_of([event(title={"bg": "", "en": "Only in English"})]))
    page = text(member.get("/events"))
    assert '<html lang="bg">' in page and "Среща на випуска" in page
    assert "събота, 15 май 2027\u202fг., 18:00 – 23:00" in page
    assert "Only in English" in page  # the other language when the page's one is empty
    assert "1 предстоящо събитие" in page  # Bulgarian's own plural forms
    assert gateway.sent("GET", "/api/v1/events")[-1].headers["Accept-Language"] == "bg"


def test_the_list_when_the_api_is_down_is_the_friendly_page(member, gateway):
    gateway.down = True
    assert member.get("/events").status_code == 503


# --------------------------------------------------------------------------- an event

def test_an_event_in_its_own_time_zone_with_place_audience_and_the_form(member, gateway):
    gateway.on("GET", EVENT, 200, event(timezone="America/New_York", starts_at="2027-05-15T22:00:00+00:00",
                                        ends_at="2027-05-16T02:00:00+00:00"))
    gateway.problem("GET", MINE, 404, "not-found", "You are not registered for this event.")
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "Saturday, May 15, 2027, 6:00\u202fPM – 10:00\u202fPM (America/New_York time)" in page
    assert "Аула на МУ-Пловдив, бул. „Васил Априлов“ 15А, Пловдив" in page and "The class of 2012" in page
    assert "Ten years on, in the Aula." in page
    assert f'action="/events/{EVENT_ID}/register#registration"' in page and 'max="1"' in page
    assert f'href="/events/{EVENT_ID}.ics"' in page


def test_an_online_event_links_its_room(member, gateway):
    gateway.on("GET", EVENT, 200, event(place=None, kind="webinar", online_url="https://meet.example.org/room"))
    gateway.problem("GET", MINE, 404, "not-found")
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert 'href="https://meet.example.org/room"' in page and "Join online" in page


def test_an_event_in_bulgarian_is_titled_and_described_in_bulgarian(member, gateway):
    in_bulgarian(member)
    gateway.on("GET", EVENT, 200, event())
    gateway.problem("GET", MINE, 404, "not-found")
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "<h1>Среща на випуск 2012</h1>" in page and "Десет години по-късно, в Аулата." in page
    assert "Випуск 2012" in page and "Запишете се" in page


def test_a_visitor_is_asked_to_log_in_to_register(client, gateway):
    gateway.on("GET", EVENT, 200, event(audience={"kind": "all"}, fits_me=None))
    page = text(client.get(f"/events/{EVENT_ID}"))
    assert f"/login?next=/events/{EVENT_ID}" in page and "/register" not in page
    assert gateway.sent("GET", MINE) == []


def test_an_event_not_for_me_is_not_found_in_both_languages(member, gateway):
    gateway.problem("GET", EVENT, 404, "not-found", "No such event.")
    response = member.get(f"/events/{EVENT_ID}")
    assert response.status_code == 404 and "it is not for you" in text(response)
    in_bulgarian(member)
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "не е за вас" in page and "No such event." not in page


def test_a_malformed_event_id_never_reaches_the_api(member, gateway):
    assert member.get("/events/..%2E").status_code == 404
    assert member.get("/events/a.b/ticket").status_code == 404
    assert [c for c in gateway.calls if c.path.startswith("/api/v1/events")] == []


def test_a_full_event_explains_the_waitlist_before_registering(member, gateway):
    gateway.on("GET", EVENT, 200, event(seats_left=0, waitlist_length=2))
    gateway.problem("GET", MINE, 404, "not-found")
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "Full: 2 on the waitlist" in page and "you join the waitlist" in page and "Join the waitlist" in page


def test_my_confirmed_registration_links_the_ticket_and_cancelling(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.on("GET", MINE, 200, registration())
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "You are registered, with 1 guest." in page
    assert f'href="/events/{EVENT_ID}/ticket"' in page and f'href="/events/{EVENT_ID}/cancel"' in page
    assert "/register" not in page


def test_my_place_on_the_waitlist_is_shown(member, gateway):
    gateway.on("GET", EVENT, 200, event(seats_left=0, waitlist_length=5))
    gateway.on("GET", MINE, 200, registration("waitlisted"))
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "You are on the waitlist: number 3." in page and "Leave the waitlist" in page
    assert "/ticket" not in page


def test_a_past_event_takes_no_registration_nor_cancellation(member, gateway):
    gateway.on("GET", EVENT, 200, event(starts_at="2020-05-15T15:00:00+00:00", ends_at="2020-05-15T20:00:00+00:00",
                                        registration_open=False))
    gateway.on("GET", MINE, 200, registration())
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "This event is over." in page and "/cancel" not in page and "/register" not in page


def test_a_cancelled_event_says_why(member, gateway):
    gateway.on("GET", EVENT, 200, event(status="cancelled", cancel_reason="The hall is closed.",
                                        registration_open=False))
    gateway.on("GET", MINE, 200, registration("cancelled", cancel_reason="event_cancelled"))
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "This event is cancelled. The hall is closed." in page
    assert "Your registration ended because the event was cancelled." in page and "/register" not in page


def test_registration_not_open_yet_says_when(member, gateway):
    gateway.on("GET", EVENT, 200, event(registration_open=False, registration_opens_at="2027-03-01T08:00:00+00:00"))
    gateway.problem("GET", MINE, 404, "not-found")
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "Registration opens on March 1, 2027, 10:00\u202fAM." in page and "/register" not in page


def test_an_unverified_member_is_told_why_they_cannot_register(member, gateway):
    gateway.on("GET", EVENT, 200, event(audience={"kind": "all"}, fits_me=False))
    gateway.problem("GET", MINE, 404, "not-found")
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "Only verified members" in page and "/register" not in page


# --------------------------------------------------------------------------- registering

def post_register(client, guests="1"):
    gateway_path = f"/events/{EVENT_ID}"
    return client.post(f"/events/{EVENT_ID}/register", data={"guests": guests,
                                                              "csrf_token": csrf_token(client, gateway_path)})


@pytest.fixture
def reunion(gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.problem("GET", MINE, 404, "not-found", "You are not registered for this event.")


def test_registering_with_a_guest_is_confirmed(member, gateway, reunion):
    gateway.on("POST", f"{EVENT}/registrations", 201, registration())
    response = post_register(member)
    assert response.status_code == 302 and response.headers["Location"] == f"/events/{EVENT_ID}"
    assert gateway.sent("POST", f"{EVENT}/registrations")[-1].json == {"guests": 1}
    gateway.on("GET", MINE, 200, registration())
    assert "You are registered. Your ticket is ready." in text(member.get(response.headers["Location"]))


def test_registering_for_a_full_event_explains_the_waitlist(member, gateway, reunion):
    gateway.on("POST", f"{EVENT}/registrations", 201, registration("waitlisted", position=7))
    response = post_register(member, "0")
    assert gateway.sent("POST", f"{EVENT}/registrations")[-1].json == {"guests": 0}
    assert "you are on the waitlist: number 7" in text(member.get(response.headers["Location"]))


def test_registering_twice_changes_nothing_and_says_so(member, gateway, reunion):
    gateway.on("POST", f"{EVENT}/registrations", 200, registration())
    response = post_register(member)
    assert "You were registered already" in text(member.get(response.headers["Location"]))


def test_guests_over_the_limit_are_shown_at_the_field_in_both_languages(member, gateway, reunion):
    refusal = "This event allows at most 1 guest per member."
    gateway.problem("POST", f"{EVENT}/registrations", 422, "validation", refusal, errors={"guests": [refusal]})
    response = post_register(member, "3")
    page = text(response)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in page and "You may bring at most 1 guest to this event." in page
    assert 'value="3"' in page and 'href="#f-guests"' in page
    in_bulgarian(member)
    page = text(post_register(member, "3"))
    assert "Можете да доведете най-много 1 гост на това събитие." in page and "at most 1 guest" not in page


def test_a_party_larger_than_the_capacity_is_explained(member, gateway, reunion):
    gateway.problem("POST", f"{EVENT}/registrations", 422, "validation",
                    errors={"guests": ["A party of 2 is larger than the event's capacity of 1."]})
    page = text(post_register(member))
    assert "A party of 2 does not fit: the event has 1 seat in all." in page


def test_a_number_of_guests_that_is_no_number_is_refused_before_the_api(member, gateway, reunion):
    response = post_register(member, "two")
    assert response.status_code == 400 and "whole number" in text(response) and 'value="two"' in text(response)
    assert gateway.sent("POST", f"{EVENT}/registrations") == []


@pytest.mark.parametrize("kind, extra, says", [
    ("registration-closed", {"closes_at": "2027-05-15T15:00:00+00:00"}, "Registration closed on May 15, 2027, 6:00"),
    ("registration-not-open", {"opens_at": "2027-03-01T08:00:00+00:00"}, "Registration opens on March 1, 2027, 10:00"),
    ("event-cancelled", {}, "This event is cancelled, so registration is closed."),
    ("not-published", {}, "not open for registration yet"),
    ("event-over", {}, "This event is over."),
])
def test_a_conflict_with_the_events_state_is_shown_next_to_the_form(member, gateway, reunion, kind, extra, says):
    gateway.problem("POST", f"{EVENT}/registrations", 409, kind, "Refused.", **extra)
    response = post_register(member)
    assert response.status_code == 409 and 'role="alert"' in text(response) and says in text(response)


def test_a_conflict_in_bulgarian(member, gateway, reunion):
    in_bulgarian(member)
    gateway.problem("POST", f"{EVENT}/registrations", 409, "registration-closed", "Registration closed.",
                    closes_at="2027-05-15T15:00:00+00:00")
    page = text(post_register(member))
    assert "Записването приключи на 15 май 2027\u202fг., 18:00." in page


@pytest.mark.parametrize("kind, says", [
    ("not-verified", "has not verified your membership"),
    ("other-audience", "for another group of alumni"),
])
def test_registering_outside_the_audience_is_explained(member, gateway, reunion, kind, says):
    gateway.problem("POST", f"{EVENT}/registrations", 403, kind, "Refused.")
    response = post_register(member)
    assert response.status_code == 403 and says in text(response)


def test_registering_for_an_event_that_is_gone_is_not_found(member, gateway, reunion):
    gateway.problem("POST", f"{EVENT}/registrations", 404, "not-found", "No such event.")
    response = post_register(member)
    assert response.status_code == 404 and "it is not for you" in text(response)


def test_registering_for_an_event_i_cannot_see_sends_nothing(member, gateway):
    gateway.problem("GET", EVENT, 404, "not-found")
    token = csrf_token(member, "/events/calendar-feed")
    response = member.post(f"/events/{EVENT_ID}/register", data={"guests": "0", "csrf_token": token})
    assert response.status_code == 404 and gateway.sent("POST", f"{EVENT}/registrations") == []


def test_too_many_registrations_at_once(member, gateway, reunion):
    gateway.problem("POST", f"{EVENT}/registrations", 429, "too-many-requests", "Slow down.")
    response = post_register(member)
    assert response.status_code == 429 and "Too many attempts" in text(response)


def test_registering_needs_a_login_and_a_csrf_token(client, gateway, reunion):
    response = client.post(f"/events/{EVENT_ID}/register", data={"guests": "0", "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    log_in(client, gateway)
    assert client.post(f"/events/{EVENT_ID}/register", data={"guests": "0"}).status_code == 400
    assert gateway.sent("POST", f"{EVENT}/registrations") == []


def test_registering_when_the_api_is_down(member, gateway, reunion):
    token = csrf_token(member, f"/events/{EVENT_ID}")
    gateway.down = True
    assert member.post(f"/events/{EVENT_ID}/register", data={"guests": "0", "csrf_token": token}).status_code == 503


# --------------------------------------------------------------------------- cancelling

def test_cancelling_asks_first_then_cancels(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.on("GET", MINE, 200, registration())
    page = text(member.get(f"/events/{EVENT_ID}/cancel"))
    assert "Yes, cancel my registration" in page and "your seats go to the next people on the waitlist" in page
    assert gateway.sent("DELETE", MINE) == []
    gateway.on("DELETE", MINE, 200, registration("cancelled", cancel_reason="member"))
    token = csrf_token(member, f"/events/{EVENT_ID}/cancel")
    response = member.post(f"/events/{EVENT_ID}/cancel", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/events/{EVENT_ID}"
    assert len(gateway.sent("DELETE", MINE)) == 1
    gateway.on("GET", MINE, 200, registration("cancelled", cancel_reason="member"))
    page = text(member.get(f"/events/{EVENT_ID}"))
    assert "Your registration is cancelled." in page and "You cancelled your registration." in page


def test_leaving_the_waitlist_names_the_place_given_up(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.on("GET", MINE, 200, registration("waitlisted"))
    assert "lose your place (number 3)" in text(member.get(f"/events/{EVENT_ID}/cancel"))


def test_cancelling_after_the_event_is_a_conflict_shown_in_both_languages(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.on("GET", MINE, 200, registration())
    gateway.problem("DELETE", MINE, 409, "event-over", "The event is over.")
    token = csrf_token(member, f"/events/{EVENT_ID}/cancel")
    response = member.post(f"/events/{EVENT_ID}/cancel", data={"csrf_token": token})
    assert response.status_code == 409 and "can no longer be cancelled" in text(response)
    in_bulgarian(member)
    response = member.post(f"/events/{EVENT_ID}/cancel", data={"csrf_token": token})
    assert "вече не може да се откаже" in text(response)


def test_cancelling_what_is_not_registered_is_not_found(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.problem("GET", MINE, 404, "not-found")
    assert "nothing to cancel" in text(member.get(f"/events/{EVENT_ID}/cancel"))
    gateway.problem("DELETE", MINE, 404, "not-found", "You are not registered for this event.")
    token = csrf_token(member, "/events/calendar-feed")
    response = member.post(f"/events/{EVENT_ID}/cancel", data={"csrf_token": token})
    assert response.status_code == 404 and "nothing to cancel" in text(response)


def test_cancelling_needs_a_login(client, gateway):
    assert client.get(f"/events/{EVENT_ID}/cancel").headers["Location"].startswith("/login")


# --------------------------------------------------------------------------- the ticket

def ticket_body() -> dict:
    return {"code": "T0k3n-c0de-abcdefghij", "qr_content": "alumnet:ticket:T0k3n-c0de-abcdefghij",
            "member_id": "m-1", "guests": 1, "status": "confirmed", "checked_in_at": None,
            "event": {"event_id": EVENT_ID}, "png_url": f"{MINE}/ticket.png", "svg_url": f"{MINE}/ticket.svg"}


def test_my_ticket_shows_the_qr_code_from_the_portal_and_the_code_as_text(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.on("GET", f"{MINE}/ticket", 200, ticket_body())
    response = member.get(f"/events/{EVENT_ID}/ticket")
    page = text(response)
    assert "T0k3n-c0de-abcdefghij" in page and "no-store" in response.headers["Cache-Control"]
    assert f'src="/events/{EVENT_ID}/ticket.svg"' in page and 'alt="QR code of your ticket' in page
    assert "/api/v1" not in page  # the browser fetches nothing from the API with a token


def test_the_qr_image_is_fetched_with_the_members_token_and_never_cached(member, gateway):
    gateway.on("GET", f"{MINE}/ticket.svg", 200, content=SVG, headers={"Content-Type": "image/svg+xml"})
    response = member.get(f"/events/{EVENT_ID}/ticket.svg")
    assert response.status_code == 200 and response.data == SVG and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert gateway.sent("GET", f"{MINE}/ticket.svg")[-1].headers["Authorization"] == "Bearer access-m-1"
    gateway.on("GET", f"{MINE}/ticket.png", 200, content=b"\x89PNG...")
    png = member.get(f"/events/{EVENT_ID}/ticket.png")
    assert png.data == b"\x89PNG..." and png.mimetype == "image/png"


def test_no_ticket_image_without_a_confirmed_registration(member, gateway):
    gateway.problem("GET", f"{MINE}/ticket.svg", 404, "not-found", "No ticket.")
    assert member.get(f"/events/{EVENT_ID}/ticket.svg").status_code == 404


def test_on_the_waitlist_there_is_no_ticket_yet(member, gateway):
    gateway.on("GET", EVENT, 200, event())
    gateway.problem("GET", f"{MINE}/ticket", 404, "not-found", "No ticket: tickets are for confirmed registrations.")
    gateway.on("GET", MINE, 200, registration("waitlisted"))
    response = member.get(f"/events/{EVENT_ID}/ticket")
    assert response.status_code == 404 and "You are on the waitlist: number 3." in text(response)
    in_bulgarian(member)
    assert "Вие сте в списъка на чакащите: номер 3." in text(member.get(f"/events/{EVENT_ID}/ticket"))


def test_the_ticket_needs_a_login(client, gateway):
    for path in (f"/events/{EVENT_ID}/ticket", f"/events/{EVENT_ID}/ticket.svg"):
        assert client.get(path).headers["Location"].startswith("/login")
    assert gateway.sent("GET", f"{MINE}/ticket.*") == []


# --------------------------------------------------------------------------- calendars

def test_the_calendar_file_comes_through_the_portal_in_the_pages_language(member, gateway):
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    gateway.on("GET", f"{EVENT}.ics", 200, content=ics)
    in_bulgarian(member)
    response = member.get(f"/events/{EVENT_ID}.ics")
    assert response.data == ics and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{EVENT_ID}.ics"'
    call = gateway.sent("GET", f"{EVENT}.ics")[-1]
    assert call.params == {"lang": "bg"} and call.headers["Authorization"] == "Bearer access-m-1"


def test_the_calendar_file_of_an_event_not_for_me_is_not_found(member, gateway):
    gateway.problem("GET", f"{EVENT}.ics", 404, "not-found")
    assert member.get(f"/events/{EVENT_ID}.ics").status_code == 404


def test_my_calendar_feed_is_shown_once_with_how_to_add_it(member, gateway):
    page = text(member.get("/events/calendar-feed"))
    assert "Google Calendar" in page and "Outlook" in page and "Show me my calendar address" in page
    assert gateway.sent("POST", "/api/v1/events/calendar-feed") == []  # looking does not rotate it
    gateway.on("POST", "/api/v1/events/calendar-feed", 201,
               {"url": "/api/v1/events/calendar-feeds/s3cret.ics", "created_at": "2026-12-04T10:00:00+00:00"})
    response = member.post("/events/calendar-feed", data={"action": "create",
                                                          "csrf_token": csrf_token(member, "/events/calendar-feed")})
    assert response.status_code == 302
    page = text(member.get("/events/calendar-feed"))
    assert 'value="http://localhost/api/v1/events/calendar-feeds/s3cret.ics?lang=en"' in page and "readonly" in page
    assert 'href="webcal://localhost/api/v1/events/calendar-feeds/s3cret.ics?lang=en"' in page
    assert "s3cret" not in text(member.get("/events/calendar-feed"))  # shown once


def test_stopping_my_calendar_feed(member, gateway):
    gateway.on("DELETE", "/api/v1/events/calendar-feed", 204)
    response = member.post("/events/calendar-feed", data={"action": "stop",
                                                          "csrf_token": csrf_token(member, "/events/calendar-feed")})
    assert response.status_code == 302 and len(gateway.sent("DELETE", "/api/v1/events/calendar-feed")) == 1
    assert "no longer works" in text(member.get("/events/calendar-feed"))


def test_the_calendar_feed_refused_is_shown_next_to_the_form(member, gateway):
    gateway.problem("POST", "/api/v1/events/calendar-feed", 429, "too-many-requests")
    response = member.post("/events/calendar-feed", data={"action": "create",
                                                          "csrf_token": csrf_token(member, "/events/calendar-feed")})
    assert response.status_code == 429 and 'role="alert"' in text(response)


def test_the_calendar_feed_needs_a_login(client):
    assert client.get("/events/calendar-feed").headers["Location"].startswith("/login")


# --------------------------------------------------------------------------- my registrations

def test_my_registrations_list_statuses_places_and_tickets(member, gateway):
    brief = {"id": EVENT_ID, "title": event()["title"], "kind": "reunion", "status": "published",
             "starts_at": event()["starts_at"], "ends_at": event()["ends_at"], "timezone": "Europe/Sofia",
             "place": None, "online_url": None}
    gateway.on("GET", "/api/v1/events/registrations/mine", 200, page_of([
        {**registration(), "event": brief},
        {**registration("waitlisted", event_id="b" * 32), "event": {**brief, "id": "b" * 32}},
        {**registration("cancelled", event_id="c" * 32), "event": {**brief, "id": "c" * 32, "status": "cancelled"}}]))
    page = text(member.get("/events/mine"))
    assert page.count("Class of 2012 reunion") >= 3 and "On the waitlist: number 3" in page
    assert f'href="/events/{EVENT_ID}/ticket"' in page and f'/events/{"b" * 32}/ticket' not in page
    assert "The event is cancelled." in page and "Registration cancelled" in page and "Confirmed · 1 guest" in page


def test_my_registrations_filtered_by_status(member, gateway):
    gateway.on("GET", "/api/v1/events/registrations/mine", 200, page_of([]))
    page = text(member.get("/events/mine?status=waitlisted&page=2"))
    assert gateway.sent("GET", "/api/v1/events/registrations/mine")[-1].params == {
        "page": 2, "per_page": 20, "status": "waitlisted"}
    assert "No registrations here yet." in page
    member.get("/events/mine?status=bogus")
    assert "status" not in gateway.sent("GET", "/api/v1/events/registrations/mine")[-1].params


def test_my_registrations_need_a_login(client):
    assert client.get("/events/mine").headers["Location"].startswith("/login")


def test_every_events_page_links_its_stylesheet_that_exists(member, gateway):
    gateway.on("GET", "/api/v1/events", 200, page_of([]))
    page = text(member.get("/events"))
    href = re.search(r'href="(/static/events/events\.css[^"]*)"', page).group(1)
    assert member.get(href).status_code == 200


def test_past_events_show_no_seats_and_visitors_no_login_to_register(client, gateway):
    past = event(starts_at="2020-05-15T15:00:00+00:00", ends_at="2020-05-15T20:00:00+00:00", registration_open=False,
                 audience={"kind": "all"}, fits_me=None)
    gateway.on("GET", "/api/v1/events", 200, page_of([past]))
    assert "seats left" not in text(client.get("/events?when=past"))
    gateway.on("GET", EVENT, 200, past)
    page = text(client.get(f"/events/{EVENT_ID}"))
    assert "This event is over." in page and "Log in to register" not in page

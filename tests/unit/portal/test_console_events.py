"""The office's events pages against a fake events API: the list, create and edit in both
languages, publish, cancel, registrations, the attendance CSV, and the check-in page at the
door, with every problem the API can answer and who may open each page."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import csrf_token, log_in

EVENT_ID = "e" * 32
EVENTS = "/api/v1/events"
ONE = f"/api/v1/events/{EVENT_ID}"
CODE = "T" * 22


def an_event(**changes) -> dict:
    event = {
        "id": EVENT_ID, "title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"},
        "description": {"bg": "Двадесет години по-късно.", "en": "Twenty years on."},
        "kind": "reunion", "status": "draft", "timezone": "Europe/Sofia",
        "starts_at": "2026-12-12T16:00:00+00:00", "ends_at": "2026-12-12T20:00:00+00:00",
        "local_starts_at": "2026-12-12T18:00:00+02:00",
        "place": {"name": "Aula Magna", "address": "bul. Vasil Aprilov 15A", "city": "Plovdiv"},
        "online_url": None, "capacity": 120, "guests_allowed": 1, "seats_left": 80, "waitlist_length": 3,
        "registration_open": False, "audience": {"kind": "graduation_years", "year_from": 2006, "year_to": 2006,
                                                 "faculty": None, "segment_id": None},
        "fits_me": True, "cancel_reason": None}
    event.update(changes)
    return event


def form_of(**changes) -> dict:
    form = {"title.bg": "Среща на випуск 2006", "title.en": "Class of 2006 reunion",
            "description.bg": "Двадесет години по-късно.", "description.en": "Twenty years on.",
            "kind": "reunion", "timezone": "Europe/Sofia", "starts_at": "2026-12-12T18:00",
            "ends_at": "2026-12-12T22:00", "capacity": "120", "guests_allowed": "1", "place.name": "Aula Magna",
            "place.address": "bul. Vasil Aprilov 15A", "place.city": "Plovdiv", "online_url": "",
            "audience.kind": "graduation_years", "audience.year_from": "2006", "audience.year_to": "2006",
            "audience.faculty": "", "audience.segment_id": ""}
    form.update(changes)
    return form


def html(response) -> str:
    """A page's text with Babel's narrow and no-break spaces (in "6:02\u202fPM") as plain ones."""
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def post(client, path: str, data: dict, *, form_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


@pytest.fixture
def segments(gateway):
    gateway.on("GET", "/api/v1/members/segments", 200, {
        "items": [{"id": "s" * 32, "name": "Cardiologists abroad"}], "page": 1, "per_page": 100, "total": 1})


# --------------------------------------------------------------------------- who may see what

OFFICE_PAGES = [f"/office/events/{EVENT_ID}", f"/office/events/{EVENT_ID}/edit", "/office/events/new",
                f"/office/events/{EVENT_ID}/cancel", f"/office/events/{EVENT_ID}/registrations",
                f"/office/events/{EVENT_ID}/attendance.csv"]
DOOR_PAGES = ["/office/events", "/office/events/today", f"/office/events/{EVENT_ID}/check-in"]


@pytest.mark.parametrize("path", OFFICE_PAGES + DOOR_PAGES)
def test_signed_out_visitors_are_sent_to_the_login_page(client, gateway, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert [c for c in gateway.calls if c.path.startswith(EVENTS)] == []


@pytest.mark.parametrize("path", OFFICE_PAGES + DOOR_PAGES)
def test_members_get_403_and_nothing_is_asked_of_the_api(member, gateway, path):
    assert member.get(path).status_code == 403
    assert [c for c in gateway.calls if c.path.startswith(EVENTS)] == []


@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_staff_get_403_on_the_office_pages(staff, gateway, path):
    assert staff.get(path).status_code == 403
    assert [c for c in gateway.calls if c.path.startswith(EVENTS)] == []


@pytest.mark.parametrize("path", [f"/office/events/{EVENT_ID}/publish", f"/office/events/{EVENT_ID}/cancel",
                                  f"/office/events/{EVENT_ID}/edit", "/office/events/new"])
def test_staff_cannot_post_office_forms(staff, gateway, path):
    assert post(staff, path, {"reason": "x"}, form_path=f"/office/events/{EVENT_ID}/check-in").status_code == 403
    assert [c for c in gateway.calls if c.method != "GET"] == [c for c in gateway.calls
                                                                if c.path.endswith("/auth/login")]


# --------------------------------------------------------------------------- the list

def test_the_admin_list_shows_upcoming_events_with_their_state(admin, gateway):
    gateway.on("GET", EVENTS, 200, {"items": [an_event(status="published")], "page": 1, "per_page": 20,
                                    "total": 1})
    page = html(admin.get("/office/events"))
    assert "Class of 2006 reunion" in page and "Published" in page and "80 of 120 places left" in page
    assert "3 on the waitlist" in page and "Dec 12, 2026" in page and "6:00" in page  # Sofia time
    assert gateway.sent("GET", EVENTS)[-1].params == {"when": "upcoming", "page": 1, "per_page": 20}


@pytest.mark.parametrize("show, query", [("draft", {"when": "all", "status": "draft"}),
                                         ("published", {"when": "upcoming", "status": "published"}),
                                         ("cancelled", {"when": "all", "status": "cancelled"}),
                                         ("past", {"when": "past"}), ("nonsense", {"when": "upcoming"})])
def test_each_tab_asks_for_its_events(admin, gateway, show, query):
    gateway.on("GET", EVENTS, 200, {"items": [], "page": 2, "per_page": 20, "total": 0})
    page = admin.get(f"/office/events?show={show}&page=2").get_data(as_text=True)
    assert gateway.sent("GET", EVENTS)[-1].params == {**query, "page": 2, "per_page": 20}
    assert "No events here." in page


def test_the_list_pages_on(admin, gateway):
    gateway.on("GET", EVENTS, 200, {"items": [an_event()] * 20, "page": 1, "per_page": 20, "total": 21})
    assert 'rel="next" href="/office/events?show=past&amp;page=2"' in admin.get("/office/events?show=past").get_data(as_text=True)


def test_the_list_in_bulgarian(admin, gateway):
    gateway.on("GET", EVENTS, 200, {"items": [an_event()], "page": 1, "per_page": 20, "total": 1})
    admin.get("/language/bg")
    page = html(admin.get("/office/events"))
    assert "Среща на випуск 2006" in page and "Чернова" in page and "Предстоящи" in page
    assert "12.12.2026" in page and "18:00" in page


def test_staff_see_today_s_published_events_with_their_check_in_pages(staff, gateway):
    gateway.on("GET", EVENTS, 200, {"items": [an_event(status="published"),
                                              an_event(id="c" * 32, status="cancelled")],
                                    "page": 1, "per_page": 50, "total": 2})
    page = staff.get("/office/events").get_data(as_text=True)
    assert f'href="/office/events/{EVENT_ID}/check-in"' in page
    assert f"/office/events/{'c' * 32}/check-in" not in page
    assert "New event" not in page
    sent = gateway.sent("GET", EVENTS)[-1].params
    assert sent["when"] == "upcoming" and re.fullmatch(r"\d{4}-\d\d-\d\d", sent["starts_to"])


def test_the_list_when_the_api_is_down(admin, gateway):
    gateway.down = True
    assert admin.get("/office/events").status_code == 503


# --------------------------------------------------------------------------- create

def test_the_new_event_form_has_both_languages_side_by_side(admin, gateway, segments):
    page = admin.get("/office/events/new").get_data(as_text=True)
    for name in ("title.bg", "title.en", "description.bg", "description.en", "starts_at", "ends_at", "capacity",
                 "guests_allowed", "place.name", "online_url", "audience.kind", "audience.year_from",
                 "audience.faculty", "audience.segment_id"):
        assert f'name="{name}"' in page, name
    assert 'class="bilingual"' in page and 'lang="bg"' in page
    assert "Cardiologists abroad" in page and 'value="Europe/Sofia"' in page


def test_creating_an_event_sends_both_languages_and_goes_to_it(admin, gateway, segments):
    gateway.on("POST", EVENTS, 201, an_event())
    gateway.on("GET", ONE, 200, an_event())
    response = post(admin, "/office/events/new", {**form_of(), "idempotency_key": "k-1"})
    assert response.status_code == 302 and response.headers["Location"] == f"/office/events/{EVENT_ID}"
    call = gateway.sent("POST", EVENTS)[-1]
    assert call.headers["Idempotency-Key"] == "k-1"
    assert call.json == {
        "title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"},
        "description": {"bg": "Двадесет години по-късно.", "en": "Twenty years on."}, "kind": "reunion",
        "timezone": "Europe/Sofia", "starts_at": "2026-12-12T18:00", "ends_at": "2026-12-12T22:00",
        "capacity": 120, "guests_allowed": 1,
        "place": {"name": "Aula Magna", "address": "bul. Vasil Aprilov 15A", "city": "Plovdiv"},
        "online_url": None, "audience": {"kind": "graduation_years", "year_from": 2006, "year_to": 2006}}
    assert "saved as a draft" in admin.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("changes", [{}, {"capacity": "", "guests_allowed": "", "audience.kind": "all"},
                                     {"kind": "webinar", "online_url": "https://meet.example.bg/x",
                                      "audience.kind": "faculty", "audience.faculty": "pharmacy"}])
def test_the_form_s_body_is_what_the_events_api_takes(changes):
    """A contract check against the events service's own request schema and JSON type rules
    (the portal never imports them; its tests may)."""
    from frontends.portal.console_events import forms
    from services.events.schemas import EventCreateSchema
    from shared.web.inputs import type_errors
    body = forms.body(forms.typed(form_of(**changes)))
    assert type_errors(EventCreateSchema(), body) == {}
    EventCreateSchema().load(body)  # raises on anything it refuses


def test_a_number_that_is_not_one_is_sent_as_typed_for_the_api_to_refuse(admin, gateway, segments):
    gateway.on("POST", EVENTS, 201, an_event())
    post(admin, "/office/events/new", form_of(capacity="many", guests_allowed="2"))
    sent = gateway.sent("POST", EVENTS)[-1].json
    assert sent["capacity"] == "many" and sent["guests_allowed"] == 2


def test_an_online_event_for_a_segment_without_a_limit(admin, gateway, segments):
    gateway.on("POST", EVENTS, 201, an_event())
    post(admin, "/office/events/new", form_of(**{
        "kind": "webinar", "place.name": "", "place.address": "", "place.city": "", "capacity": "",
        "online_url": "https://meet.example.bg/x", "audience.kind": "segment", "audience.segment_id": "s" * 32,
        "audience.year_from": "2006"}))
    sent = gateway.sent("POST", EVENTS)[-1].json
    assert sent["place"] is None and sent["capacity"] is None and sent["online_url"] == "https://meet.example.bg/x"
    assert sent["audience"] == {"kind": "segment", "segment_id": "s" * 32}


def test_the_api_s_field_errors_are_shown_at_their_fields_and_what_was_typed_is_kept(admin, gateway, segments):
    gateway.problem("POST", EVENTS, 422, "validation", "Invalid input.", errors={
        "title": {"en": ["Missing data for required field."]}, "ends_at": ["Must be after starts_at."],
        "place": ["Give a place or an online link."], "audience": {"year_to": ["Must not be before year_from."]}})
    response = post(admin, "/office/events/new", form_of(**{"title.en": "", "ends_at": "2026-12-12T17:00"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#f-title-en"' in page and "This field is required." in page
    assert "The end must be after the start." in page and 'href="#f-ends_at"' in page
    assert 'href="#f-place-name"' in page and "Give a place or an online link." in page
    assert 'href="#f-audience-year_to"' in page and "Must not be before the first year." in page
    assert 'value="2026-12-12T17:00"' in page and "Среща на випуск 2006" in page
    assert page.count('aria-invalid="true"') == 4


def test_field_errors_in_bulgarian(admin, gateway, segments):
    gateway.problem("POST", EVENTS, 422, "validation", "Invalid input.", errors={
        "capacity": ["Not a valid integer."], "online_url": ["A webinar needs its link."],
        "starts_at": ["Must be in the years 1900 to 2199."]})
    admin.get("/language/bg")
    page = post(admin, "/office/events/new", form_of(capacity="many")).get_data(as_text=True)
    assert "Въведете цяло число." in page and "Уебинарът има нужда от онлайн връзка." in page
    assert "Въведете дата в годините от 1900 до 2199." in page
    assert "A webinar needs its link." not in page


@pytest.mark.parametrize("status, kind, words", [(429, "too-many-requests", "Too many attempts"),
                                                 (409, "conflict", "This did not work")])
def test_other_problems_on_create_are_said_above_the_form(admin, gateway, segments, status, kind, words):
    gateway.problem("POST", EVENTS, status, kind, "A request with this Idempotency-Key is still being processed.")
    response = post(admin, "/office/events/new", form_of())
    assert response.status_code == status and words in response.get_data(as_text=True)


@pytest.mark.parametrize("status, kind, errors, words", [
    (409, "idempotency-in-progress", None, "This event is being saved already."),
    (422, "idempotency-mismatch", {"Idempotency-Key": ["Used with a different body."]},
     "This form has already created an event.")])
def test_the_form_s_key_met_again_is_explained_without_field_errors(admin, gateway, segments, status, kind,
                                                                      errors, words):
    gateway.problem("POST", EVENTS, status, kind, "Idempotency.", errors=errors)
    response = post(admin, "/office/events/new", {**form_of(), "idempotency_key": "k-1"})
    page = response.get_data(as_text=True)
    assert response.status_code == status and words in page and 'aria-invalid="true"' not in page
    assert 'name="idempotency_key" value="k-1"' not in page  # a new key for the next try


def test_a_403_from_the_api_on_create_is_the_403_page(admin, gateway, segments):
    gateway.problem("POST", EVENTS, 403, "forbidden", "Admins only.")
    assert post(admin, "/office/events/new", form_of()).status_code == 403


def test_the_form_works_without_the_segments(admin, gateway):
    gateway.problem("GET", "/api/v1/members/segments", 403, "forbidden")
    assert admin.get("/office/events/new").status_code == 200


def test_create_when_the_api_is_down(admin, gateway, segments):
    token = csrf_token(admin, "/office/events/new")
    gateway.down = True
    assert admin.post("/office/events/new", data={**form_of(), "csrf_token": token}).status_code == 503


def test_a_form_without_its_csrf_token_sends_nothing(admin, gateway):
    assert admin.post("/office/events/new", data=form_of()).status_code == 400
    assert gateway.sent("POST", EVENTS) == []


# --------------------------------------------------------------------------- one event

def test_the_event_page_shows_both_languages_and_the_actions_of_a_draft(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event())
    page = admin.get(f"/office/events/{EVENT_ID}").get_data(as_text=True)
    assert "Среща на випуск 2006" in page and "Class of 2006 reunion" in page and "Twenty years on." in page
    assert f'action="/office/events/{EVENT_ID}/publish"' in page and "Graduates of 2006" in page
    assert f'href="/office/events/{EVENT_ID}/attendance.csv"' in page


@pytest.mark.parametrize("audience, words", [
    ({"kind": "graduation_years", "year_from": 2000, "year_to": None}, "Graduates of 2000–…"),
    ({"kind": "faculty", "faculty": "dental_medicine"}, "Faculty: Dental medicine"),
    ({"kind": "segment", "segment_id": "s" * 32}, "Segment: Cardiologists abroad"),
    ({"kind": "all"}, "Everyone")])
def test_the_event_page_says_who_it_is_for(admin, gateway, segments, audience, words):
    gateway.on("GET", ONE, 200, an_event(audience=audience))
    assert words in admin.get(f"/office/events/{EVENT_ID}").get_data(as_text=True)


def test_a_cancelled_event_offers_no_edit_nor_publish(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="cancelled", cancel_reason="The hall is flooded."))
    page = admin.get(f"/office/events/{EVENT_ID}").get_data(as_text=True)
    assert "The hall is flooded." in page and "/publish" not in page and "/edit" not in page


def test_an_unknown_event_is_404(admin, gateway):
    gateway.problem("GET", ONE, 404, "not-found", "No such event.")
    for path in (f"/office/events/{EVENT_ID}", f"/office/events/{EVENT_ID}/edit",
                 f"/office/events/{EVENT_ID}/registrations", f"/office/events/{EVENT_ID}/cancel"):
        assert admin.get(path).status_code == 404, path


# --------------------------------------------------------------------------- edit

def test_the_edit_form_shows_times_in_the_event_s_zone(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event(timezone="Europe/London"))
    page = admin.get(f"/office/events/{EVENT_ID}/edit").get_data(as_text=True)
    assert 'value="2026-12-12T16:00"' in page and 'value="2026-12-12T20:00"' in page
    assert 'value="Europe/London"' in page and "Среща на випуск 2006" in page


def test_an_edit_sends_only_what_changed(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event())
    gateway.on("PATCH", ONE, 200, an_event())
    response = post(admin, f"/office/events/{EVENT_ID}/edit",
                    form_of(**{"description.en": "Twenty years on!", "capacity": "150"}))
    assert response.status_code == 302
    assert gateway.sent("PATCH", ONE)[-1].json == {
        "description": {"bg": "Двадесет години по-късно.", "en": "Twenty years on!"}, "capacity": 150}


def test_a_new_time_zone_sends_the_times_typed_in_it(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event())
    gateway.on("PATCH", ONE, 200, an_event())
    post(admin, f"/office/events/{EVENT_ID}/edit", form_of(timezone="Europe/Vienna"))
    assert gateway.sent("PATCH", ONE)[-1].json == {
        "timezone": "Europe/Vienna", "starts_at": "2026-12-12T18:00", "ends_at": "2026-12-12T22:00"}


def test_an_edit_that_changes_nothing_sends_nothing(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event())
    response = post(admin, f"/office/events/{EVENT_ID}/edit", form_of())
    assert response.status_code == 302 and gateway.sent("PATCH", ONE) == []


def test_a_capacity_below_the_confirmed_people_is_explained_at_the_field(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.problem("PATCH", ONE, 409, "conflict", "The change contradicts the event.",
                    errors={"capacity": ["40 people are already confirmed."]})
    response = post(admin, f"/office/events/{EVENT_ID}/edit", form_of(capacity="10"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "40 people are already confirmed: the capacity cannot be lower." in page and 'value="10"' in page


def test_editing_a_cancelled_event_is_explained(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event())
    gateway.problem("PATCH", ONE, 409, "conflict", "A cancelled event cannot change.")
    response = post(admin, f"/office/events/{EVENT_ID}/edit", form_of(capacity="130"))
    assert response.status_code == 409 and "it can no longer be changed" in response.get_data(as_text=True)


def test_an_edit_of_an_event_removed_meanwhile_is_404(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event())
    gateway.problem("PATCH", ONE, 404, "not-found", "No such event.")
    assert post(admin, f"/office/events/{EVENT_ID}/edit", form_of(capacity="130")).status_code == 404


# --------------------------------------------------------------------------- publish and cancel

def test_publishing(admin, gateway):
    gateway.on("GET", ONE, 200, an_event())
    gateway.on("POST", f"{ONE}/publish", 200, an_event(status="published"))
    response = post(admin, f"/office/events/{EVENT_ID}/publish", {}, form_path=f"/office/events/{EVENT_ID}")
    assert response.status_code == 302 and len(gateway.sent("POST", f"{ONE}/publish")) == 1
    assert "The event is published" in admin.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("detail, errors, words", [
    ("A cancelled event cannot be published.", None, "A cancelled event cannot be published."),
    ("The event is over.", {"ends_at": ["Already past."]}, "The event is already over.")])
def test_publishing_refused(admin, gateway, detail, errors, words):
    gateway.on("GET", ONE, 200, an_event())
    gateway.problem("POST", f"{ONE}/publish", 409, "conflict", detail, errors=errors)
    response = post(admin, f"/office/events/{EVENT_ID}/publish", {}, form_path=f"/office/events/{EVENT_ID}")
    assert response.status_code == 302
    assert words in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_cancelling_asks_for_confirmation_and_a_reason(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    page = admin.get(f"/office/events/{EVENT_ID}/cancel").get_data(as_text=True)
    assert "cannot be undone" in page and 'name="reason"' in page and "Yes, cancel the event" in page
    assert gateway.sent("POST", f"{ONE}/cancel") == []


def test_cancelling_sends_the_reason(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.on("POST", f"{ONE}/cancel", 200, an_event(status="cancelled"))
    response = post(admin, f"/office/events/{EVENT_ID}/cancel", {"reason": " The hall is flooded. "})
    assert response.status_code == 302
    assert gateway.sent("POST", f"{ONE}/cancel")[-1].json == {"reason": "The hall is flooded."}


def test_cancelling_without_a_reason_is_explained_at_the_field(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.problem("POST", f"{ONE}/cancel", 422, "validation", "Invalid input.",
                    errors={"reason": ["Field may not be null."]})
    response = post(admin, f"/office/events/{EVENT_ID}/cancel", {"reason": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#f-reason"' in page and "This field is required." in page


def test_an_event_cancelled_already_goes_back_to_its_page(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="cancelled"))
    response = admin.get(f"/office/events/{EVENT_ID}/cancel")
    assert response.status_code == 302 and gateway.sent("POST", f"{ONE}/cancel") == []


# --------------------------------------------------------------------------- registrations and attendance

REGISTRATIONS = {"items": [
    {"id": f"{EVENT_ID}:m-1", "event_id": EVENT_ID, "member_id": "m-1", "guests": 1, "party": 2,
     "status": "confirmed", "position": None, "ticket_code": CODE, "registered_at": "2026-11-01T10:00:00+00:00",
     "checked_in_at": "2026-12-12T16:02:00+00:00", "cancel_reason": None},
    {"id": f"{EVENT_ID}:m-2", "event_id": EVENT_ID, "member_id": "m-2", "guests": 0, "party": 1,
     "status": "waitlisted", "position": 1, "ticket_code": None, "registered_at": "2026-11-02T10:00:00+00:00",
     "checked_in_at": None, "cancel_reason": None},
    {"id": f"{EVENT_ID}:gone", "event_id": EVENT_ID, "member_id": None, "guests": 0, "party": 1,
     "status": "cancelled", "position": None, "ticket_code": None, "registered_at": "2026-11-03T10:00:00+00:00",
     "checked_in_at": None, "cancel_reason": "erased"}], "page": 1, "per_page": 25, "total": 3}


def test_registrations_and_the_waitlist(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.on("GET", f"{ONE}/registrations", 200, REGISTRATIONS)
    gateway.on("GET", "/api/v1/members/m-1", 200, {"id": "m-1", "given_name": "Мария", "family_name": "Иванова"})
    gateway.problem("GET", "/api/v1/members/m-2", 404, "not-found")
    page = html(admin.get(f"/office/events/{EVENT_ID}/registrations"))
    assert "Мария Иванова" in page and "6:02 PM" in page and "No. 1 in the queue" in page
    assert "+1 guest" in page
    assert "Member m-2" in page and "A former member" in page and "the member left" in page
    assert 'class="table-wrap"' in page and CODE not in page
    assert gateway.sent("GET", f"{ONE}/registrations")[-1].params == {"page": 1, "per_page": 25}


def test_registrations_of_one_status(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.on("GET", f"{ONE}/registrations", 200, {"items": [], "page": 2, "per_page": 25, "total": 0})
    page = admin.get(f"/office/events/{EVENT_ID}/registrations?status=waitlisted&page=2").get_data(as_text=True)
    assert gateway.sent("GET", f"{ONE}/registrations")[-1].params == {"page": 2, "per_page": 25,
                                                                      "status": "waitlisted"}
    assert "No registrations here yet." in page
    # The shared page links keep the event in the path and the status in the query.
    assert (f'rel="prev" href="/office/events/{EVENT_ID}/registrations?status=waitlisted&amp;page=1"') in page
    admin.get(f"/office/events/{EVENT_ID}/registrations?status=bogus")
    assert gateway.sent("GET", f"{ONE}/registrations")[-1].params == {"page": 1, "per_page": 25}


def test_the_attendance_csv_is_passed_through_with_the_admin_s_token(admin, gateway):
    csv = "\ufeffmember_id,given_name\r\nm-1,Мария\r\n".encode()
    gateway.on("GET", f"{ONE}/attendance.csv", 200, content=csv, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="x.csv"'})
    response = admin.get(f"/office/events/{EVENT_ID}/attendance.csv")
    assert response.status_code == 200 and response.data == csv
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="attendance-{EVENT_ID}.csv"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert gateway.sent("GET", f"{ONE}/attendance.csv")[-1].headers["Authorization"] == "Bearer access-admin-1"


def test_the_attendance_csv_of_an_unknown_event_is_404(admin, gateway):
    gateway.problem("GET", f"{ONE}/attendance.csv", 404, "not-found", "No such event.")
    assert admin.get(f"/office/events/{EVENT_ID}/attendance.csv").status_code == 404


def test_the_attendance_csv_when_the_api_is_down(admin, gateway):
    gateway.down = True
    assert admin.get(f"/office/events/{EVENT_ID}/attendance.csv").status_code == 503


# --------------------------------------------------------------------------- the door

CHECK_INS = f"{ONE}/check-ins"


def checked_in(**changes) -> dict:
    result = {"status": "checked_in", "registration_id": f"{EVENT_ID}:m-1", "member_id": "m-1",
              "given_name": "Maria", "family_name": "Ivanova", "guests": 1,
              "checked_in_at": "2026-12-12T16:02:00+00:00", "checked_in_by": "staff-1"}
    result.update(changes)
    return result


@pytest.fixture
def door(staff, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    return staff


def scan(client, code: str = CODE):
    return post(client, f"/office/events/{EVENT_ID}/check-in", {"code": code})


def test_the_check_in_field_is_focused_empty_and_labelled(door):
    page = door.get(f"/office/events/{EVENT_ID}/check-in").get_data(as_text=True)
    field = re.search(r'<input id="f-code"[^>]*>', page).group(0)
    assert "autofocus" in field and 'value=""' in field and 'autocomplete="off"' in field
    assert '<label for="f-code">' in page and "scan-result" not in page


def test_a_scan_checks_in_and_shows_who_big(door, gateway):
    gateway.on("POST", CHECK_INS, 200, checked_in())
    token = csrf_token(door, f"/office/events/{EVENT_ID}/check-in")
    before = len(gateway.calls)
    response = door.post(f"/office/events/{EVENT_ID}/check-in", data={"code": f" alumnet:ticket:{CODE}\n",
                                                                      "csrf_token": token})
    assert [c.method for c in gateway.calls[before:]] == ["POST"]  # the scan waits for nothing else
    assert response.status_code == 302 and response.headers["Location"] == f"/office/events/{EVENT_ID}/check-in"
    assert gateway.sent("POST", CHECK_INS)[-1].json == {"code": f"alumnet:ticket:{CODE}"}
    page = door.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in: Maria Ivanova (+1 guest)" in page and 'class="scan-result ok"' in page
    field = re.search(r'<input id="f-code"[^>]*>', page).group(0)
    assert "autofocus" in field and 'value=""' in field
    assert "scan-result" not in door.get(response.headers["Location"]).get_data(as_text=True)  # shown once


def test_a_second_scan_says_when_and_by_whom(door, gateway):
    gateway.on("POST", CHECK_INS, 200, checked_in(status="already_checked_in", checked_in_by="staff-2", guests=2))
    gateway.on("GET", "/api/v1/members/staff-2", 200, {"id": "staff-2", "given_name": "Petar", "family_name": "Petrov"})
    page = html(door.get(scan(door).headers["Location"]))
    assert "Maria Ivanova is already checked in. (+2 guests)" in page
    assert "Already checked in at 6:02 PM by Petar Petrov." in page and 'class="scan-result again"' in page


def test_a_second_scan_of_one_s_own_check_in_says_by_you(door, gateway):
    gateway.on("POST", CHECK_INS, 200, checked_in(status="already_checked_in", checked_in_by="staff-1", guests=0))
    page = html(door.get(scan(door).headers["Location"]))
    assert "Already checked in at 6:02 PM by you." in page and "guest" not in page.split("scan-result")[1]


def test_who_checked_in_is_not_always_known(door, gateway):
    gateway.on("POST", CHECK_INS, 200, checked_in(status="already_checked_in", checked_in_by="staff-9",
                                                  given_name=None, family_name=None))
    gateway.problem("GET", "/api/v1/members/staff-9", 404, "not-found")
    page = html(door.get(scan(door).headers["Location"]))
    assert "This ticket is already checked in." in page
    assert "Already checked in at 6:02 PM by someone else at the door." in page


def test_times_at_the_door_are_in_the_event_s_zone(staff, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published", timezone="Europe/London"))
    gateway.on("POST", CHECK_INS, 200, checked_in(status="already_checked_in", checked_in_by="staff-1"))
    page = html(staff.get(scan(staff).headers["Location"]))
    assert "Already checked in at 4:02 PM by you." in page


def test_the_door_in_bulgarian(door, gateway):
    door.get("/language/bg")
    gateway.on("POST", CHECK_INS, 200, checked_in(status="already_checked_in", checked_in_by="staff-1"))
    page = html(door.get(scan(door).headers["Location"]))
    assert "Билетът на Maria Ivanova вече е използван. (+1 гост)" in page
    assert "Билетът е отбелязан в 18:02 от вас." in page
    gateway.on("POST", CHECK_INS, 200, checked_in())
    page = html(door.get(scan(door).headers["Location"]))
    assert "Влезе: Maria Ivanova (+1 гост)" in page


@pytest.mark.parametrize("status, kind, detail, errors, words", [
    (404, "no-ticket", "No valid ticket for this event.", None, "Not a ticket for this event."),
    (422, "validation", "Invalid input.", {"code": ["Not a ticket code: scan the ticket's QR code or type the code "
                                                    "under it."]}, "Not a ticket for this event."),
    (409, "conflict", "The event is cancelled.", None, "This event is cancelled: nobody is checked in."),
    (409, "conflict", "The event is not published.", None, "This event is not published yet."),
    (429, "too-many-requests", "Slow down.", None, "Too many scans at once.")])
def test_refused_scans_are_said_plainly_and_the_field_is_ready_again(door, gateway, status, kind, detail, errors,
                                                                     words):
    gateway.problem("POST", CHECK_INS, status, kind, detail, errors=errors)
    response = scan(door, "garbage")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert words in page and 'class="scan-result bad"' in page and 'role="alert"' in page
    field = re.search(r'<input id="f-code"[^>]*>', page).group(0)
    assert "autofocus" in field and 'value=""' in field


def test_enter_on_the_empty_field_asks_nothing(door, gateway):
    response = scan(door, "  ")
    assert response.status_code == 400 and "Scan a ticket first" in response.get_data(as_text=True)
    assert gateway.sent("POST", CHECK_INS) == []


def test_the_edit_form_of_a_published_event_says_who_is_told(admin, gateway, segments):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    assert "everyone registered is told" in admin.get(f"/office/events/{EVENT_ID}/edit").get_data(as_text=True)
    gateway.on("GET", ONE, 200, an_event())
    assert "everyone registered is told" not in admin.get(f"/office/events/{EVENT_ID}/edit").get_data(as_text=True)


def test_check_in_not_open_yet_says_when_in_the_event_s_zone(door, gateway):
    gateway.problem("POST", CHECK_INS, 409, "check-in-closed", "Check-in opens at 2026-12-12T12:00:00+02:00.",
                    opens_at="2026-12-12T10:00:00+00:00", closes_at="2026-12-12T20:00:00+00:00")
    page = html(scan(door))
    assert "Check-in opens at Dec 12, 2026, 12:00 PM." in page


def test_check_in_closed_says_when(door, gateway):
    gateway.problem("POST", CHECK_INS, 409, "check-in-closed", "Check-in closed at 2026-12-12T22:00:00+02:00, "
                    "when the event ended.", opens_at="2026-12-12T10:00:00+00:00", closes_at="2026-12-12T20:00:00+00:00")
    assert "Check-in closed at Dec 12, 2026, 10:00 PM, when the event ended." in html(scan(door))


def test_a_403_at_the_door_is_the_403_page(door, gateway):
    gateway.problem("POST", CHECK_INS, 403, "forbidden", "Not staff.")
    assert scan(door).status_code == 403


def test_the_door_of_an_unknown_event_is_404(staff, gateway):
    gateway.problem("GET", ONE, 404, "not-found", "No such event.")
    assert staff.get(f"/office/events/{EVENT_ID}/check-in").status_code == 404
    gateway.on("GET", EVENTS, 200, {"items": [], "page": 1, "per_page": 50, "total": 0})
    gateway.problem("POST", CHECK_INS, 404, "not-found", "No such event.")
    assert post(staff, f"/office/events/{EVENT_ID}/check-in", {"code": CODE},
                form_path="/office/events/today").status_code == 404


def test_the_door_when_the_api_is_down(door, gateway):
    token = csrf_token(door, f"/office/events/{EVENT_ID}/check-in")
    gateway.down = True
    assert door.post(f"/office/events/{EVENT_ID}/check-in", data={"code": CODE, "csrf_token": token}).status_code == 503


def test_a_result_is_shown_only_on_its_own_event_s_door(door, gateway, client):
    gateway.on("POST", CHECK_INS, 200, checked_in())
    scan(door)
    other = "d" * 32
    gateway.on("GET", f"/api/v1/events/{other}", 200, an_event(id=other, status="published"))
    assert "scan-result" not in door.get(f"/office/events/{other}/check-in").get_data(as_text=True)
    assert "Checked in: Maria" in door.get(f"/office/events/{EVENT_ID}/check-in").get_data(as_text=True)


def test_admins_run_the_door_too(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.on("POST", CHECK_INS, 200, checked_in(checked_in_by="admin-1"))
    response = post(admin, f"/office/events/{EVENT_ID}/check-in", {"code": CODE})
    assert "Checked in: Maria Ivanova" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert gateway.sent("POST", CHECK_INS)[-1].headers["Authorization"] == "Bearer access-admin-1"


# --------------------------------------------------------------------------- every page, when the API refuses or is away

GET_PAGES = [("/office/events", EVENTS), ("/office/events/today", EVENTS),
             (f"/office/events/{EVENT_ID}", ONE), (f"/office/events/{EVENT_ID}/edit", ONE),
             (f"/office/events/{EVENT_ID}/cancel", ONE), (f"/office/events/{EVENT_ID}/registrations", ONE),
             (f"/office/events/{EVENT_ID}/check-in", ONE), (f"/office/events/{EVENT_ID}/attendance.csv",
                                                            f"{ONE}/attendance.csv")]


@pytest.mark.parametrize("page, api", GET_PAGES)
@pytest.mark.parametrize("status, kind", [(403, "forbidden"), (404, "not-found"), (429, "too-many-requests")])
def test_a_refusal_of_the_api_is_the_page_s_status_in_words(admin, gateway, segments, page, api, status, kind):
    gateway.problem("GET", api, status, kind, "No.")
    response = admin.get(page)
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("page, _api", GET_PAGES)
def test_every_page_when_the_api_is_down(admin, gateway, page, _api):
    gateway.down = True
    response = admin.get(page)
    assert response.status_code == 503 and b"try again" in response.data.lower()


def test_the_registrations_api_refusing_is_the_page_s_status(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.problem("GET", f"{ONE}/registrations", 429, "too-many-requests", "Slow down.")
    assert admin.get(f"/office/events/{EVENT_ID}/registrations").status_code == 429


@pytest.mark.parametrize("status, kind", [(404, "not-found"), (403, "forbidden")])
def test_publishing_an_event_the_api_does_not_know_or_allow(admin, gateway, status, kind):
    gateway.on("GET", ONE, 200, an_event())
    gateway.problem("POST", f"{ONE}/publish", status, kind, "No.")
    assert post(admin, f"/office/events/{EVENT_ID}/publish", {}, form_path=f"/office/events/{EVENT_ID}").status_code == status


def test_publishing_too_often_is_said_on_the_event_page(admin, gateway):
    gateway.on("GET", ONE, 200, an_event())
    gateway.problem("POST", f"{ONE}/publish", 429, "too-many-requests", "Slow down.")
    response = post(admin, f"/office/events/{EVENT_ID}/publish", {}, form_path=f"/office/events/{EVENT_ID}")
    assert "Too many attempts" in admin.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("status, kind", [(404, "not-found"), (403, "forbidden")])
def test_cancelling_refused(admin, gateway, status, kind):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.problem("POST", f"{ONE}/cancel", status, kind, "No.")
    assert post(admin, f"/office/events/{EVENT_ID}/cancel", {"reason": "x"}).status_code == status


def test_cancelling_too_often(admin, gateway):
    gateway.on("GET", ONE, 200, an_event(status="published"))
    gateway.problem("POST", f"{ONE}/cancel", 429, "too-many-requests", "Slow down.")
    response = post(admin, f"/office/events/{EVENT_ID}/cancel", {"reason": "The hall is flooded."})
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)
    assert "The hall is flooded." in response.get_data(as_text=True)  # what was typed is kept

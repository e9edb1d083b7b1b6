"""The office's events pages against the real events service (its app under Flask's test
client on the session's local store, its clock fixed), the members API faked: what the pages
send is what the service takes, and what it answers is what the pages show.

An admin creates an event in both languages, edits it, publishes it; a member's confirmed
registration is stored as the registrations module stores it; at the door the admin checks
her in twice (the second scan says when and by whom), downloads the attendance list and
cancels the event.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet

from frontends.portal.app import create_app as create_portal
from frontends.portal.settings import PortalSettings
from tests.unit.events.conftest import app as events, clock  # noqa: F401  (the events app at NOW, below)
from tests.unit.portal.conftest import csrf_token, log_in
from tests.unit.portal.bridge import Bridge
from tests.unit.portal.test_console_events import form_of

ADMIN, MEMBER = "a" * 32, "1" * 32
NOW = datetime(2030, 6, 1, 9, 0, tzinfo=timezone.utc)
AT_THE_DOOR = datetime(2030, 6, 10, 14, 30, tzinfo=timezone.utc)  # 17:30 in Sofia, the event starts at 18:00


@pytest.fixture
def office(events, issue_token):
    """The portal in front of the events app, an admin logged in with a real admin token."""
    bridge = Bridge(events.test_client(), lambda path: path.startswith("/api/v1/events"))
    settings = PortalSettings(api_url=bridge.base_url, session_key=Fernet.generate_key().decode(), dev_mode=False,
                              api_timeout_s=5, trusted_proxies=1, dev_outbox_dir="/nonexistent")
    portal = create_portal(settings, transport=bridge)
    browser = portal.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(browser, bridge, member_id=ADMIN, roles=("admin",), given_name="Office")
    token = issue_token(ADMIN, "admin")
    with browser.session_transaction() as session:  # the login's token, one the events service trusts
        session["auth"] = {**session["auth"], "access_token": token}
    bridge.on("GET", "/api/v1/members/segments", 200, {"items": [], "page": 1, "per_page": 100, "total": 0})
    browser.bridge = bridge
    return browser


def post(client, path: str, data: dict, form_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


def text(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


FORM = form_of(**{
    "title.bg": "Среща на випуск 2010", "title.en": "Class of 2010 reunion",
    "description.bg": "Двадесет години по-късно.\nЗаповядайте!", "starts_at": "2030-06-10T18:00",
    "ends_at": "2030-06-10T22:00", "guests_allowed": "2", "place.name": "Аула",
    "place.address": "бул. „Васил Априлов“ 15А", "place.city": "Пловдив", "audience.year_from": "2010",
    "audience.year_to": "2010"})


def test_a_start_in_the_hour_the_clocks_skip_is_refused_at_its_field_in_bulgarian(office, events):
    office.get("/language/bg")
    # 2031-03-30: Sofia's clocks go from 03:00 to 04:00; 03:30 never shows.
    response = post(office, "/office/events/new", {**FORM, "starts_at": "2031-03-30T03:30",
                                                   "ends_at": "2031-03-30T06:00"})
    page = text(response)
    assert response.status_code == 422 and 'href="#f-starts_at"' in page
    assert "Такъв час няма тази нощ: часовниците се преместват напред." in page
    assert events.extensions["alumnet"].store.db.events.count_documents({}) == 0


def test_an_event_from_creation_to_the_door_and_its_cancellation(office, events, clock):
    db = events.extensions["alumnet"].store.db
    # Created as a draft in both languages, at 18:00 Sofia time.
    response = post(office, "/office/events/new", FORM)
    assert response.status_code == 302, text(response)
    event_path = response.headers["Location"]
    event_id = event_path.rsplit("/", 1)[1]
    page = text(office.get(event_path))
    assert "Среща на випуск 2010" in page and "Class of 2010 reunion" in page and "Draft" in page
    assert "Jun 10, 2030, 6:00 PM" in page and "Graduates of 2010" in page
    stored = db.events.find_one({"_id": event_id})
    assert stored["starts_at"].replace(tzinfo=timezone.utc) == datetime(2030, 6, 10, 15, 0, tzinfo=timezone.utc)
    assert stored["capacity"] == 120 and stored["guests_allowed"] == 2

    # Refused by the service: shown at the field, nothing changed.
    response = post(office, f"{event_path}/edit", {**FORM, "ends_at": "2030-06-10T17:00"})
    assert response.status_code == 409 and "The end must be after the start." in text(response)
    assert 'href="#f-ends_at"' in text(response)

    # An edit sends only what changed; the form shows it back in Sofia time.
    assert post(office, f"{event_path}/edit", {**FORM, "capacity": "150"}).status_code == 302
    assert db.events.find_one({"_id": event_id})["capacity"] == 150
    assert 'value="2030-06-10T18:00"' in text(office.get(f"{event_path}/edit"))

    assert post(office, f"{event_path}/publish", {}, form_path=event_path).status_code == 302
    assert "Published" in text(office.get(event_path))

    # Maria's confirmed registration with one guest, as the registrations module stores it.
    code = secrets.token_urlsafe(16)
    db.members.insert_one({"_id": MEMBER, "status": "verified", "given_name": "Мария", "family_name": "Иванова"})
    db.registrations.insert_one({
        "_id": f"{event_id}:{MEMBER}", "event_id": event_id, "member_id": MEMBER, "guests": 1, "party": 2,
        "status": "confirmed", "position": None, "ticket_code": code, "registered_at": NOW, "confirmed_at": NOW,
        "promoted_at": None, "cancelled_at": None, "cancel_reason": None, "checked_in_at": None,
        "checked_in_by": None, "anonymised_at": None})
    office.bridge.on("GET", f"/api/v1/members/{MEMBER}", 200,
                     {"id": MEMBER, "given_name": "Мария", "family_name": "Иванова"})

    door = f"{event_path}/check-in"
    assert "Check-in opens at Jun 10, 2030, 12:00 PM." in text(post(office, door, {"code": code}))
    clock.at = AT_THE_DOOR
    assert "Not a ticket for this event." in text(post(office, door, {"code": "x" * 22}))
    first = office.get(post(office, door, {"code": f"alumnet:ticket:{code}"}).headers["Location"])
    assert "Checked in: Мария Иванова (+1 guest)" in text(first)
    again = office.get(post(office, door, {"code": code}).headers["Location"])
    assert "Already checked in at 5:30 PM by you." in text(again)

    page = text(office.get(f"{event_path}/registrations"))
    assert "Мария Иванова" in page and "5:30 PM" in page and "+1 guest" in page

    attendance = office.get(f"{event_path}/attendance.csv")
    assert attendance.status_code == 200 and attendance.mimetype == "text/csv"
    assert re.search(r"Мария,Иванова,1,checked_in", attendance.get_data(as_text=True))

    response = post(office, f"{event_path}/cancel", {"reason": "The hall is flooded."})
    assert response.status_code == 302
    page = text(office.get(event_path))
    assert "Cancelled: The hall is flooded." in page and f"{event_path}/edit" not in page
    assert "This event is cancelled: nobody is checked in." in text(post(office, door, {"code": code}))

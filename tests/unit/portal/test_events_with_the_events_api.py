"""The events pages against the real events API (its app under Flask's test client on the
session's local store), not against programmed answers: what the pages send is what the API
takes, and what it answers is what the pages read. The members API (login) stays fake; the
page's session tokens are swapped for real ones on the way to the events app.

A member of the class of 2012 registers for the reunion with a guest, sees her ticket with a
real QR code, downloads the .ics, gets her calendar feed and cancels; a second member, when
the reunion is full, is waitlisted with her place shown; a member of another class finds
the reunion "not found".
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.events import readmodel_store
from services.events.app import create_app as create_events_app
from shared.clock import FixedClock
from tests.unit.portal.conftest import csrf_token, log_in
from tests.unit.portal.fake_gateway import Call, FakeGateway, FakeResponse

NOW = datetime.now(timezone.utc).replace(microsecond=0)
STARTS = NOW + timedelta(days=30)


class Platform(FakeGateway):
    """The gateway: /api/v1/events... to the real events app, the rest to the fake rules."""

    def __init__(self, events_client, tokens: dict[str, str]):
        super().__init__()
        self.events, self.tokens = events_client, tokens

    def request(self, method, url, headers=None, json=None, params=None, data=None, files=None, timeout=None,
                allow_redirects=True):
        path = url[len(self.base_url):]
        if not path.startswith("/api/v1/events"):
            return super().request(method, url, headers, json, params, data, files, timeout, allow_redirects)
        sent = dict(headers or {})
        self.calls.append(Call(method, path, sent, json, params, data, files))
        if "Authorization" in sent:
            sent["Authorization"] = f"Bearer {self.tokens[sent['Authorization'].removeprefix('Bearer access-')]}"
        answer = self.events.open(path, method=method, headers=sent, json=json, query_string=params)
        return FakeResponse(answer.status_code, headers=dict(answer.headers), content=answer.data)


@pytest.fixture
def events_app(make_config):
    app = create_events_app(make_config(AMQP_URL="memory://"))
    app.extensions["alumnet"].clock = FixedClock(NOW)
    return app


@pytest.fixture
def people(events_app, issue_token):
    """Members the events service knows (verified), by member id -> their real token."""
    tokens = {"admin-1": issue_token("admin-1", "admin")}
    db = events_app.extensions["alumnet"].store.db

    def add(graduation_year: int) -> str:
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(db, None, member_id, {"status": "verified", "graduation_year": graduation_year})
        tokens[member_id] = issue_token(member_id, "alumnus")
        return member_id
    return add, tokens


@pytest.fixture
def gateway(events_app, people):
    return Platform(events_app.test_client(), people[1])


@pytest.fixture
def reunion(events_app, people) -> str:
    office = {"Authorization": f"Bearer {people[1]['admin-1']}"}
    client = events_app.test_client()
    created = client.post("/api/v1/events", headers=office, json={
        "title": {"bg": "Среща на випуск 2012", "en": "Class of 2012 reunion"}, "kind": "reunion",
        "description": {"bg": "Десет години по-късно, в Аулата.", "en": "Ten years on, in the Aula."},
        "starts_at": STARTS.isoformat(), "ends_at": (STARTS + timedelta(hours=5)).isoformat(),
        "capacity": 3, "guests_allowed": 1,
        "place": {"name": "Аула на МУ-Пловдив", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"},
        "audience": {"kind": "graduation_years", "year_from": 2012, "year_to": 2012}})
    assert created.status_code == 201, created.get_json()
    event_id = created.get_json()["id"]
    assert client.post(f"/api/v1/events/{event_id}/publish", headers=office).status_code == 200
    return event_id


def page(response) -> str:
    return response.get_data(as_text=True)


def test_a_classmate_registers_with_a_guest_opens_her_ticket_and_cancels(client, gateway, people, reunion):
    maria = people[0](2012)
    log_in(client, gateway, member_id=maria)
    listing = page(client.get("/events?mine=1"))
    assert "Class of 2012 reunion" in listing and "3 of 3 seats left" in listing

    detail = page(client.get(f"/events/{reunion}"))
    assert "Ten years on, in the Aula." in detail and "The class of 2012" in detail
    response = client.post(f"/events/{reunion}/register",
                           data={"guests": "1", "csrf_token": csrf_token(client, f"/events/{reunion}")})
    assert response.status_code == 302, page(response)
    detail = page(client.get(f"/events/{reunion}"))
    assert "You are registered. Your ticket is ready." in detail and "1 of 3 seats left" in detail

    ticket = page(client.get(f"/events/{reunion}/ticket"))
    code = re.search(r'<code class="ticket-code">([^<]+)</code>', ticket).group(1)
    svg = client.get(f"/events/{reunion}/ticket.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert len(code) >= 16 and code not in svg.get_data(as_text=True)  # the code is drawn, not written
    assert client.get(f"/events/{reunion}/ticket.png").data.startswith(b"\x89PNG")
    ics = client.get(f"/events/{reunion}.ics")
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.data
    assert "Class of 2012 reunion" in ics.get_data(as_text=True)

    client.post("/events/calendar-feed", data={"action": "create",
                                               "csrf_token": csrf_token(client, "/events/calendar-feed")})
    feed_url = re.search(r'id="f-feed-url" type="url" value="([^"]+)"', page(client.get("/events/calendar-feed")))
    feed_path = feed_url.group(1).removeprefix("http://localhost").split("?")[0]
    assert gateway.events.get(feed_path).status_code == 200  # the address works, without a token

    assert "Class of 2012 reunion" in page(client.get("/events/mine"))
    response = client.post(f"/events/{reunion}/cancel",
                           data={"csrf_token": csrf_token(client, f"/events/{reunion}/cancel")})
    assert response.status_code == 302, page(response)
    detail = page(client.get(f"/events/{reunion}"))
    assert "Your registration is cancelled." in detail and "3 of 3 seats left" in detail
    assert client.get(f"/events/{reunion}/ticket").status_code == 404


def test_a_full_reunion_waitlists_with_the_place_and_guests_over_the_limit_are_refused(client, gateway, people,
                                                                                      reunion):
    first, second = people[0](2012), people[0](2012)
    log_in(client, gateway, member_id=first)
    token = csrf_token(client, f"/events/{reunion}")
    response = client.post(f"/events/{reunion}/register", data={"guests": "2", "csrf_token": token})
    assert response.status_code == 422 and "You may bring at most 1 guest to this event." in page(response)
    assert client.post(f"/events/{reunion}/register", data={"guests": "1", "csrf_token": token}).status_code == 302

    client.post("/logout", data={"csrf_token": token})
    log_in(client, gateway, member_id=second)
    response = client.post(f"/events/{reunion}/register",
                           data={"guests": "1", "csrf_token": csrf_token(client, f"/events/{reunion}")})
    detail = page(client.get(response.headers["Location"]))
    assert "you are on the waitlist: number 1" in detail and "You are on the waitlist: number 1." in detail
    assert client.get(f"/events/{reunion}/ticket").status_code == 404


def test_another_class_finds_the_reunion_not_found(client, gateway, people, reunion):
    log_in(client, gateway, member_id=people[0](2015))
    response = client.get(f"/events/{reunion}")
    assert response.status_code == 404 and "it is not for you" in page(response)
    assert "Class of 2012 reunion" not in page(client.get("/events"))

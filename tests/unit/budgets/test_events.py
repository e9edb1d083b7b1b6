"""What the events service's hot paths cost in store commands, against bench/budgets.toml:
the event list as a member sees it, registering, a cancellation that promotes the first
waitlisted, a check-in, a members event handled in the read model (inbox included), and
causes' joining and confirming of hours. Each runs once uncounted (a warm store), then once
counted, through the api's test client or as the consumer handles an event."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.events import handlers, readmodel_store
from services.events.app import create_app
from services.members.messages import CATALOG as MEMBERS, MEMBER_UPDATED
from shared.clock import FixedClock
from tests.support import bearer, consumer_like

EVENTS, CAUSES = "/api/v1/events", "/api/v1/events/causes"
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)
PLOVDIV = "1" * 32  # a segment


@pytest.fixture
def events(counter, make_config, issue_token, admin_headers):
    """The events api on a store client the counter sees, its clock at ``NOW``, with helpers."""
    app = create_app(make_config(AMQP_URL="memory://"))
    service = app.extensions["alumnet"]
    service.clock = FixedClock(NOW)
    # The token check reads the revocations once a second per process, not per request.
    service.verifier.revocations.refresh_s = 3600.0
    return Events(app, issue_token, admin_headers)


class Events:
    def __init__(self, app, issue_token, admin):
        self.app, self.client, self.db = app, app.test_client(), app.extensions["alumnet"].store.db
        self.issue_token, self.admin = issue_token, admin

    def member(self, **fields) -> dict:
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(self.db, None, member_id, {
            "status": "verified", "graduation_year": 2010, "city": "Plovdiv", "given_name": "Мария",
            "family_name": "Петрова", **fields})
        return {"id": member_id, "headers": bearer(self.issue_token(member_id, "alumnus"))}

    def published(self, starts: datetime = NOW + timedelta(days=30), **fields) -> dict:
        body = {"title": {"bg": "Среща на випуск 2010", "en": "Class of 2010 reunion"}, "kind": "reunion",
                "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=4)).isoformat(),
                "place": {"name": "Аула на МУ-Пловдив", "city": "Пловдив"}, "capacity": 100, **fields}
        event = self.client.post(EVENTS, json=body, headers=self.admin).get_json()
        response = self.client.post(f"{EVENTS}/{event['id']}/publish", headers=self.admin)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def register(self, event: dict, who: dict, status: int = 201) -> dict:
        response = self.client.post(f"{EVENTS}/{event['id']}/registrations", json={}, headers=who["headers"])
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def cancel(self, event: dict, who: dict) -> dict:
        response = self.client.delete(f"{EVENTS}/{event['id']}/registrations/mine", headers=who["headers"])
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def mine(self, event: dict, who: dict) -> dict:
        return self.client.get(f"{EVENTS}/{event['id']}/registrations/mine", headers=who["headers"]).get_json()


def test_the_event_list_as_a_member_sees_it(counter, budget, events):
    readmodel_store.save_segment(events.db, None, PLOVDIV, {"city": "Plovdiv"}, 1)
    for audience in ({"kind": "all"}, {"kind": "graduation_years", "year_from": 2005, "year_to": 2012},
                     {"kind": "segment", "segment_id": PLOVDIV}, {"kind": "faculty", "faculty": "pharmacy"}):
        events.published(audience=audience)
    maria = events.member()
    query = {"per_page": 2}  # a full page: the total is counted
    assert events.client.get(EVENTS, query_string=query, headers=maria["headers"]).status_code == 200  # warm
    with counter.counting(events.db.name) as seen:
        response = events.client.get(EVENTS, query_string=query, headers=maria["headers"])
    assert response.status_code == 200 and response.get_json()["total"] == 3  # not the pharmacy one
    budget.check("events.list", seen)


def test_registering(counter, budget, events):
    event = events.published()
    events.register(event, events.member())  # warm
    maria = events.member()
    with counter.counting(events.db.name) as seen:
        registration = events.register(event, maria)
    assert registration["status"] == "confirmed" and registration["ticket_code"]
    budget.check("events.register", seen)


def test_a_cancellation_that_promotes_the_first_waitlisted(counter, budget, events):
    def full_event() -> tuple[dict, dict, dict]:
        event, first, second = events.published(capacity=1), events.member(), events.member()
        events.register(event, first)
        assert events.register(event, second)["status"] == "waitlisted"
        return event, first, second

    event, first, _ = full_event()
    events.cancel(event, first)  # warm
    event, first, second = full_event()
    with counter.counting(events.db.name) as seen:
        cancelled = events.cancel(event, first)
    assert cancelled["status"] == "cancelled" and events.mine(event, second)["status"] == "confirmed"
    budget.check("events.cancel_with_promotion", seen)


def test_a_check_in(counter, budget, events):
    event = events.published(starts=NOW + timedelta(hours=1))  # the door opens 6 hours before
    codes = [events.register(event, events.member())["ticket_code"] for _ in range(2)]
    url = f"{EVENTS}/{event['id']}/check-ins"
    assert events.client.post(url, json={"code": codes[0]}, headers=events.admin).status_code == 200  # warm
    with counter.counting(events.db.name) as seen:
        response = events.client.post(url, json={"code": codes[1]}, headers=events.admin)
    assert response.status_code == 200 and response.get_json()["status"] == "checked_in"
    assert response.get_json()["given_name"] == "Мария"
    budget.check("events.check_in", seen)


def test_a_members_event_in_the_read_model(counter, budget, events):
    store = events.app.extensions["alumnet"].store
    handle = consumer_like(store, handlers.subscriptions(), inbox=True)

    def changed(member: dict, **fields):
        return MEMBERS.create(MEMBER_UPDATED, member["id"], {
            "member_id": member["id"], "changed": fields, "updated_at": NOW.isoformat()}, "budget")

    handle(changed(events.member(), city="Sofia"))  # warm
    maria = events.member()
    with counter.counting(events.db.name) as seen:
        handle(changed(maria, city="Sofia", open_to_volunteer=True))
    assert readmodel_store.member(events.db, maria["id"])["city"] == "Sofia"
    budget.check("events.members_event", seen)


def cause(events, **fields) -> dict:
    body = {"kind": "volunteering", "title": {"bg": "Ден на отворените врати", "en": "Open day"},
            "description": {"bg": "", "en": ""}, "deadline": (NOW + timedelta(days=30)).isoformat(),
            "roles": [{"role_id": "guide", "title": {"bg": "Водач", "en": "Guide"}, "slots": 10}], **fields}
    created = events.client.post(CAUSES, json=body, headers=events.admin).get_json()
    response = events.client.post(f"{CAUSES}/{created['id']}/publish", headers=events.admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def join(events, the_cause: dict, who: dict):
    return events.client.post(f"{CAUSES}/{the_cause['id']}/roles/guide/volunteers", json={}, headers=who["headers"])


def test_joining_a_cause(counter, budget, events):
    the_cause = cause(events, audience={"kind": "segment", "segment_id": PLOVDIV})
    readmodel_store.save_segment(events.db, None, PLOVDIV, {"city": "Plovdiv"}, 1)
    assert join(events, the_cause, events.member()).status_code == 201  # warm
    maria = events.member()
    with counter.counting(events.db.name) as seen:
        response = join(events, the_cause, maria)
    assert response.status_code == 201 and response.get_json()["status"] == "joined"
    budget.check("causes.join", seen)


def test_confirming_a_volunteers_hours(counter, budget, events):
    the_cause = cause(events)
    volunteers = [join(events, the_cause, events.member()).get_json()["volunteer_id"] for _ in range(2)]

    def confirm(volunteer_id: str):
        return events.client.post(f"{CAUSES}/{the_cause['id']}/volunteers/{volunteer_id}/hours",
                                  json={"hours": 4, "on": NOW.date().isoformat()}, headers=events.admin)

    assert confirm(volunteers[0]).status_code == 201  # warm
    with counter.counting(events.db.name) as seen:
        response = confirm(volunteers[1])
    assert response.status_code == 201 and response.get_json()["hours"] == 4
    budget.check("causes.confirm_hours", seen)

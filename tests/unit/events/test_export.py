"""A member's data export from the events service (``GET /api/v1/events/members/{id}/export``)
on the real app and the session's local store, the data made through the routes: an event
registered for and checked in at, a cause joined with a note and hours confirmed, a calendar
feed; another member alongside.

Checked: the export holds the member's registrations (with the event), check-in, volunteering,
hours, owned causes and feed, and none of the secrets (the ticket's code, the feed's secret or
its hash) nor other people's ids (who scanned, who confirmed, the other member); only the
member or an admin; a member the service has forgotten (``members.member.erased``) is a 404,
as the members service answers; an id it knows nothing of is an empty export.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest

from services.events import handlers, readmodel_store
from services.members.messages import CATALOG as MEMBERS_CATALOG
from services.members.messages import MEMBER_ERASED
from tests.support import assert_problem, bearer, consumer_like
from tests.unit.conftest import ADMIN_ID
from tests.unit.events.causes.conftest import CAUSES, NOW, join, published
from tests.unit.events.test_tickets import make_event

EVENTS = "/api/v1/events"
STARTS = NOW + timedelta(days=9, hours=5)


def export_url(member_id: str) -> str:
    return f"{EVENTS}/members/{member_id}/export"


@pytest.fixture
def people(db, issue_token):
    """Two verified members known to the events read model: ``maria`` (the one exported) and
    ``ivan`` (alongside her everywhere)."""
    made = {}
    for name, given in (("maria", "Мария"), ("ivan", "Иван")):
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(db, None, member_id, {"status": "verified", "graduation_year": 2010,
                                                           "given_name": given, "family_name": "Петрови"})
        made[name] = {"id": member_id, "headers": bearer(issue_token(member_id, "alumnus"))}
    return made


@pytest.fixture
def maria(client, admin, clock, people, issue_token) -> dict:
    """Maria's life in the events service, made through the routes; returns what the export
    must hold and must not."""
    maria, ivan = people["maria"], people["ivan"]
    event = make_event(client, admin, starts_at=STARTS.isoformat(), ends_at=(STARTS + timedelta(hours=3)).isoformat())
    for who in (maria, ivan):
        assert client.post(f"{EVENTS}/{event['id']}/registrations", json={"guests": 1},
                           headers=who["headers"]).status_code == 201
    ticket = client.get(f"{EVENTS}/{event['id']}/registrations/mine/ticket", headers=maria["headers"]).get_json()
    cause = published(client, admin, owner_id=maria["id"])
    volunteer = join(client, cause, maria, note="Мога и в събота.")
    join(client, cause, ivan)
    assert client.post(f"{CAUSES}/{cause['id']}/volunteers/{volunteer['volunteer_id']}/hours", headers=admin,
                       json={"hours": 4.5, "on": NOW.date().isoformat(), "note": "Водеше групите."}).status_code == 201
    feed = client.post(f"{EVENTS}/calendar-feed", headers=maria["headers"]).get_json()
    secret = feed["url"].rsplit("/", 1)[-1].removesuffix(".ics")
    clock.at = STARTS - timedelta(minutes=30)
    door = bearer(issue_token("door-keeper-1", "staff"))
    assert client.post(f"{EVENTS}/{event['id']}/check-ins", json={"code": ticket["code"]},
                       headers=door).status_code == 200
    return {**maria, "event": event, "cause": cause, "ticket_code": ticket["code"], "feed_secret": secret,
            "others": (ivan["id"], "door-keeper-1", ADMIN_ID)}


def test_the_export_holds_the_members_registrations_volunteering_and_hours_as_a_file(client, maria):
    response = client.get(export_url(maria["id"]), headers=maria["headers"])
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Disposition"] == f'attachment; filename="alumnet-events-{maria["id"]}.json"'
    body = response.get_json()
    assert body["service"] == "events" and body["exported_at"]
    assert body["member"]["given_name"] == "Мария" and body["member"]["id"] == maria["id"]
    [registration] = body["registrations"]
    assert (registration["status"], registration["guests"], registration["has_ticket"]) == ("confirmed", 1, True)
    assert registration["checked_in_at"] is not None
    assert registration["event"]["title"]["en"] == "Class of 2010 reunion"
    [volunteering] = body["causes"]["volunteering"]
    assert (volunteering["status"], volunteering["note"], volunteering["hours_total"]) == (
        "joined", "Мога и в събота.", 4.5)
    assert volunteering["cause"]["title"]["en"] == "Open day" and volunteering["role"]["role_id"] == "guide"
    [hours] = body["causes"]["hours"]
    assert (hours["hours"], hours["note"]) == (4.5, "Водеше групите.")
    assert [c["id"] for c in body["causes"]["owned"]] == [maria["cause"]["id"]]
    assert body["calendar_feed"]["created_at"]


def test_the_export_holds_no_secret_and_no_one_elses_id(client, maria):
    text = client.get(export_url(maria["id"]), headers=maria["headers"]).get_data(as_text=True)
    secrets = (maria["ticket_code"], maria["feed_secret"], hashlib.sha256(maria["feed_secret"].encode()).hexdigest())
    for value in (*secrets, *maria["others"], "Иван", "field_times", "sort_name", '"holds"'):
        assert value not in text, value
    assert all(key not in text for key in ('"ticket_code"', '"checked_in_by"', '"confirmed_by"'))


def test_only_the_member_or_an_admin_exports(client, admin, maria, people):
    assert_problem(client.get(export_url(maria["id"])), 401)
    assert "own" in assert_problem(client.get(export_url(maria["id"]), headers=people["ivan"]["headers"]),
                                   403)["detail"]
    as_admin = client.get(export_url(maria["id"]), headers=admin)
    assert as_admin.status_code == 200 and len(as_admin.get_json()["registrations"]) == 1


def test_an_erased_member_is_a_404_and_an_unknown_id_an_empty_export(app, client, admin, maria):
    deliver = consumer_like(app.extensions["alumnet"].store, handlers.subscriptions())
    deliver(MEMBERS_CATALOG.create(MEMBER_ERASED, maria["id"], {
        "member_id": maria["id"], "erased_at": NOW.isoformat()}, "test"))
    assert_problem(client.get(export_url(maria["id"]), headers=admin), 404)
    empty = client.get(export_url("f" * 32), headers=admin).get_json()
    assert (empty["member"], empty["registrations"], empty["calendar_feed"]) == (None, [], None)
    assert empty["causes"] == {"volunteering": [], "hours": [], "owned": []}


def test_the_export_is_documented(client):
    spec = client.get(f"{EVENTS}/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/events/members/{member_id}/export"]["get"]
    assert {"200", "403", "404"} <= set(operation["responses"])
    assert operation["summary"].startswith("Download everything the events service holds")
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"registrations", "causes", "calendar_feed"} <= set(spec["components"]["schemas"][schema]["properties"])

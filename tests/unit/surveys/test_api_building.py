"""The office builds surveys through the members HTTP API (the real app on the session's local
store): drafts are created, listed, changed and deleted by admins only; a definition's
problems are named; opening counts the audience and publishes ``members.survey.opened``,
closing publishes ``members.survey.closed``, each once and with the catalogue's schema."""
from __future__ import annotations

import uuid

from tests.support import assert_problem
from tests.unit.surveys.conftest import SURVEYS, definition, events


def test_an_admin_creates_a_draft_and_reads_it_back(client, admin_headers, clock):
    body = definition(now=clock())
    response = client.post(SURVEYS, json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    survey = response.get_json()
    assert response.headers["Location"].endswith(f"{SURVEYS}/{survey['id']}")
    assert len(survey["id"]) == 32 and uuid.UUID(survey["id"])
    assert survey["status"] == "draft" and survey["respondents"] == 0 and survey["audience_size"] is None
    assert survey["sections"][0]["questions"][1]["maps_to"] == "employer"
    assert survey["title"] == body["title"] and survey["audience"] == {"kind": "everyone"}
    assert client.get(f"{SURVEYS}/{survey['id']}", headers=admin_headers).get_json() == survey


def test_a_definition_s_problems_are_named_by_their_place(client, admin_headers, clock):
    body = definition(now=clock())
    body["sections"][0]["questions"][2]["choices"] = body["sections"][0]["questions"][2]["choices"][:1]
    body["sections"][1]["questions"][0]["id"] = "works"
    problem = assert_problem(client.post(SURVEYS, json=body, headers=admin_headers), 422)
    assert set(problem["errors"]) == {"langs", "works"}
    body = definition(now=clock())
    body["sections"][0]["questions"][0]["kind"] = "essay"
    problem = assert_problem(client.post(SURVEYS, json=body, headers=admin_headers), 422)
    assert "kind" in problem["errors"]["sections"]["0"]["questions"]["0"]


def test_only_admins_build(client, office, people):
    member = people.verified()
    assert_problem(client.post(SURVEYS, json=definition()), 401)
    assert_problem(client.post(SURVEYS, json=definition(), headers=member["headers"]), 403)
    assert_problem(client.get(SURVEYS, headers=member["headers"]), 403)
    draft = office.survey()
    for method in ("put", "delete"):
        assert_problem(getattr(client, method)(f"{SURVEYS}/{draft['id']}", json=definition(),
                                               headers=member["headers"]), 403)
    assert_problem(client.post(f"{SURVEYS}/{draft['id']}/open", headers=member["headers"]), 403)
    # A draft is not advertised to members.
    assert_problem(client.get(f"{SURVEYS}/{draft['id']}", headers=member["headers"]), 404)


def test_the_list_is_paginated_newest_first_and_filtered_by_status(client, admin_headers, office, clock):
    first = office.survey()
    clock.advance(seconds=1)
    opened = office.open_survey()
    clock.advance(seconds=1)
    last = office.survey()
    page = client.get(f"{SURVEYS}?per_page=2", headers=admin_headers).get_json()
    assert [s["id"] for s in page["items"]] == [last["id"], opened["id"]] and page["total"] == 3
    page = client.get(f"{SURVEYS}?page=2&per_page=2", headers=admin_headers).get_json()
    assert [s["id"] for s in page["items"]] == [first["id"]]
    page = client.get(f"{SURVEYS}?status=open", headers=admin_headers).get_json()
    assert [s["id"] for s in page["items"]] == [opened["id"]]
    assert_problem(client.get(f"{SURVEYS}?status=finished", headers=admin_headers), 422)


def test_a_draft_changes_and_is_deleted_but_an_open_survey_does_not(client, admin_headers, office, clock):
    draft = office.survey()
    changed = definition(now=clock(), anonymous=True)
    response = client.put(f"{SURVEYS}/{draft['id']}", json=changed, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["anonymous"] is True and response.get_json()["version"] == 2
    assert client.delete(f"{SURVEYS}/{draft['id']}", headers=admin_headers).status_code == 204
    assert_problem(client.get(f"{SURVEYS}/{draft['id']}", headers=admin_headers), 404)
    opened = office.open_survey()
    problem = assert_problem(client.put(f"{SURVEYS}/{opened['id']}", json=changed, headers=admin_headers), 409)
    assert problem["type"].endswith("/not-draft")
    assert_problem(client.delete(f"{SURVEYS}/{opened['id']}", headers=admin_headers), 409)


def test_opening_counts_the_verified_audience_and_publishes_once(client, db, admin_headers, office, people):
    for year in (2010, 2010, 2011):
        people.verified(graduation_year=year, faculty="medicine")
    people.sign_up(graduation_year=2010, faculty="medicine")  # not verified: not counted
    survey = office.survey(audience={"kind": "class", "graduation_year": 2010})
    response = client.post(f"{SURVEYS}/{survey['id']}/open", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    opened = response.get_json()
    assert opened["status"] == "open" and opened["audience_size"] == 2 and opened["opened_at"]
    [event] = events(db, "members.survey.opened")
    assert event["subject"] == survey["id"]
    assert event["data"]["filter"] == {"graduation_year_from": 2010, "graduation_year_to": 2010}
    assert event["data"]["segment_id"] is None and event["data"]["questions"] == 5
    assert_problem(client.post(f"{SURVEYS}/{survey['id']}/open", headers=admin_headers), 409)
    assert len(events(db, "members.survey.opened")) == 1


def test_a_segment_audience_is_the_saved_segment_s_filter(client, db, admin_headers, office, people):
    people.verified(faculty="pharmacy")
    people.verified(faculty="medicine")
    segment = client.post(f"{SURVEYS[:-8]}/segments", json={"name": "Фармация", "filter": {"faculty": ["pharmacy"]}},
                          headers=admin_headers).get_json()
    survey = office.survey(audience={"kind": "segment", "segment_id": segment["id"]})
    opened = client.post(f"{SURVEYS}/{survey['id']}/open", headers=admin_headers).get_json()
    assert opened["audience_size"] == 1
    [event] = events(db, "members.survey.opened")
    assert event["data"]["segment_id"] == segment["id"] and event["data"]["filter"] is None


def test_a_survey_cannot_open_past_its_close_or_for_a_missing_segment(client, db, admin_headers, office, clock):
    late = office.survey()
    clock.advance(days=15)
    problem = assert_problem(client.post(f"{SURVEYS}/{late['id']}/open", headers=admin_headers), 422)
    assert "closes_at" in problem["errors"]
    gone = office.survey(audience={"kind": "segment", "segment_id": "no-such-segment"})
    problem = assert_problem(client.post(f"{SURVEYS}/{gone['id']}/open", headers=admin_headers), 422)
    assert problem["errors"] == {"audience": {"segment_id": ["There is no such segment (any more)."]}}
    assert events(db, "members.survey.opened") == []


def test_closing_an_open_survey_publishes_once(client, db, admin_headers, office):
    draft = office.survey()
    assert_problem(client.post(f"{SURVEYS}/{draft['id']}/close", headers=admin_headers), 409)
    opened = office.open_survey()
    response = client.post(f"{SURVEYS}/{opened['id']}/close", headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    assert response.get_json()["closed_at"]
    problem = assert_problem(client.post(f"{SURVEYS}/{opened['id']}/close", headers=admin_headers), 409)
    assert problem["type"].endswith("/not-open")
    assert [e["data"]["survey_id"] for e in events(db, "members.survey.closed")] == [opened["id"]]


def test_an_unknown_survey_is_404(client, admin_headers):
    for method, suffix in (("get", ""), ("put", ""), ("delete", ""), ("post", "/open"), ("post", "/close")):
        assert_problem(getattr(client, method)(f"{SURVEYS}/nope{suffix}", json=definition(),
                                               headers=admin_headers), 404)


def test_times_are_kept_in_utc_to_the_millisecond(client, admin_headers, clock):
    body = {**definition(now=clock()), "opens_at": "2030-03-01T08:00:00.123456+02:00",
            "closes_at": "2030-04-01T08:00:00+03:00"}
    survey = client.post(SURVEYS, json=body, headers=admin_headers).get_json()
    assert survey["opens_at"] == "2030-03-01T06:00:00.123000+00:00"
    assert client.get(f"{SURVEYS}/{survey['id']}", headers=admin_headers).get_json()["opens_at"] == survey["opens_at"]

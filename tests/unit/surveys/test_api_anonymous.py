"""Anonymous surveys through the members HTTP API (the real app on the session's local store):
the draft is kept on the member's participation record until the submission, which leaves a
response holding no member id and no time finer than the day, under a random id; the
submission is final; ``members.survey.completed`` says the day only; erasure removes the
participation and leaves the unlinked response; the export shows what is linked to the member."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime

import pytest

from services.members.surveys import store as surveys_store
from tests.support import assert_problem
from tests.unit.surveys.conftest import SURVEYS, events

ANSWERS = {"works": True, "employer": "Болница", "langs": {"choices": ["de"]}, "nps": 10, "comment": "Добре"}


def url(survey: dict, suffix: str = "") -> str:
    return f"{SURVEYS}/{survey['id']}{suffix}"


def values(document):
    """Every value inside a stored document, nested ones included."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from values(value)
    elif isinstance(document, list):
        for value in document:
            yield from values(value)
    else:
        yield document


def test_the_draft_waits_on_the_participation_record(client, db, office, people):
    me = people.verified()
    survey = office.open_survey(anonymous=True)
    assert client.put(url(survey, "/response"), json={"answers": {"works": False}},
                      headers=me["headers"]).status_code == 200
    participation = db[surveys_store.PARTICIPATION].find_one({"member_id": me["id"]})
    assert participation["draft"] == {"works": False} and participation["status"] == "draft"
    assert db[surveys_store.RESPONSES].count_documents({}) == 0
    resumed = client.get(url(survey, "/response"), headers=me["headers"]).get_json()
    assert resumed["status"] == "draft" and resumed["answers"] == {"works": False}


def test_a_submitted_anonymous_response_keeps_no_link_to_its_member(client, db, office, people, clock):
    me = people.verified(graduation_year=2010, faculty="medicine")
    survey = office.open_survey(anonymous=True)
    assert client.put(url(survey, "/response"), json={"answers": {"works": False}},
                      headers=me["headers"]).status_code == 200
    response = client.post(url(survey, "/response/submit"), json={"answers": ANSWERS}, headers=me["headers"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["proposals"] == []
    assert response.get_json()["submitted_at"] == f"{clock().date().isoformat()}T00:00:00+00:00"

    [stored] = db[surveys_store.RESPONSES].find({"survey_id": survey["id"]})
    assert uuid.UUID(stored["_id"]).version == 4 and re.fullmatch(r"[0-9a-f]{32}", stored["_id"])
    assert stored["answers"] == ANSWERS and stored["submitted_on"] == clock().date().isoformat()
    assert stored["class"] == 2010 and stored["faculty"] == "medicine"
    found = list(values(stored))
    assert me["id"] not in found and not any(me["id"] in str(v) for v in found)
    assert not any(isinstance(v, datetime) for v in found)   # no time, only the day's text
    assert date.fromisoformat(stored["submitted_on"])

    participation = db[surveys_store.PARTICIPATION].find_one({"member_id": me["id"]})
    assert participation["status"] == "submitted" and "draft" not in participation
    assert not any(v == ANSWERS[k] for k, v in participation.items() if k in ANSWERS)

    [event] = events(db, "members.survey.completed")
    assert event["data"]["anonymous"] is True and event["data"]["member_id"] == me["id"]
    assert event["data"]["completed_at"] == f"{clock().date().isoformat()}T00:00:00+00:00"
    assert "answers" not in event["data"]

    mine = client.get(url(survey, "/response"), headers=me["headers"]).get_json()
    assert mine["status"] == "submitted" and mine["answers"] == {} and mine["editable"] is False
    assert client.get(url(survey, "/proposals"), headers=me["headers"]).get_json() == {"proposals": []}


def test_an_anonymous_submission_is_final(client, db, office, people):
    me = people.verified()
    survey = office.open_survey(anonymous=True)
    assert client.post(url(survey, "/response/submit"), json={"answers": ANSWERS},
                       headers=me["headers"]).status_code == 200
    for method, suffix in (("post", "/response/submit"), ("put", "/response")):
        problem = assert_problem(getattr(client, method)(url(survey, suffix), json={"answers": {"works": False}},
                                                         headers=me["headers"]), 409)
        assert problem["type"].endswith("/submitted")
    assert db[surveys_store.RESPONSES].count_documents({"survey_id": survey["id"]}) == 1
    assert len(events(db, "members.survey.completed")) == 1


def test_two_anonymous_submits_through_the_store_make_one_response(app, db, office, people, clock):
    me = people.verified()
    survey = surveys_store.get(db, office.open_survey(anonymous=True)["id"])
    store = app.extensions["alumnet"].store
    surveys_store.submit(store, survey, me["id"], ANSWERS, clock())
    with pytest.raises(surveys_store.AlreadySubmitted):
        surveys_store.submit(store, survey, me["id"], ANSWERS, clock())
    assert db[surveys_store.RESPONSES].count_documents({"survey_id": survey["_id"]}) == 1


def test_erasure_removes_the_participation_and_the_named_responses(client, db, office, people, monkeypatch):
    from services.members.surveys import results_store
    recorded = []
    real = results_store.record

    def record(db_, session, survey, groups, before, after):   # see what leaves the results
        recorded.append((survey["_id"], groups, before, after))
        return real(db_, session, survey, groups, before, after)

    monkeypatch.setattr(results_store, "record", record)
    me = people.verified(graduation_year=2010)
    anonymous, named = office.open_survey(anonymous=True), office.open_survey()
    for survey in (anonymous, named):
        assert client.post(url(survey, "/response/submit"), json={"answers": ANSWERS},
                           headers=me["headers"]).status_code == 200
    recorded.clear()
    assert client.delete(f"/api/v1/members/{me['id']}", headers=me["headers"]).status_code == 202
    assert db[surveys_store.PARTICIPATION].count_documents({"member_id": me["id"]}) == 0
    assert db[surveys_store.RESPONSES].count_documents({"member_id": me["id"]}) == 0
    assert db[surveys_store.RESPONSES].count_documents({"survey_id": anonymous["id"]}) == 1
    assert recorded == [(named["id"], {"class": "2010", "faculty": None}, ANSWERS, None)]


def test_the_export_shows_the_named_responses_and_the_participation(client, office, people):
    me = people.verified()
    anonymous, named = office.open_survey(anonymous=True), office.open_survey()
    for survey in (anonymous, named):
        assert client.post(url(survey, "/response/submit"), json={"answers": ANSWERS},
                           headers=me["headers"]).status_code == 200
    exported = client.get(f"/api/v1/members/{me['id']}/export", headers=me["headers"]).get_json()["surveys"]
    assert [(r["survey_id"], r["answers"]) for r in exported["responses"]] == [(named["id"], ANSWERS)]
    assert [p["survey_id"] for p in exported["participation"]] == [anonymous["id"]]

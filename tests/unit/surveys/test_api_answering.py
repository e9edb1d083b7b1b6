"""Members answer named surveys through the members HTTP API (the real app on the session's
local store): only the survey's verified audience sees and answers it; drafts are saved and
resumed; a submission is checked (hidden answers dropped, required ones present, each named
when wrong); answers are taken only while it is open; one response per member, however often
or concurrently submitted, and ``members.survey.completed`` once."""
from __future__ import annotations

import threading
from datetime import timedelta

from services.members.surveys import store as surveys_store
from tests.support import assert_problem
from tests.unit.surveys.conftest import SURVEYS, events

ME = "/api/v1/members/me/surveys"
DONE = {"works": True, "employer": "УМБАЛ Свети Георги", "nps": 9}


def url(survey: dict, suffix: str = "") -> str:
    return f"{SURVEYS}/{survey['id']}{suffix}"


def test_my_surveys_are_the_open_ones_of_my_audience_with_where_i_am(client, office, people, clock):
    me = people.verified(graduation_year=2010)
    mine = office.open_survey(audience={"kind": "class", "graduation_year": 2010})
    office.open_survey(audience={"kind": "class", "graduation_year": 1999})   # not my class
    office.survey()   # a draft
    later = office.open_survey(closes_in=timedelta(days=20))   # for everyone: submitted below
    assert client.post(url(later, "/response/submit"), json={"answers": DONE}, headers=me["headers"]).status_code == 200
    assert client.put(url(mine, "/response"), json={"answers": {"works": False}},
                      headers=me["headers"]).status_code == 200
    items = client.get(ME, headers=me["headers"]).get_json()["items"]
    assert [(i["id"], i["my_status"]) for i in items] == [(mine["id"], "draft"), (later["id"], "submitted")]
    assert items[0]["questions"] == 5 and items[0]["anonymous"] is False and items[0]["title"] == mine["title"]
    clock.advance(days=21)   # past their close: no longer listed
    assert client.get(ME, headers=me["headers"]).get_json()["items"] == []


def test_only_verified_members_of_the_audience_see_the_survey(client, office, people, admin_headers):
    of_class = people.verified(graduation_year=2010)
    other_class = people.verified(graduation_year=2011)
    unverified = people.sign_up(graduation_year=2010)
    survey = office.open_survey(audience={"kind": "class", "graduation_year": 2010})
    shown = client.get(url(survey), headers=of_class["headers"]).get_json()
    assert shown["sections"] == survey["sections"] and "audience_size" not in shown and "audience" not in shown
    for suffix in ("", "/response", "/proposals"):
        assert_problem(client.get(url(survey, suffix), headers=other_class["headers"]), 404)
        assert_problem(client.get(url(survey, suffix), headers=unverified["headers"]), 403)
        assert_problem(client.get(url(survey, suffix)), 401)
    assert_problem(client.put(url(survey, "/response"), json={"answers": {}}, headers=other_class["headers"]), 404)
    assert_problem(client.post(url(survey, "/response/submit"), json={}, headers=other_class["headers"]), 404)
    assert_problem(client.get(ME, headers=unverified["headers"]), 403)
    assert client.get(ME, headers=other_class["headers"]).get_json()["items"] == []
    assert client.get(url(survey), headers=admin_headers).get_json()["audience_size"] == 1


def test_a_draft_is_saved_and_resumed(client, office, people):
    me = people.verified()
    survey = office.open_survey()
    assert client.get(url(survey, "/response"), headers=me["headers"]).get_json() == {
        "status": "new", "answers": {}, "saved_at": None, "submitted_at": None, "editable": True}
    # A draft may be incomplete and keep an answer its other answers now hide.
    partial = {"works": False, "employer": "Аптека"}
    saved = client.put(url(survey, "/response"), json={"answers": partial}, headers=me["headers"])
    assert saved.status_code == 200, saved.get_json()
    resumed = client.get(url(survey, "/response"), headers=me["headers"]).get_json()
    assert resumed["status"] == "draft" and resumed["answers"] == partial and resumed["saved_at"]
    # Submitting without answers submits the draft, without the hidden one.
    response = client.post(url(survey, "/response/submit"), json={}, headers=me["headers"])
    assert response.status_code == 200, response.get_json()
    done = client.get(url(survey, "/response"), headers=me["headers"]).get_json()
    assert done["status"] == "submitted" and done["answers"] == {"works": False} and done["editable"] is True


def test_invalid_answers_are_refused_naming_the_question(client, db, office, people):
    me = people.verified()
    survey = office.open_survey()
    problem = assert_problem(client.put(url(survey, "/response"), json={"answers": {"nps": 11, "ghost": 1}},
                                        headers=me["headers"]), 422)
    assert set(problem["errors"]["answers"]) == {"nps", "ghost"}
    problem = assert_problem(client.post(url(survey, "/response/submit"), json={"answers": {"works": True}},
                                         headers=me["headers"]), 422)
    assert problem["errors"] == {"answers": {"employer": ["This question needs an answer."]}}
    problem = assert_problem(client.post(url(survey, "/response/submit"), json={"answers": {"langs": "de"}},
                                         headers=me["headers"]), 422)
    assert set(problem["errors"]["answers"]) == {"langs"}
    assert_problem(client.put(url(survey, "/response"), json={"answers": ["works"]}, headers=me["headers"]), 422)
    assert db[surveys_store.RESPONSES].count_documents({}) == 0
    assert events(db, "members.survey.completed") == []


def test_answers_are_taken_only_while_the_survey_is_open(client, db, office, people, clock, admin_headers):
    me = people.verified()
    not_yet = office.open_survey(opens_in=timedelta(hours=2))
    problem = assert_problem(client.put(url(not_yet, "/response"), json={"answers": {}}, headers=me["headers"]), 409)
    assert problem["type"].endswith("/closed")
    assert_problem(client.get(url(not_yet), headers=me["headers"]), 404)   # not open: not shown yet
    survey = office.open_survey()
    assert client.put(url(survey, "/response"), json={"answers": DONE}, headers=me["headers"]).status_code == 200
    assert client.post(url(survey, "/close"), headers=admin_headers).status_code == 200
    for method, suffix in (("put", "/response"), ("post", "/response/submit")):
        problem = assert_problem(getattr(client, method)(url(survey, suffix), json={"answers": DONE},
                                                         headers=me["headers"]), 409)
        assert problem["type"].endswith("/closed")
    # The member still reads their draft, no longer editable.
    assert client.get(url(survey, "/response"), headers=me["headers"]).get_json()["editable"] is False
    ends = office.open_survey()
    clock.advance(days=14)   # its closes_at: closed without an admin
    assert_problem(client.post(url(ends, "/response/submit"), json={"answers": DONE}, headers=me["headers"]), 409)
    assert events(db, "members.survey.completed") == []


def test_one_response_per_member_and_one_completed_event(client, db, office, people, admin_headers):
    me = people.verified(graduation_year=2010, faculty="medicine")
    survey = office.open_survey()
    first = client.post(url(survey, "/response/submit"), json={"answers": DONE}, headers=me["headers"])
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "submitted"
    # A submitted response is changed by submitting again, not by a draft.
    problem = assert_problem(client.put(url(survey, "/response"), json={"answers": {}}, headers=me["headers"]), 409)
    assert problem["type"].endswith("/submitted")
    again = client.post(url(survey, "/response/submit"), json={"answers": {"works": False}}, headers=me["headers"])
    assert again.status_code == 200, again.get_json()
    [response] = db[surveys_store.RESPONSES].find({"survey_id": survey["id"]})
    assert response["_id"] == f"{survey['id']}:{me['id']}" and response["answers"] == {"works": False}
    assert (response["class"], response["faculty"]) == (2010, "medicine")
    [event] = events(db, "members.survey.completed")
    assert event["data"] == {"survey_id": survey["id"], "member_id": me["id"], "anonymous": False,
                             "completed_at": event["data"]["completed_at"]}
    assert client.get(SURVEYS, headers=admin_headers).get_json()["items"][0]["respondents"] == 1


def test_two_submits_through_the_store_make_one_response(app, db, office, people, clock):
    me = people.verified()
    survey = surveys_store.get(db, office.open_survey()["id"])
    store = app.extensions["alumnet"].store
    for answers in (DONE, {"works": False}):
        surveys_store.submit(store, survey, me["id"], answers, clock())
    assert db[surveys_store.RESPONSES].count_documents({"survey_id": survey["_id"]}) == 1
    assert len(events(db, "members.survey.completed")) == 1


def test_two_concurrent_submits_make_one_response_and_one_event(app, db, office, people, clock):
    me = people.verified()
    store = app.extensions["alumnet"].store
    for anonymous in (False, True):
        survey = surveys_store.get(db, office.open_survey(anonymous=anonymous)["id"])
        start, outcomes = threading.Barrier(2), []

        def submit():
            start.wait()   # both transactions begin together: the one-response rule, not luck, decides
            try:
                outcomes.append(surveys_store.submit(store, survey, me["id"], DONE, clock())["status"])
            except surveys_store.AlreadySubmitted:
                outcomes.append("refused")

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Named: the second is a re-submission; anonymous: it is refused (a submission is final).
        assert sorted(outcomes) == (["refused", "submitted"] if anonymous else ["submitted", "submitted"])
        assert db[surveys_store.RESPONSES].count_documents({"survey_id": survey["_id"]}) == 1
    assert len(events(db, "members.survey.completed")) == 2

"""The personal survey link (``X-Survey-Token``) through the members HTTP API (the real app on
the session's local store): it answers, without a login, as its member, for its survey only
and only while the survey is open; any other token is refused with a problem naming the
header."""
from __future__ import annotations

from datetime import timedelta

from shared import clock as clocks
from shared import surveylink
from tests.support import assert_problem
from tests.unit.surveys.conftest import SURVEYS, events, link

ANSWERS = {"works": True, "employer": "Болница"}
HEADER = surveylink.HEADER


def url(survey: dict, suffix: str = "") -> str:
    return f"{SURVEYS}/{survey['id']}{suffix}"


def test_the_link_answers_as_its_member_without_a_login(client, db, office, people):
    me = people.verified()
    survey = office.open_survey()
    headers = link(me["id"], survey["id"])
    assert client.get(url(survey), headers=headers).get_json()["id"] == survey["id"]
    assert client.put(url(survey, "/response"), json={"answers": {"works": True}}, headers=headers).status_code == 200
    response = client.post(url(survey, "/response/submit"), json={"answers": ANSWERS}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert [p["field"] for p in response.get_json()["proposals"]] == ["employer"]
    # The same response as the member's login sees.
    assert client.get(url(survey, "/response"), headers=me["headers"]).get_json()["answers"] == ANSWERS
    assert client.get(url(survey, "/proposals"), headers=headers).get_json()["proposals"][0]["field"] == "employer"
    decided = client.post(url(survey, "/proposals"), json={"decisions": {"employer": "accept"}}, headers=headers)
    assert decided.status_code == 200 and decided.get_json()["profile_changed"] == ["employer"]
    [event] = events(db, "members.survey.completed")
    assert event["data"]["member_id"] == me["id"]
    assert len(events(db, "members.member.updated")) == 1


def test_a_link_for_another_survey_is_refused(client, office, people):
    me = people.verified()
    survey, other = office.open_survey(), office.open_survey()
    problem = assert_problem(client.put(url(survey, "/response"), json={"answers": {}},
                                        headers=link(me["id"], other["id"])), 403)
    assert HEADER in problem["errors"]
    assert_problem(client.get(url(survey), headers=link(me["id"], other["id"])), 403)


def test_an_altered_or_foreign_token_is_refused(client, office, people):
    me = people.verified()
    survey = office.open_survey()
    token = link(me["id"], survey["id"])[HEADER]
    for bad in (token[:-2] + ("aa" if not token.endswith("aa") else "bb"), "nonsense",
                surveylink.make_token("another key " * 4, me["id"], survey["id"], clocks.now())):
        problem = assert_problem(client.get(url(survey, "/response"), headers={HEADER: bad}), 401)
        assert HEADER in problem["errors"]


def test_a_link_acts_as_its_member_only(client, db, office, people):
    me, other = people.verified(), people.verified()
    survey = office.open_survey()
    # The link decides: the other member's login beside it changes nothing.
    headers = {**link(me["id"], survey["id"]), **other["headers"]}
    assert client.post(url(survey, "/response/submit"), json={"answers": ANSWERS}, headers=headers).status_code == 200
    assert client.get(url(survey, "/response"), headers=other["headers"]).get_json()["status"] == "new"
    assert client.get(url(survey, "/response"), headers=me["headers"]).get_json()["status"] == "submitted"


def test_a_link_stops_working_when_the_survey_closes(client, office, people, admin_headers, clock):
    me = people.verified()
    survey = office.open_survey()
    headers = link(me["id"], survey["id"])
    assert client.post(url(survey, "/close"), headers=admin_headers).status_code == 200
    problem = assert_problem(client.get(url(survey, "/response"), headers=headers), 403)
    assert HEADER in problem["errors"]
    ends = office.open_survey(closes_in=timedelta(days=1))
    headers = link(me["id"], ends["id"])
    clock.advance(days=2)
    assert_problem(client.put(url(ends, "/response"), json={"answers": {}}, headers=headers), 403)


def test_a_link_of_a_member_no_longer_verified_or_outside_the_audience_is_refused(client, office, people,
                                                                                   admin_headers):
    me = people.verified(graduation_year=2010)
    survey = office.open_survey(audience={"kind": "class", "graduation_year": 2011})
    assert_problem(client.get(url(survey), headers=link(me["id"], survey["id"])), 404)
    everyone = office.open_survey()
    assert client.post(f"/api/v1/members/{me['id']}/reject", json={"reason": "Not a graduate."},
                       headers=admin_headers).status_code == 200
    problem = assert_problem(client.get(url(everyone, "/response"), headers=link(me["id"], everyone["id"])), 403)
    assert HEADER in problem["errors"]
    assert_problem(client.get(url(everyone, "/response"), headers=link("nobody", everyone["id"])), 403)

"""Profile changes a named response proposes, through the members HTTP API (the real app on
the session's local store): nothing changes until the member accepts; an accepted change goes
through the profile's own update (its checks, ``members.member.updated``); a declined one
leaves the profile as it was and is not proposed again."""
from __future__ import annotations

from tests.support import assert_problem
from tests.unit.surveys.conftest import SURVEYS, events

ANSWERS = {"works": True, "employer": "  УМБАЛ   Пълмед ", "langs": {"choices": ["de", "fr"]}}


def url(survey: dict, suffix: str = "") -> str:
    return f"{SURVEYS}/{survey['id']}{suffix}"


def profile(client, member: dict) -> dict:
    return client.get(f"/api/v1/members/{member['id']}", headers=member["headers"]).get_json()


def submitted(client, people, office, **fields):
    me = people.verified(employer="Аптека", languages=["en"], **fields)
    survey = office.open_survey()
    response = client.post(url(survey, "/response/submit"), json={"answers": ANSWERS}, headers=me["headers"])
    assert response.status_code == 200, response.get_json()
    return me, survey, response.get_json()


def test_a_submission_proposes_the_changes_and_changes_nothing(client, db, office, people):
    me, survey, answer = submitted(client, people, office)
    assert answer["proposals"] == [
        {"field": "employer", "old": "Аптека", "new": "УМБАЛ Пълмед", "question": "employer", "state": "pending"},
        {"field": "languages", "old": ["en"], "new": ["en", "de", "fr"], "question": "langs", "state": "pending"}]
    assert client.get(url(survey, "/proposals"), headers=me["headers"]).get_json()["proposals"] == answer["proposals"]
    assert profile(client, me)["employer"] == "Аптека"
    assert events(db, "members.member.updated") == []


def test_accepting_changes_the_profile_and_declining_does_not(client, db, office, people):
    me, survey, _ = submitted(client, people, office)
    response = client.post(url(survey, "/proposals"), json={"decisions": {"employer": "accept",
                                                                          "languages": "decline"}},
                           headers=me["headers"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["profile_changed"] == ["employer"]
    assert {p["field"]: p["state"] for p in body["proposals"]} == {"employer": "accepted", "languages": "declined"}
    now = profile(client, me)
    assert now["employer"] == "УМБАЛ Пълмед" and now["languages"] == ["en"]
    [updated] = events(db, "members.member.updated")
    assert updated["data"]["member_id"] == me["id"] and updated["data"]["changed"] == {"employer": "УМБАЛ Пълмед"}
    # Decided: nothing is pending any more, and a decision again is refused, naming the field.
    problem = assert_problem(client.post(url(survey, "/proposals"), json={"decisions": {"languages": "accept"}},
                                         headers=me["headers"]), 422)
    assert problem["errors"] == {"decisions": {"languages": ["No pending proposal for this field."]}}
    # Submitting the same answers again does not propose the declined change again.
    again = client.post(url(survey, "/response/submit"), json={"answers": ANSWERS}, headers=me["headers"])
    assert [(p["field"], p["state"]) for p in again.get_json()["proposals"]] == [("languages", "declined")]


def test_a_decision_must_be_about_a_pending_proposal_of_a_known_field(client, db, office, people):
    me, survey, _ = submitted(client, people, office)
    for decisions in ({"country": "accept"}, {"employer": "maybe"}, {"password": "accept"}, {}):
        problem = assert_problem(client.post(url(survey, "/proposals"), json={"decisions": decisions},
                                             headers=me["headers"]), 422)
        assert "decisions" in problem["errors"]
    assert profile(client, me)["employer"] == "Аптека"


def test_an_accepted_change_is_made_to_the_profile_as_it_is_now(client, db, office, people):
    # Since the submission the member filled their 15 languages, the most the profile takes:
    # accepting adds none (rather than replacing them with the list proposed then).
    me, survey, answer = submitted(client, people, office)
    many = ["en", "bg", "ru", "es", "it", "pt", "nl", "pl", "cs", "sk", "sl", "hr", "sr", "el", "tr"]
    assert client.patch(f"/api/v1/members/{me['id']}", json={"languages": many},
                        headers=me["headers"]).status_code == 200
    response = client.post(url(survey, "/proposals"), json={"decisions": {"languages": "accept"}},
                           headers=me["headers"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["profile_changed"] == [] and profile(client, me)["languages"] == many


def test_nothing_is_proposed_before_the_submission(client, office, people):
    me = people.verified()
    survey = office.open_survey()
    assert client.get(url(survey, "/proposals"), headers=me["headers"]).get_json() == {"proposals": []}
    problem = assert_problem(client.post(url(survey, "/proposals"), json={"decisions": {"employer": "accept"}},
                                         headers=me["headers"]), 422)
    assert problem["errors"] == {"decisions": {"employer": ["No pending proposal for this field."]}}

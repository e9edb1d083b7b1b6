"""The public finder and its questions, without a login: only listed ambassadors in their
term, only the fields each made public (a test per field); a question per address at most
three times a day, answered alike whatever the ambassador; the asker's confirmation link."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.members.ambassadors import rules
from tests.unit.ambassadors.conftest import QUESTION, A, M, confirmation_token, events

PROFILE = {"city": "Pune", "country": "IN", "graduation_year": 2020, "faculty": "medicine",
           "programme": "Medicine (English)", "languages": ["en", "hi", "mr"]}
BIO = {"bg": "Завърших през 2020.", "en": "I graduated in 2020."}
# Where each public field shows in the finder's JSON, and what it holds for this ambassador.
SHOWN = {"given_name": ("given_name", "Мария"), "family_name": ("family_name", "Иванова"),
         "faculty": ("faculty", "medicine"), "programme": ("programme", "Medicine (English)"),
         "graduation_year": ("graduation_year", 2020), "city": ("city", "Pune"), "country": ("country", "IN"),
         "languages": ("spoken_languages", ["en", "hi", "mr"]), "bio": ("bio", BIO)}


def finder(client, **query) -> list[dict]:
    answer = client.get(f"{A}/finder", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_every_public_field_is_covered_by_the_test_below():
    assert set(SHOWN) | {"regions"} == set(rules.PUBLIC_FIELDS)


@pytest.mark.parametrize("field", rules.PUBLIC_FIELDS)
def test_the_finder_shows_a_field_only_when_the_ambassador_made_it_public(client, programme, field):
    hidden = programme.ambassador(public_fields=(), **PROFILE)
    shown = programme.ambassador(public_fields=(field,), **PROFILE)
    for ambassador in (hidden, shown):
        answer = client.patch(f"{M}/me/ambassador", headers=ambassador["headers"], json={"bio": BIO})
        assert answer.status_code == 200
    cards = {c["public_id"]: c for c in finder(client, country="IN")}
    plain, chosen = cards[hidden["ambassador"]["public_id"]], cards[shown["ambassador"]["public_id"]]
    assert plain == {"public_id": hidden["ambassador"]["public_id"], "regions": [{"country": "IN", "cities": []}],
                     "languages": ["en", "hi"]}
    if field == "regions":
        assert chosen["regions"] == [{"country": "IN", "cities": ["Pune"]}]
        assert set(chosen) == set(plain)
    else:
        key, value = SHOWN[field]
        assert set(chosen) - set(plain) == {key} and chosen[key] == value
    text = str(cards)
    for secret in (shown["id"], shown["email"], hidden["id"], hidden["email"]):
        assert secret not in text


def test_the_finder_lists_only_listed_ambassadors_in_their_term_by_country_and_language(client, programme,
                                                                                         admin_headers):
    india = programme.ambassador()
    programme.ambassador(listed=False)
    ended = programme.ambassador()
    nepal = programme.ambassador(application={"countries": ["NP"], "cities": [], "languages": ["ne", "en"]})
    client.post(f"{A}/{ended['id']}/end", headers=admin_headers)
    assert [c["public_id"] for c in finder(client, country="IN")] == [india["ambassador"]["public_id"]]
    assert [c["public_id"] for c in finder(client, language="ne")] == [nepal["ambassador"]["public_id"]]
    assert {c["public_id"] for c in finder(client, language="en")} == {india["ambassador"]["public_id"],
                                                                       nepal["ambassador"]["public_id"]}
    assert finder(client, country="IN", language="ne") == []
    bad = client.get(f"{A}/finder", query_string={"country": "India", "language": "english"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"country", "language"}


def test_a_question_waits_for_the_askers_confirmation(client, programme, db, clock):
    ambassador = programme.ambassador()
    question_id = programme.ask(ambassador["ambassador"]["public_id"], email="Arjun.Mehta@Example.IN")
    stored = db.ambassador_questions.find_one({"_id": question_id})
    assert stored["state"] == "pending_confirmation" and stored["asker"]["email"] == "arjun.mehta@example.in"
    assert stored["confirm_until"] == clock() + timedelta(hours=72)
    assert stored["erase_after"] == clock() + timedelta(days=365)
    [asked] = events(db, "members.ambassador.question_asked")
    assert asked.data["asker"] == {"name": "Arjun Mehta", "email": "arjun.mehta@example.in", "language": "en"}
    assert ambassador["id"] not in str(asked.data) and "contact_assigned" not in str(events(db))
    assert db.ambassador_contacts.count_documents({}) == 0


def test_a_question_to_nobody_listed_is_answered_alike_and_stores_nothing(client, programme, db):
    unlisted = programme.ambassador(listed=False)
    for public_id in (unlisted["ambassador"]["public_id"], "no-such-ambassador"):
        assert programme.ask(public_id) is None
    assert db.ambassador_questions.count_documents({}) == 0
    assert events(db, "members.ambassador.question_asked") == []


def test_the_fourth_question_of_an_address_in_a_day_is_a_429(client, programme, clock):
    public_id = programme.ambassador()["ambassador"]["public_id"]
    for _ in range(3):
        programme.ask(public_id, email="arjun.mehta@example.in")
        clock.advance(hours=1)
    # The same address however it is written; another address is counted apart.
    answer = client.post(f"{A}/finder/{public_id}/questions", json={**QUESTION, "email": "ARJUN.Mehta@Example.IN"})
    assert answer.status_code == 429 and answer.mimetype == "application/problem+json"
    assert 0 < int(answer.headers["Retry-After"]) <= 21 * 3600
    programme.ask(public_id, email="ravi.kumar@example.in")
    clock.advance(hours=21)   # the first question leaves the 24 hours
    programme.ask(public_id, email="arjun.mehta@example.in")


def test_bad_questions_are_refused_naming_the_fields(client, programme):
    public_id = programme.ambassador()["ambassador"]["public_id"]
    answer = client.post(f"{A}/finder/{public_id}/questions", json={
        **QUESTION, "email": "not an address", "language": "de", "message": "x" * 2001, "privacy_accepted": False})
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"email", "language", "message", "privacy_accepted"}


def test_confirming_makes_one_contact_and_a_second_confirmation_answers_the_same(client, programme, db, clock):
    ambassador = programme.ambassador()
    question_id = programme.ask(ambassador["ambassador"]["public_id"])
    clock.advance(hours=10)
    for _ in range(2):
        answer = programme.confirm(question_id)
        assert answer.status_code == 200 and answer.get_json() == {"status": "confirmed"}
    [contact] = db.ambassador_contacts.find()
    assert contact["member_id"] == ambassador["id"] and contact["kind"] == "finder_question"
    assert contact["due_at"] == clock() + timedelta(hours=48)
    [assigned] = events(db, "members.ambassador.contact_assigned")
    assert assigned.data["source"] == "finder" and assigned.data["message"] == QUESTION["message"]
    assert assigned.data["contact"] == {"name": "Arjun Mehta", "kind": "finder_question", "country": "IN",
                                        "language": "en"}
    assert "arjun.mehta@example.in" not in str(assigned.data)
    # The token may come in the body too.
    token = confirmation_token(question_id, clock() + timedelta(hours=1))
    assert client.post(f"{A}/questions/{question_id}/confirm", json={"token": token}).status_code == 200


def test_a_bad_token_is_a_403(client, programme, clock):
    question_id = programme.ask(programme.ambassador()["ambassador"]["public_id"])
    other_id = programme.ask(programme.ambassador()["ambassador"]["public_id"], email="ravi@example.in")
    deadline = clock() + timedelta(hours=72)
    for headers in ({}, {"X-Question-Token": "forged"},
                    {"X-Question-Token": confirmation_token(other_id, deadline)},
                    {"X-Question-Token": confirmation_token(question_id, deadline, key="another key " * 4)},
                    {"X-Question-Token": confirmation_token(question_id, deadline)[:-2]}):
        answer = client.post(f"{A}/questions/{question_id}/confirm", json={}, headers=headers)
        assert answer.status_code == 403, (headers, answer.get_json())
        assert answer.get_json()["errors"] == {"token": ["Not a valid link for this question."]}


def test_a_genuine_token_past_its_time_is_a_410_and_confirms_nothing(client, programme, clock, db):
    question_id = programme.ask(programme.ambassador()["ambassador"]["public_id"])
    deadline = clock() + timedelta(hours=72)
    clock.advance(hours=72)
    answer = programme.confirm(question_id, deadline=deadline)
    assert answer.status_code == 410 and answer.mimetype == "application/problem+json"
    # A link made with a later deadline does not outlive the question's own.
    assert programme.confirm(question_id, deadline=deadline + timedelta(days=1)).status_code == 410
    assert db.ambassador_contacts.count_documents({}) == 0
    assert client.post(f"{A}/questions/{'0' * 32}/confirm", json={}, headers={
        "X-Question-Token": confirmation_token("0" * 32, clock() + timedelta(hours=1))}).status_code == 404

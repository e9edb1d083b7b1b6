"""Recommendations over HTTP: students and recent graduates only; mentors ranked with their
factors and weights (the weights from ``MENTORING_WEIGHTS``); paused, full and already asked
mentors never offered; and, counted with pymongo's command monitoring (``shared.commandcount``:
the commands of a client made after the counter, and the documents their replies carried), the candidates of a
request over many mentors come from capped equality finds reading a bounded number of
documents, never the whole collection."""
from __future__ import annotations

import uuid

import pytest
from pymongo import MongoClient

from services.members.app import create_app
from services.members.mentoring import rules
from services.members.mentoring import store as mentoring_store
from shared.commandcount import StoreCommands
from tests.support import assert_problem
from tests.unit.mentoring.conftest import M, NOW, OFFER

WISHES = {"specialties": "кардиология", "languages": "bg"}


def recommendations(client, member, **query):
    return client.get(f"{M}/me/mentoring/recommendations", headers=member["headers"],
                      query_string={**WISHES, **query})


def test_mentors_are_ranked_with_their_factors_and_the_unofferable_left_out(client, mentoring):
    best = mentoring.mentor()
    language_only = mentoring.mentor(specialties=["Хирургия"], languages=["bg"])
    mentoring.mentor(paused=True)
    full = mentoring.mentor(capacity=1)
    mentee, other = mentoring.student(), mentoring.student()
    mentoring.ask(other, full)
    response = recommendations(client, mentee)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [item["mentor_id"] for item in body["items"]] == [best["id"], language_only["id"]]
    assert body["weights"] == rules.DEFAULT_WEIGHTS
    factors = {f["name"]: f for f in body["items"][0]["factors"]}
    assert list(factors) == list(rules.FACTORS)
    assert factors["shared_specialty"]["value"] == 1.0 and factors["shared_specialty"]["weight"] == 3.0
    assert body["items"][0]["total"] == pytest.approx(sum(f["points"] for f in factors.values()), abs=1e-3)
    assert body["items"][0]["mentor"]["given_name"] == "Мария"
    # Once asked, a mentor is not offered again to the same mentee.
    mentoring.ask(mentee, best)
    assert [i["mentor_id"] for i in recommendations(client, mentee).get_json()["items"]] == [language_only["id"]]


def test_the_same_data_gives_the_same_ranking(client, mentoring):
    for _ in range(4):
        mentoring.mentor()
    mentee = mentoring.student()
    first = recommendations(client, mentee).get_json()
    assert recommendations(client, mentee).get_json() == first


def test_only_students_and_recent_graduates_get_recommendations(client, people, mentoring):
    assert assert_problem(recommendations(client, people.verified(graduation_year=2000)), 403)["reason"] \
        == "not_student_or_recent_graduate"
    assert_problem(recommendations(client, people.sign_up(is_student=True)), 403)
    assert recommendations(client, mentoring.student()).status_code == 200


def test_a_bad_weight_setting_stops_the_start_naming_it(make_config):
    with pytest.raises(ValueError, match="MENTORING_WEIGHTS"):
        create_app(make_config(AMQP_URL="memory://", MENTORING_WEIGHTS="charm=2"))


def test_configured_weights_are_the_ones_shown(make_config, issue_token):
    from tests.support import bearer, signed_up_id
    config = make_config(AMQP_URL="memory://", MENTORING_WEIGHTS="shared_specialty=0")
    app = create_app(config)
    client = app.test_client()
    admin = bearer(issue_token("a" * 32, "admin"))
    member_id = signed_up_id(client, {"given_name": "Ана", "family_name": "Петрова", "email": "ana@example.bg",
                                      "preferred_language": "bg", "consent": {"email": True, "sms": False},
                                      "is_student": True})
    client.post(f"{M}/{member_id}/approve", json={}, headers=admin)
    body = client.get(f"{M}/me/mentoring/recommendations", headers=bearer(issue_token(member_id, "student"))).get_json()
    assert body["weights"]["shared_specialty"] == 0.0 and body["weights"]["topics"] == 2.0


def watched(local_store) -> tuple[StoreCommands, MongoClient]:
    """The process's store-command counter and a client made after it (so reporting to it)."""
    counter = StoreCommands.install()
    return counter, MongoClient(local_store.url, tz_aware=True)


MENTORS = 600


@pytest.fixture
def many_mentors(app):
    """600 offers, all sharing the mentee's language, every third their specialty."""
    store = app.extensions["alumnet"].store
    for n in range(MENTORS):
        member = {"_id": uuid.uuid4().hex, "graduation_year": 2000 + n % 20, "status": "verified",
                  "roles": ["alumnus"], "email": f"mentor{n}@example.bg", "open_to_mentoring": True}
        store.db.members.insert_one(member)
        offer = {**OFFER, "specialties": ["Кардиология" if n % 3 == 0 else f"Специалност {n}"], "paused": False}
        mentoring_store.save_offer(store, member, offer, NOW)
    return store


def test_candidates_over_many_mentors_are_capped_equality_finds(app, many_mentors, local_store):
    counter, client = watched(local_store)
    try:
        db = client[many_mentors.db.name]
        seeker = {"id": "e" * 32, "specialties": ["кардиология"], "languages": ["bg"], "topics": []}
        query = rules.candidate_query(seeker)
        with counter.counting(db.name) as seen:
            found = mentoring_store.candidates(db, query)
        documents = seen.documents
    finally:
        client.close()
    # Every offer has 2 free places: the group of all offers finds none at 10 down to 3 (and
    # the others skip those), then one find per group at 2 fills each.
    assert seen.by_kind == {"find": rules.MAX_CAPACITY - OFFER["capacity"] + 3}
    assert seen.total <= query.most_commands
    # Each find asks for one more than its group needs (the seeker, excluded here, might be in it).
    assert len(found) == 2 * rules.PER_QUERY + rules.BY_CAPACITY
    assert len(found) <= documents <= len(found) + 3 * len(query.exclude)
    assert documents <= query.most_documents < MENTORS


def test_a_recommendation_request_reads_a_bounded_number_of_documents(app, client, many_mentors, mentoring,
                                                                      local_store):
    mentee = mentoring.student()
    counter, counted = watched(local_store)
    service = app.extensions["alumnet"]
    original, service.store.db = service.store.db, counted[many_mentors.db.name]
    try:
        with counter.counting(many_mentors.db.name) as reads:
            response = recommendations(client, mentee, limit="10")
    finally:
        service.store.db = original
        counted.close()
    assert response.status_code == 200 and len(response.get_json()["items"]) == 10
    # The member, what they asked already (2), the capped candidate finds (one specialty key, one
    # language), the names shown; the token's revocation check may add a read.
    bound = rules.CandidateQuery(("кардиология",), ("bg",), exclude=(mentee["id"],))
    assert reads.by_kind["find"] <= 5 + bound.most_commands
    assert "getMore" not in reads.by_kind and "aggregate" not in reads.by_kind
    assert reads.documents <= bound.most_documents + 10 + 1 < MENTORS

"""What mentoring's hot paths cost in store commands, against bench/budgets.toml: a mentee's
recommendations, a mentee sending a request to mentors, and a mentor accepting one."""
from __future__ import annotations

import pytest

from services.members.app import create_app
from tests.unit.budgets.apps import counted_app
from tests.unit.mentoring.conftest import M, NOW, OFFER


@pytest.fixture
def app(counter, make_config):  # after the counter: the app's store client reports to it
    return counted_app(create_app, make_config, NOW)


@pytest.fixture
def mentors(client, people) -> list[dict]:
    """Twelve verified alumni with an offer (tests/unit/mentoring's), four of another specialty."""
    made = []
    for n in range(12):
        member = people.verified(graduation_year=2005 + n % 8)
        offer = {**OFFER, "specialties": ["Кардиология" if n % 3 else "Хирургия"]}
        assert client.put(f"{M}/me/mentoring/offer", json=offer, headers=member["headers"]).status_code == 200
        made.append(member)
    return made


def mentee(people) -> dict:
    return people.verified(roles=("student",), is_student=True)


def ask(client, who: dict, *mentors: dict):
    return client.post(f"{M}/me/mentoring/requests", headers=who["headers"],
                       json={"mentors": [m["id"] for m in mentors], "message": "Здравейте! Бих искала съвет."})


def test_a_mentees_recommendations(counter, budget, client, db, people, mentors):
    path = f"{M}/me/mentoring/recommendations?specialties=кардиология&languages=bg&limit=10"
    assert client.get(path, headers=mentee(people)["headers"]).status_code == 200  # warm
    me = mentee(people)
    assert client.get(path, headers=me["headers"]).status_code == 200  # the caller's verification cached
    with counter.counting(db.name) as seen:
        response = client.get(path, headers=me["headers"])
    assert response.status_code == 200 and len(response.get_json()["items"]) == 10
    budget.check("mentoring.recommendations", seen)


def test_a_mentee_sending_a_request(counter, budget, client, db, people, mentors):
    assert ask(client, mentee(people), mentors[0]).status_code == 201  # warm
    me = mentee(people)
    assert client.get(f"{M}/me/mentoring/requests", headers=me["headers"]).status_code == 200
    with counter.counting(db.name) as seen:
        response = ask(client, me, *mentors[1:4])
    assert response.status_code == 201, response.get_json()
    budget.check("mentoring.request", seen)


def test_a_mentor_accepting_a_request(counter, budget, client, db, people, mentors):
    other = ask(client, mentee(people), mentors[2]).get_json()
    assert client.post(f"{M}/mentoring/requests/{other['id']}/accept", json={},
                       headers=mentors[2]["headers"]).status_code == 200  # warm
    request = ask(client, mentee(people), mentors[1], mentors[3]).get_json()
    with counter.counting(db.name) as seen:
        response = client.post(f"{M}/mentoring/requests/{request['id']}/accept", json={},
                               headers=mentors[1]["headers"])
    assert response.status_code == 200, response.get_json()
    budget.check("mentoring.accept", seen)

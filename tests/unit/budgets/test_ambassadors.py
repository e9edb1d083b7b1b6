"""What the ambassador programme's hot paths cost in store commands, against
bench/budgets.toml: anyone's question to a listed ambassador (the public finder's form), and
the finder's list."""
from __future__ import annotations

import pytest

from services.members.app import create_app
from tests.unit.budgets.apps import counted_app
from tests.unit.ambassadors.conftest import A, QUESTION, clock, programme  # noqa: F401 (fixtures)

PROFILE = {"city": "Pune", "country": "IN", "graduation_year": 2020, "faculty": "medicine", "languages": ["en"]}


@pytest.fixture
def app(counter, make_config):  # after the counter: the app's store client reports to it
    return counted_app(create_app, make_config)


@pytest.fixture
def ambassadors(programme) -> list[dict]:
    return [programme.ambassador(public_fields=("given_name", "city"), **PROFILE) for _ in range(3)]


def test_a_question_to_an_ambassador(counter, budget, client, db, ambassadors):
    public_id = ambassadors[0]["ambassador"]["public_id"]
    path = f"{A}/finder/{public_id}/questions"
    assert client.post(path, json={**QUESTION, "email": "warm@example.in"}).status_code == 202  # warm
    with counter.counting(db.name) as seen:
        response = client.post(path, json=QUESTION)
    assert response.status_code == 202
    assert db.ambassador_questions.count_documents({}) == 2
    budget.check("ambassadors.question", seen)


def test_the_finder_list(counter, budget, client, db, ambassadors):
    path = f"{A}/finder?country=IN&language=en"
    assert client.get(path).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.get(path)
    assert response.status_code == 200 and len(response.get_json()["items"]) == 3
    budget.check("ambassadors.finder", seen)

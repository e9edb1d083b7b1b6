"""What the surveys' hot paths cost in store commands, against bench/budgets.toml: a member
submitting a response over HTTP, and the office reading a survey's results."""
from __future__ import annotations

import pytest

from services.members.app import create_app
from shared import clock as clocks
from tests.unit.budgets.apps import counted_app
from tests.unit.surveys.conftest import SURVEYS, definition

ANSWERS = {"works": True, "employer": "УМБАЛ Св. Марина", "langs": {"choices": ["de"]}, "nps": 9, "comment": "Благодаря!"}


@pytest.fixture
def app(counter, make_config):  # after the counter: the app's store client reports to it
    return counted_app(create_app, make_config, clocks.now())


@pytest.fixture
def survey(app, client, admin_headers) -> dict:
    """An open named survey to everyone (tests/unit/surveys' definition)."""
    clock = app.extensions["alumnet"].clock
    made = client.post(SURVEYS, json=definition(now=clock()), headers=admin_headers).get_json()
    assert client.post(f"{SURVEYS}/{made['id']}/open", headers=admin_headers).status_code == 200
    return made


def submit(client, survey: dict, member: dict):
    return client.post(f"{SURVEYS}/{survey['id']}/response/submit", json={"answers": ANSWERS},
                       headers=member["headers"])


def test_a_member_submitting_a_response(counter, budget, client, db, people, survey):
    warm, member = people.verified(), people.verified()
    assert submit(client, survey, warm).status_code == 200  # warm: indexes, the caller's verification
    with counter.counting(db.name) as seen:
        response = submit(client, survey, member)
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    budget.check("surveys.submit", seen)


@pytest.mark.parametrize("by", [None, "faculty"])
def test_the_office_reading_the_results(counter, budget, client, db, people, survey, admin_headers, by):
    for _ in range(3):
        assert submit(client, survey, people.verified()).status_code == 200
    path = f"{SURVEYS}/{survey['id']}/results" + (f"?by={by}" if by else "")
    assert client.get(path, headers=admin_headers).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.get(path, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["respondents"] == 3
    budget.check("surveys.results", seen)

"""What a directory search costs in store commands (members api), against bench/budgets.toml:
the members matched are read once (ids and sort keys), the page by id, whatever the number
of words and filters."""
from __future__ import annotations

import pytest

from services.members.app import create_app
from services.members.profiles import rules as profiles
from services.members.profiles import store as profiles_store
from tests.support import bearer, signed_up_id

ADMIN = "a" * 32
DIRECTORY = "/api/v1/members/directory"
PEOPLE = [("Мария", "Иванова", "medicine", 2001), ("Мария", "Иванова", "pharmacy", 2003),
          ("Иван", "Петров", "medicine", 2001), ("Ива", "Иванова", "medicine", 1999)]


@pytest.fixture
def directory(counter, make_config, issue_token):
    """The app (made after the counter), four listed members and a verified caller's headers."""
    app = create_app(make_config(AMQP_URL="memory://"))
    client, db = app.test_client(), app.extensions["alumnet"].store.db
    admin = bearer(issue_token(ADMIN, "admin"))
    ids = []
    for n, (given, family, faculty, year) in enumerate(PEOPLE):
        ids.append(signed_up_id(client, {
            "given_name": given, "family_name": family, "faculty": faculty, "graduation_year": year,
            "email": f"d{n}@example.bg", "preferred_language": "bg", "consent": {"email": True, "sms": False}}))
        assert client.post(f"/api/v1/members/{ids[-1]}/approve", json={}, headers=admin).status_code == 200
    return client, db, bearer(issue_token(ids[0], "alumnus"))


def search(client, caller, query: dict) -> dict:
    response = client.get(DIRECTORY, query_string=query, headers=caller)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_one_word_search(directory, counter, budget):
    client, db, caller = directory
    # More matches than a driver's first batch (101): they still come back in one reply.
    db[profiles_store.DIRECTORY].insert_many([profiles.directory_entry({
        "_id": f"{n:032x}", "status": "verified", "given_name": "Иван", "family_name": f"Колега{n}"})
        for n in range(150)])
    search(client, caller, {"q": "петров"})  # warm: the caller's verification is then cached
    with counter.counting(db.name) as seen:
        page = search(client, caller, {"q": "иван", "per_page": 2})
    assert page["total"] == 154 and len(page["items"]) == 2  # a full page: counted without a second read
    budget.check("members.directory_one_word", seen)


def test_two_words_and_a_filter(directory, counter, budget):
    client, db, caller = directory
    search(client, caller, {"q": "петров"})
    with counter.counting(db.name) as seen:
        page = search(client, caller, {"q": "Maria Ivanova", "faculty": "medicine", "graduation_year_from": 2000})
    assert page["total"] == 1 and page["items"][0]["faculty"] == "medicine"
    budget.check("members.directory_two_words_filter", seen)

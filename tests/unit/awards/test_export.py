"""A member's data export from the awards service (``GET /api/v1/awards/members/{id}/export``)
on the real app and the session's local store: Maria is nominated by two members (statements
merged) and confirms, nominates Bob herself (beside another nominator), checks in at an event
(a ledger row, and her standings once the ledger's cycle is registered) and won a category (the
winner's record as the announcement stores it); Jana judges her nomination.

Checked: Maria's export holds her ledger rows and points, the nominations of her with the
statements' text but not who wrote them, the nomination she made with her statement alone,
her win; Jana's export holds her score without the nomination or the nominee; only the member
or an admin; a member the service has forgotten is a 404, as the members service answers.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.awards import handlers
from services.awards.ledger import rules
from services.awards.ledger.store import open_cycle as register_ledger_cycle  # the real one: ``ledger`` fakes it
from tests.support import assert_problem, consumer_like
from tests.unit.awards.conftest import A
from tests.unit.awards.ledger.conftest import YEAR_2026, checked_in, envelope
from tests.unit.awards.test_api_judging import ballots, score

FIRST, SECOND = "Мария води студентите на дежурства всяка седмица.", "Организира летния курс по спешна медицина."
MINE, THEIRS = "Боб учи първокурсниците на аускултация.", "Боб е най-добрият асистент в клиниката."


def export_url(member_id: str) -> str:
    return f"{A}/members/{member_id}/export"


@pytest.fixture
def world(client, db, store, people, awards):
    maria, ivan, petar, bob, jana = (people.member(), people.member(), people.member(), people.member(),
                                     people.judge())
    cycle = awards.open(judges=[jana["id"]])
    nomination = awards.nominate(cycle, ivan, maria, statement=FIRST)
    awards.nominate(cycle, petar, maria, status=200, statement=SECOND)
    awards.confirm(nomination["id"], maria)
    awards.nominate(cycle, maria, bob, statement=MINE)
    awards.nominate(cycle, petar, bob, status=200, statement=THEIRS)
    cycle = awards.to_judging(cycle)
    [ballot] = [b for b in ballots(client, cycle, jana)]
    score(client, cycle, jana, ballot)
    consumer_like(store, handlers.subscriptions())(envelope(*checked_in(maria["id"], datetime(
        2026, 6, 1, 17, 0, tzinfo=timezone.utc))))
    register_ledger_cycle(db, None, cycle["id"], rules.CURRENT, *YEAR_2026)
    db.award_winners.insert_one({
        "_id": f"{cycle['id']}:mentor-of-the-year:{nomination['id']}", "cycle_id": cycle["id"], "year": 2026,
        "category_id": "mentor-of-the-year", "member_id": maria["id"], "nomination_id": nomination["id"],
        "citation": "За всеотдайно наставничество.", "announced_at": datetime(2027, 3, 1, tzinfo=timezone.utc)})
    return {"maria": maria, "ivan": ivan, "petar": petar, "bob": bob, "jana": jana, "cycle": cycle}


def test_the_export_holds_the_members_ledger_nominations_and_results_as_a_file(client, world):
    maria = world["maria"]
    response = client.get(export_url(maria["id"]), headers=maria["headers"])
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Disposition"] == f'attachment; filename="alumnet-awards-{maria["id"]}.json"'
    body = response.get_json()
    assert body["service"] == "awards" and body["member"]["given_name"] == maria["given_name"]
    [row] = body["ledger"]["rows"]
    assert row["event_type"] == rules.CHECKED_IN and row["source"]["event_id"] == "e1"
    points = {s["category"]: s["points"] for s in body["ledger"]["standings"]}
    assert points.get(rules.OVERALL, 0) > 0
    [received] = body["nominations"]["received"]
    assert (received["status"], received["year"], received["category"]["en"]) == ("confirmed", 2026,
                                                                                  "Mentor of the year")
    assert sorted(s["statement"] for s in received["statements"]) == sorted([FIRST, SECOND])
    [made] = body["nominations"]["made"]
    assert made["nominee_id"] == world["bob"]["id"] and [s["statement"] for s in made["statements"]] == [MINE]
    [won] = body["results"]
    assert (won["year"], won["citation"], won["category"]["en"]) == (2026, "За всеотдайно наставничество.",
                                                                     "Mentor of the year")
    assert body["judging"] == []


def test_the_export_names_no_nominator_and_no_other_statement(client, world):
    maria = world["maria"]
    text = client.get(export_url(maria["id"]), headers=maria["headers"]).get_data(as_text=True)
    for value in (world["ivan"]["id"], world["petar"]["id"], world["jana"]["id"], THEIRS, "nominator_id",
                  "field_times", "sort_name"):
        assert value not in text, value


def test_a_judges_export_holds_their_scores_but_not_whom_they_scored(client, world):
    jana = world["jana"]
    body = client.get(export_url(jana["id"]), headers=jana["headers"]).get_json()
    [given] = body["judging"]
    assert given["scores"] == {"impact": 8, "dedication": 4} and given["cycle_id"] == world["cycle"]["id"]
    assert world["maria"]["id"] not in str(body) and "nomination_id" not in given


def test_only_the_member_or_an_admin_exports(client, admin, world):
    maria = world["maria"]
    assert_problem(client.get(export_url(maria["id"])), 401)
    assert_problem(client.get(export_url(maria["id"]), headers=world["ivan"]["headers"]), 403)
    assert len(client.get(export_url(maria["id"]), headers=admin).get_json()["nominations"]["received"]) == 1


def test_an_erased_member_is_a_404(client, admin, deliver, world):
    maria = world["maria"]
    deliver("members.member.erased", maria["id"], {"member_id": maria["id"], "erased_at": "2027-01-10T11:00:00+00:00"})
    assert_problem(client.get(export_url(maria["id"]), headers=admin), 404)

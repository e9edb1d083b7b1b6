"""Nominations through the API: one refused naming its rule, a duplicate merged keeping both
statements (``awards.nomination.submitted`` once), self-nomination only where allowed, the
nominee's decision signed in or by the email's token (bad 403, expired 410, idempotent),
what each person sees, the office's redaction and its shortlist from the standings."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shared.decisionlink import NOMINATION_DECISION
from tests.conftest import LINK_KEY
from tests.support import assert_problem
from tests.unit.awards.conftest import A, STATEMENT, category, events

OTHER_STATEMENT = "Организира летния курс по спешна медицина и води студентите на дежурства."


def test_a_nomination_asks_the_nominee_to_confirm(client, db, people, awards):
    cycle = awards.open()
    nominator, nominee = people.member(), people.member()
    nomination = awards.nominate(cycle, nominator, nominee)
    assert nomination["status"] == "awaiting" and nomination["merged"] is False
    assert [s["statement"] for s in nomination["statements"]] == [STATEMENT]
    [submitted] = events(db, "awards.nomination.submitted")
    assert submitted.data["nominee_id"] == nominee["id"] and submitted.data["decide_by"] == cycle["phases"][
        "confirmation_until"]
    assert submitted.data["nominee"] == {"member_id": nominee["id"], "given_name": nominee["given_name"],
                                         "family_name": nominee["family_name"], "preferred_language": "bg"}
    assert nominator["id"] not in str(submitted.data)  # nominators are never named to the nominee


def test_a_second_nominator_is_merged_keeping_both_statements(client, db, admin, people, awards):
    cycle = awards.open()
    first, second, nominee = people.member(), people.member(), people.member()
    created = awards.nominate(cycle, first, nominee)
    merged = awards.nominate(cycle, second, nominee, status=200, statement=OTHER_STATEMENT)
    assert merged["id"] == created["id"] and merged["merged"] is True
    assert [s["statement"] for s in merged["statements"]] == [OTHER_STATEMENT]  # a nominator sees their own
    seen = client.get(f"{A}/nominations/{created['id']}", headers=admin).get_json()
    assert [(s["nominator_id"], s["statement"]) for s in seen["statements"]] == [
        (first["id"], STATEMENT), (second["id"], OTHER_STATEMENT)]
    assert len(events(db, "awards.nomination.submitted")) == 1


def test_an_ineligible_nominee_is_refused_naming_the_rule(client, people, awards, ledger):
    rules = [{"rule": "not_role", "roles": ["staff"]}, {"rule": "mentored_in_cycle"}]
    cycle = awards.open(categories=[category(eligibility=rules)])
    nominator, staff, idle, mentor = people.member(), people.member(roles=("alumnus", "staff")), people.member(), \
        people.member()
    ledger.mentored[mentor["id"]] = 2
    problem = assert_problem(client.post(f"{A}/cycles/{cycle['id']}/categories/mentor-of-the-year/nominations",
                                         json={"nominee_id": staff["id"], "statement": STATEMENT},
                                         headers=nominator["headers"]), 422)
    assert problem["rule"] == "not_role" and problem["errors"]["nominee_id"][0].startswith("not_role: ")
    problem = awards.nominate(cycle, nominator, idle, status=422)
    assert problem["rule"] == "mentored_in_cycle"
    awards.nominate(cycle, nominator, mentor)


def test_a_nominee_must_be_verified(people, awards):
    cycle = awards.open()
    problem = awards.nominate(cycle, people.member(), people.member(verified=False), status=422)
    assert problem["rule"] == "verified"


def test_a_past_winner_is_refused_by_not_recent_winner(client, db, people, awards):
    cycle = awards.open(categories=[category(eligibility=[{"rule": "not_recent_winner", "years": 3}])])
    winner = people.member()
    db.award_winners.insert_one({"_id": "old", "cycle_id": "old", "year": 2024, "category_id": "mentor-of-the-year",
                                 "member_id": winner["id"]})
    assert awards.nominate(cycle, people.member(), winner, status=422)["rule"] == "not_recent_winner"


def test_self_nomination_only_where_the_category_allows_it(people, awards):
    cycle = awards.open(categories=[category(), category("volunteer", self_nomination=True)])
    member = people.member()
    assert awards.nominate(cycle, member, member, status=422)["rule"] == "self_nomination"
    awards.nominate(cycle, member, member, category_id="volunteer")


def test_nominations_are_taken_only_while_nominations_run(client, people, awards):
    cycle = awards.open()
    awards.advance(cycle, "confirmation")
    problem = awards.nominate(cycle, people.member(), people.member(), status=409)
    assert problem["phase"] == "confirmation"


def test_a_short_statement_is_refused(people, awards):
    cycle = awards.open()
    problem = awards.nominate(cycle, people.member(), people.member(), status=422, statement="Добър е.")
    assert "statement" in problem["errors"]


# --------------------------------------------------------------------------- the nominee's decision

@pytest.fixture
def nominated(people, awards):
    cycle = awards.open()
    nominee = people.member()
    nomination = awards.nominate(cycle, people.member(), nominee)
    return cycle, nominee, nomination


def token(nominee: dict, nomination: dict, decision: str, deadline) -> dict:
    return {NOMINATION_DECISION.header: NOMINATION_DECISION.make_token(LINK_KEY, nominee["id"], nomination["id"],
                                                                       decision, deadline)}


def test_the_nominee_confirms_with_details_once(client, db, nominated, awards):
    _, nominee, nomination = nominated
    confirmed = awards.confirm(nomination["id"], nominee, details="Водя летен курс по ЕКГ.")
    assert confirmed["status"] == "confirmed" and confirmed["details"] == "Водя летен курс по ЕКГ."
    assert confirmed["already"] is False
    assert awards.confirm(nomination["id"], nominee)["already"] is True
    assert len(events(db, "awards.nomination.confirmed")) == 1
    problem = assert_problem(client.post(f"{A}/nominations/{nomination['id']}/decline", json={},
                                         headers=nominee["headers"]), 409)
    assert problem["type"].endswith("already-decided") and problem["status_now"] == "confirmed"


def test_only_the_nominee_decides(client, people, nominated, admin):
    _, _, nomination = nominated
    assert_problem(client.post(f"{A}/nominations/{nomination['id']}/confirm", json={},
                               headers=people.member()["headers"]), 403)
    assert_problem(client.post(f"{A}/nominations/{nomination['id']}/confirm", json={}, headers=admin), 403)
    assert_problem(client.post(f"{A}/nominations/{nomination['id']}/confirm", json={}), 401)


def test_the_emails_link_decides_without_a_login(client, db, nominated, clock):
    cycle, nominee, nomination = nominated
    deadline = clock() + timedelta(days=35)
    response = client.post(f"{A}/nominations/{nomination['id']}/decline", json={},
                           headers=token(nominee, nomination, "decline", deadline))
    assert response.status_code == 200 and response.get_json()["status"] == "declined"
    [declined] = events(db, "awards.nomination.declined")
    assert declined.data == {"nomination_id": nomination["id"], "cycle_id": cycle["id"], "year": cycle["year"],
                             "category_id": "mentor-of-the-year",
                             "category": {"category_id": "mentor-of-the-year", "title": cycle["categories"][0]["title"]},
                             "nominee_id": nominee["id"], "results_at": cycle["phases"]["results_at"],
                             "at": clock().isoformat()}


def test_a_bad_link_is_403_and_an_expired_one_410(client, people, nominated, clock):
    _, nominee, nomination = nominated
    deadline = clock() + timedelta(days=35)
    url = f"{A}/nominations/{nomination['id']}/confirm"
    assert_problem(client.post(url, json={}, headers={NOMINATION_DECISION.header: "not-a-token"}), 403)
    # Another decision's link, another person's, a link for another nomination, another key.
    assert_problem(client.post(url, json={}, headers=token(nominee, nomination, "decline", deadline)), 403)
    assert_problem(client.post(url, json={}, headers=token(people.member(), nomination, "confirm", deadline)), 403)
    assert_problem(client.post(url, json={}, headers=token(nominee, {"id": "x" * 32}, "confirm", deadline)), 403)
    forged = NOMINATION_DECISION.make_token("k" * 64, nominee["id"], nomination["id"], "confirm", deadline)
    assert_problem(client.post(url, json={}, headers={NOMINATION_DECISION.header: forged}), 403)
    expired = token(nominee, nomination, "confirm", clock() - timedelta(seconds=1))
    problem = assert_problem(client.post(url, json={}, headers=expired), 410)
    assert problem["status_now"] == "awaiting"


def test_deciding_ends_with_the_confirmation_phase(client, nominated, awards):
    cycle, nominee, nomination = nominated
    awards.to_judging(cycle)
    problem = assert_problem(client.post(f"{A}/nominations/{nomination['id']}/confirm", json={},
                                         headers=nominee["headers"]), 409)
    assert problem["phase"] == "judging"


# --------------------------------------------------------------------------- who sees what

def test_the_nominee_sees_the_statements_not_who_wrote_them(client, people, nominated):
    _, nominee, nomination = nominated
    seen = client.get(f"{A}/nominations/{nomination['id']}", headers=nominee["headers"]).get_json()
    assert [s["statement"] for s in seen["statements"]] == [STATEMENT]
    assert all("nominator_id" not in s and "nominator" not in s for s in seen["statements"])
    assert_problem(client.get(f"{A}/nominations/{nomination['id']}", headers=people.member()["headers"]), 403)


def test_the_emails_link_shows_the_nomination_to_its_nominee_only(client, db, people, nominated, clock):
    cycle, nominee, nomination = nominated
    deadline = clock() + timedelta(days=35)
    url = f"{A}/nominations/{nomination['id']}"
    for decision in ("confirm", "decline"):  # either link of the email shows it (the GET decides nothing)
        seen = client.get(url, headers=token(nominee, nomination, decision, deadline)).get_json()
        assert seen["id"] == nomination["id"] and seen["status"] == "awaiting"
        assert [s["statement"] for s in seen["statements"]] == [STATEMENT] and seen["year"] == 2026
        assert all("nominator_id" not in s for s in seen["statements"]) and seen["phase"] == "nominations"
    assert db.award_nominations.find_one({"_id": nomination["id"]})["status"] == "awaiting"
    assert_problem(client.get(url, headers=token(people.member(), nomination, "confirm", deadline)), 403)
    assert_problem(client.get(url, headers=token(nominee, {"id": "x" * 32}, "confirm", deadline)), 403)
    assert_problem(client.get(url, headers={NOMINATION_DECISION.header: "not-a-token"}), 403)
    assert_problem(client.get(url, headers=token(nominee, nomination, "confirm", clock() - timedelta(seconds=1))), 410)
    assert_problem(client.get(url), 401)


def test_my_nominations_of_me_and_by_me(client, people, awards):
    cycle = awards.open()
    me, them = people.member(), people.member()
    by_me = awards.nominate(cycle, me, them)
    of_me = awards.nominate(cycle, them, me)
    mine = client.get(f"{A}/me/nominations", headers=me["headers"]).get_json()
    assert [n["id"] for n in mine["of_me"]] == [of_me["id"]] and [n["id"] for n in mine["by_me"]] == [by_me["id"]]
    assert mine["by_me"][0]["nominee"]["family_name"] == them["family_name"]
    assert mine["of_me"][0]["category"]["en"] == "Mentor of the year"


def test_the_office_lists_and_redacts_before_judging(client, admin, people, awards):
    cycle = awards.open()
    nominator, nominee = people.member(), people.member()
    nomination = awards.nominate(cycle, nominator, nominee)
    listed = client.get(f"{A}/cycles/{cycle['id']}/nominations", headers=admin).get_json()["items"]
    assert listed[0]["nominee"]["given_name"] == nominee["given_name"]
    assert listed[0]["statements"][0]["nominator"]["family_name"] == nominator["family_name"]
    redacted = client.patch(f"{A}/nominations/{nomination['id']}/statements/0",
                            json={"statement": "Наставлява студенти. [премахнато от офиса]"}, headers=admin)
    assert redacted.status_code == 200
    statement = redacted.get_json()["statements"][0]
    assert statement["statement"] == "Наставлява студенти. [премахнато от офиса]" and statement["redacted"]["by"]
    assert client.patch(f"{A}/nominations/{nomination['id']}/statements/5", json={"statement": "x"},
                        headers=admin).status_code == 404


def test_the_office_shortlists_the_eligible_top_of_the_standings(client, db, admin, people, awards, ledger):
    cycle = awards.open(categories=[category(eligibility=[{"rule": "not_role", "roles": ["staff"]}])])
    first, staff, third = people.member(), people.member(roles=("alumnus", "staff")), people.member()
    ledger.standings["mentoring"] = [(first["id"], 64.0), (staff["id"], 50.0), (third["id"], 40.0)]
    response = client.post(f"{A}/cycles/{cycle['id']}/categories/mentor-of-the-year/shortlist", json={"top": 3},
                           headers=admin)
    assert response.status_code == 200, response.get_json()
    shortlist = response.get_json()
    assert [n["nominee_id"] for n in shortlist["nominated"]] == [first["id"], third["id"]]
    assert shortlist["skipped"] == [{"member_id": staff["id"], "rule": "not_role",
                                     "explanation": "the category is not for: staff."}]
    assert all(n["status"] == "awaiting" for n in shortlist["nominated"])
    assert shortlist["nominated"][0]["statements"][0]["nominator_id"] == "office"
    assert len(events(db, "awards.nomination.submitted")) == 2


def test_a_nominee_erased_while_the_nomination_is_made_is_not_stored(client, db, people, awards, deliver,
                                                                     monkeypatch):
    """The api reads the nominee (eligible), then the nominee's erasure is handled, then the
    nomination's transaction runs: it holds the nominee in the view, finds them gone and
    stores nothing (409) — never a nomination, or a message, naming an erased member."""
    from services.awards import readmodel_store
    cycle = awards.open()
    nominator, nominee = people.member(), people.member()
    read = readmodel_store.member

    def read_then_erased(db_, member_id, session=None):
        found = read(db_, member_id, session)
        if member_id == nominee["id"]:
            deliver("members.member.erased", member_id, {"member_id": member_id, "erased_at": "2026-01-01T00:00:00+00:00"})
        return found
    monkeypatch.setattr(readmodel_store, "member", read_then_erased)
    problem = awards.nominate(cycle, nominator, nominee, status=409)
    assert problem["type"].endswith("/awards-erased")
    assert db.nominations.count_documents({"nominee_id": nominee["id"]}) == 0
    assert events(db, "awards.nomination.submitted") == []

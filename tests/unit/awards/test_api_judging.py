"""Judging and results through the API: the whole way from an opened cycle to the
announcement (two judges score blind, a judge who nominated is refused, results ranked, the
winner chosen, one ``awards.winner.announced`` per winner); judges see nothing that names the
nominee (a walk over every field of the answer); unconfirmed nominations never reach them."""
from __future__ import annotations

import pytest

from tests.support import assert_problem
from tests.unit.awards.conftest import A, category, events

SCORES = {"impact": 8, "dedication": 4}


@pytest.fixture
def judged(people, awards):
    """A cycle in judging with two judges (the second also nominated Bob), a confirmed Ann
    and Bob, and Cid who never confirmed."""
    first, second = people.judge(), people.judge()
    cycle = awards.open(judges=[first["id"], second["id"]],
                        categories=[category(), category("volunteer", standings_category="volunteering")])
    ann, bob, cid = people.member(), people.member(), people.member()
    nominator = people.member()
    awards.confirm(awards.nominate(cycle, nominator, ann)["id"], ann)
    awards.confirm(awards.nominate(cycle, second, bob)["id"], bob)
    awards.nominate(cycle, nominator, cid)
    cycle = awards.to_judging(cycle)
    return {"cycle": cycle, "judges": (first, second), "ann": ann, "bob": bob, "cid": cid, "nominator": nominator}


def ballots(client, cycle: dict, judge: dict, category_id: str = "mentor-of-the-year") -> list[dict]:
    response = client.get(f"{A}/cycles/{cycle['id']}/judging", headers=judge["headers"])
    assert response.status_code == 200, response.get_json()
    [found] = [c for c in response.get_json()["categories"] if c["category_id"] == category_id]
    return found["ballots"]


def score(client, cycle, judge, ballot, scores=SCORES, status=200) -> dict:
    response = client.put(f"{A}/cycles/{cycle['id']}/judging/{ballot['ballot_id']}", json={"scores": scores},
                          headers=judge["headers"])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def walk(value, path="$"):
    """Every (path, key or value) of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


def test_judges_see_no_identifying_field_of_the_nominee(client, judged):
    cycle, (first, _) = judged["cycle"], judged["judges"]
    answer = client.get(f"{A}/cycles/{cycle['id']}/judging", headers=first["headers"]).get_json()
    identifying = set()
    for person in (judged["ann"], judged["bob"], judged["cid"]):
        identifying |= {person["id"], person["given_name"], person["family_name"], person["email"], person["phone"]}
    identifying |= {judged["nominator"]["id"], judged["judges"][1]["id"]}
    forbidden_keys = {"member_id", "nominee_id", "nominee", "nominator_id", "nominator", "given_name", "family_name",
                      "email", "phone", "photo", "photo_url", "nomination_id", "id"}
    seen = list(walk(answer))
    assert len([b for c in answer["categories"] for b in c["ballots"]]) == 2   # Ann's and Bob's
    for path, item in seen:
        if isinstance(item, str):
            assert not any(secret in item for secret in identifying), (path, item)
            assert item not in forbidden_keys, path
    nominations = client.application.extensions["alumnet"].store.db.award_nominations.find()
    assert not {n["_id"] for n in nominations} & {str(item) for _, item in seen}


def test_ballot_ids_are_stable_for_a_judge_and_differ_between_judges(client, judged):
    cycle, (first, second) = judged["cycle"], judged["judges"]
    mine = [b["ballot_id"] for b in ballots(client, cycle, first)]
    assert mine == [b["ballot_id"] for b in ballots(client, cycle, first)]
    assert not set(mine) & {b["ballot_id"] for b in ballots(client, cycle, second)}


def test_unconfirmed_nominations_never_reach_the_judges(client, judged):
    details = {b["details"] for b in ballots(client, judged["cycle"], judged["judges"][0])}
    assert details == {"Водя и летен курс по ЕКГ."} and len(ballots(client, judged["cycle"], judged["judges"][0])) == 2


def test_a_judge_who_nominated_the_person_is_refused_a_score(client, judged):
    cycle, (_, second) = judged["cycle"], judged["judges"]
    conflicted = [b for b in ballots(client, cycle, second) if b["conflict"]]
    assert len(conflicted) == 1    # Bob, whom they nominated
    problem = score(client, cycle, second, conflicted[0], status=409)
    assert problem["reason"] == "conflict_of_interest"


def test_a_declared_conflict_withdraws_the_score(client, judged):
    cycle, (first, _) = judged["cycle"], judged["judges"]
    ballot = ballots(client, cycle, first)[0]
    score(client, cycle, first, ballot)
    response = client.post(f"{A}/cycles/{cycle['id']}/judging/{ballot['ballot_id']}/conflict",
                           json={"reason": "Работим в една клиника."}, headers=first["headers"])
    assert response.status_code == 200 and response.get_json()["conflict"] is True
    assert response.get_json()["my_scores"] is None
    assert score(client, cycle, first, ballot, status=409)["reason"] == "conflict_of_interest"


def test_a_judge_erased_while_scoring_leaves_no_score(client, db, judged, deliver, monkeypatch):
    """The api reads the cycle (the judge listed), then the judge's erasure is handled, then
    the score's transaction runs: it holds the judge in the view, finds them erased and stores
    nothing (409) — never a score with an erased judge's id."""
    from services.awards.cycles import store as cycles_store
    cycle, (first, _) = judged["cycle"], judged["judges"]
    ballot = ballots(client, cycle, first)[0]
    read = cycles_store.get_cycle

    def read_then_erased(db_, cycle_id, *args, **kwargs):
        found = read(db_, cycle_id, *args, **kwargs)
        deliver("members.member.erased", first["id"], {"member_id": first["id"],
                                                       "erased_at": "2026-01-01T00:00:00+00:00"})
        return found
    monkeypatch.setattr(cycles_store, "get_cycle", read_then_erased)
    assert score(client, cycle, first, ballot, status=409)["type"].endswith("/awards-erased")
    assert db.award_scores.count_documents({"judge_id": first["id"]}) == 0


def test_scores_must_fit_the_rubric(client, judged):
    cycle, (first, _) = judged["cycle"], judged["judges"]
    ballot = ballots(client, cycle, first)[0]
    problem = score(client, cycle, first, ballot, scores={"impact": 8}, status=422)
    assert "dedication" in problem["errors"]["scores"]
    assert "impact" in score(client, cycle, first, ballot, scores={"impact": 11, "dedication": 1},
                             status=422)["errors"]["scores"]


def test_only_the_cycles_judges_judge_and_only_while_judging(client, people, judged, awards):
    cycle = judged["cycle"]
    assert_problem(client.get(f"{A}/cycles/{cycle['id']}/judging", headers=people.judge()["headers"]), 403)
    assert_problem(client.get(f"{A}/cycles/{cycle['id']}/judging", headers=people.member()["headers"]), 403)
    ballot = ballots(client, cycle, judged["judges"][0])[0]
    awards.advance(cycle, "results")
    assert score(client, cycle, judged["judges"][0], ballot, status=409)["phase"] == "results"


def test_from_opening_to_announcement(client, db, admin, judged, awards, ledger):
    cycle, (first, second), ann, bob = judged["cycle"], judged["judges"], judged["ann"], judged["bob"]
    ledger.standings["mentoring"] = [(bob["id"], 30.0), (ann["id"], 12.0)]
    ann_first = ballot_of_nominee(client, db, cycle, first, ann)
    bob_first = ballot_of_nominee(client, db, cycle, first, bob)
    ann_second = ballot_of_nominee(client, db, cycle, second, ann)
    assert score(client, cycle, first, ann_first, {"impact": 9, "dedication": 5})["my_weighted"] == 8.0
    score(client, cycle, first, bob_first, {"impact": 7, "dedication": 7})
    score(client, cycle, second, ann_second, {"impact": 6, "dedication": 10})
    # Results are read from judging on, ranked by the documented rule.
    found = client.get(f"{A}/cycles/{cycle['id']}/results", headers=admin).get_json()
    assert "median" in found["tie_break"]
    [mentor] = [c for c in found["categories"] if c["category_id"] == "mentor-of-the-year"]
    first_place, second_place = mentor["nominees"]
    assert first_place["nominee"]["member_id"] == ann["id"] and first_place["rank"] == 1
    assert (first_place["mean"], first_place["median"], first_place["judges"]) == (7.5, 7.5, 2)
    assert (first_place["min"], first_place["max"], first_place["std_dev"]) == (7.0, 8.0, 0.5)
    assert second_place["nominee"]["member_id"] == bob["id"] and second_place["standings_points"] == 30.0
    assert second_place["conflicts"] == 0 and second_place["judges"] == 1
    # Winners only in the results phase; then every category decided before the announcement.
    winners_url = f"{A}/cycles/{cycle['id']}/categories/mentor-of-the-year/winners"
    choice = {"nomination_ids": [first_place["nomination_id"]],
              "citations": {first_place["nomination_id"]: {"bg": "За шестима студенти.", "en": "For six students."}}}
    assert_problem(client.post(winners_url, json=choice, headers=admin), 409)
    awards.advance(cycle, "results")
    assert client.post(winners_url, json={"nomination_ids": ["nope"]}, headers=admin).status_code == 422
    assert client.post(winners_url, json=choice, headers=admin).status_code == 200
    problem = assert_problem(client.post(f"{A}/cycles/{cycle['id']}/announce", headers=admin), 409)
    assert problem["undecided"] == ["volunteer"]
    decided = client.post(f"{A}/cycles/{cycle['id']}/categories/volunteer/winners",
                          json={"no_award": True, "reason": "Няма номинации."}, headers=admin)
    assert decided.get_json()["status"] == "finalised"
    assert client.get(f"{A}/cycles/{cycle['id']}/winners", headers=ann["headers"]).status_code == 404
    announced = client.post(f"{A}/cycles/{cycle['id']}/announce", headers=admin)
    assert announced.status_code == 200 and announced.get_json()["status"] == "announced"
    [winner] = events(db, "awards.winner.announced")
    assert winner.data["winner_id"] == ann["id"] and winner.data["winner"]["given_name"] == ann["given_name"]
    assert winner.data["citation"]["en"] == "For six students." and winner.data["audience"] == {}
    assert_problem(client.post(f"{A}/cycles/{cycle['id']}/announce", headers=admin), 409)
    shown = client.get(f"{A}/cycles/{cycle['id']}/winners", headers=bob["headers"]).get_json()
    by_category = {c["category_id"]: c for c in shown["categories"]}
    assert by_category["mentor-of-the-year"]["winners"][0]["family_name"] == ann["family_name"]
    assert by_category["volunteer"] == {**by_category["volunteer"], "no_award": True, "winners": []}


def ballot_of_nominee(client, db, cycle, judge, nominee) -> dict:
    """The judge's ballot of a nominee, found as the test knows (the details are the same for
    everyone: a judge cannot tell)."""
    from services.awards.cycles import judging
    salt = db.award_cycles.find_one({"_id": cycle["id"]})["ballot_salt"]
    nomination = db.award_nominations.find_one({"nominee_id": nominee["id"]})
    wanted = judging.ballot_id(salt, judge["id"], nomination["_id"])
    return next(b for b in ballots(client, cycle, judge) if b["ballot_id"] == wanted)

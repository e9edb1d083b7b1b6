"""The awards service's view of members from members events: roles from the sign-up and from
``members.member.roles_changed`` (newest wins, in any order), and erasure: the member's
nominations gone, their statements as a nominator gone, their scores kept without their id,
the ledger told."""
from __future__ import annotations

from datetime import timedelta

from services.awards import readmodel_store
from tests.unit.awards.conftest import A, NOW


def registered(member_id: str, **fields) -> dict:
    return {"member_id": member_id, "given_name": "Анна", "family_name": "Петрова", "email": "anna@example.bg",
            "preferred_language": "en", "consent": {"email": True, "sms": False},
            "registered_at": (NOW - timedelta(days=3)).isoformat(), **fields}


def test_a_sign_up_without_roles_is_an_alumnus_and_a_students_roles_are_kept(db, deliver):
    deliver("members.member.registered", "m1", registered("m1"))
    deliver("members.member.registered", "m2", registered("m2", roles=["student"]))
    assert readmodel_store.member(db, "m1")["roles"] == ["alumnus"]
    assert readmodel_store.member(db, "m2")["roles"] == ["student"]
    assert readmodel_store.member(db, "m1")["preferred_language"] == "en"
    assert "email" not in readmodel_store.member(db, "m1")   # contacts are notifications', not ours


def test_the_newest_roles_win_whatever_the_order(db, deliver):
    later = {"member_id": "m1", "roles": ["alumnus", "judge"], "changed_at": NOW.isoformat()}
    earlier = {"member_id": "m1", "roles": ["alumnus"], "changed_at": (NOW - timedelta(days=1)).isoformat()}
    deliver("members.member.roles_changed", "m1", later)
    deliver("members.member.registered", "m1", registered("m1"))
    deliver("members.member.roles_changed", "m1", earlier)
    assert readmodel_store.member(db, "m1")["roles"] == ["alumnus", "judge"]


def test_an_erased_member_does_not_come_back(db, deliver):
    deliver("members.member.erased", "m1", {"member_id": "m1", "erased_at": NOW.isoformat()})
    deliver("members.member.registered", "m1", registered("m1"))
    assert readmodel_store.member(db, "m1") is None


def test_erasure_forgets_the_member_in_nominations_scores_and_the_ledger(client, db, admin, people, awards, deliver,
                                                                         ledger):
    judge = people.judge()
    cycle = awards.open(judges=[judge["id"]])
    nominee, nominator, kept = people.member(), people.member(), people.member()
    theirs = awards.nominate(cycle, nominator, nominee)
    awards.nominate(cycle, nominator, kept)
    other = awards.nominate(cycle, people.member(), kept, status=200)
    awards.confirm(other["id"], kept)
    awards.to_judging(cycle)
    [ballot] = client.get(f"{A}/cycles/{cycle['id']}/judging", headers=judge["headers"]).get_json()[
        "categories"][0]["ballots"]
    client.put(f"{A}/cycles/{cycle['id']}/judging/{ballot['ballot_id']}",
               json={"scores": {"impact": 7, "dedication": 7}}, headers=judge["headers"])
    for gone in (nominee, nominator, judge):
        deliver("members.member.erased", gone["id"], {"member_id": gone["id"], "erased_at": NOW.isoformat()})
    assert db.award_nominations.find_one({"_id": theirs["id"]}) is None
    [left] = db.award_nominations.find()
    assert [s["nominator_id"] for s in left["statements"]] == [other["statements"][0]["nominator_id"]]
    [score] = db.award_scores.find()
    assert score["judge_id"].startswith("erased:") and score["weighted"] == 7.0
    assert judge["id"] not in db.award_cycles.find_one({"_id": cycle["id"]})["judges"]
    assert ledger.forgotten == [nominee["id"], nominator["id"], judge["id"]]
    results = client.get(f"{A}/cycles/{cycle['id']}/results", headers=admin).get_json()
    assert results["categories"][0]["nominees"][0]["scores"] == [{"judge_id": None, "weighted": 7.0}]


# --------------------------------------------------------------------------- snapshots (republish)

def snapshot(member_id: str, as_of, **fields) -> dict:
    from services.members.messages import CATALOG, MEMBER_SNAPSHOT
    return {**CATALOG.examples[MEMBER_SNAPSHOT], "member_id": member_id, "as_of": as_of.isoformat(), **fields}


def test_a_snapshot_fills_an_empty_view_with_status_roles_and_language(db, deliver):
    deliver("members.member.snapshot", "m1", snapshot("m1", NOW, roles=["alumnus", "judge"], preferred_language="en"))
    member = readmodel_store.member(db, "m1")
    assert (member["status"], member["roles"], member["preferred_language"]) == ("verified", ["alumnus", "judge"], "en")
    assert member["given_name"] == "Мария" and "email" not in member and "consents" not in member


def test_an_older_snapshot_does_not_undo_a_newer_role_change(db, deliver):
    deliver("members.member.registered", "m1", registered("m1"))
    deliver("members.member.roles_changed", "m1", {"member_id": "m1", "roles": ["alumnus", "judge"],
                                                   "changed_at": NOW.isoformat()})
    deliver("members.member.snapshot", "m1", snapshot("m1", NOW - timedelta(days=1), roles=["alumnus"],
                                                      family_name="Петрова-Иванова"))
    member = readmodel_store.member(db, "m1")
    assert member["roles"] == ["alumnus", "judge"]  # the change is newer than the snapshot
    assert member["family_name"] == "Петрова-Иванова"  # the sign-up's name was older than the snapshot


def test_a_snapshot_never_brings_an_erased_member_back(db, deliver):
    deliver("members.member.erased", "m1", {"member_id": "m1", "erased_at": NOW.isoformat()})
    deliver("members.member.snapshot", "m1", snapshot("m1", NOW + timedelta(days=1)))
    assert readmodel_store.member(db, "m1") is None

"""The office's cycles through the API: a draft with its defaults and checks (judges must be
judges in the view of members, dates in order), changes while a draft, opening (the ledger
told, ``awards.cycle.opened`` published), who sees which cycle, and advancing the phases."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.support import assert_problem
from tests.unit.awards.conftest import A, cycle_body, events


def test_a_draft_cycle_with_the_calendar_year_as_its_activity(client, admin, people, awards):
    judge = people.judge()
    cycle = awards.create(judges=[judge["id"]])
    assert cycle["status"] == "draft" and cycle["phase"] == "draft" and cycle["rules_version"] == "2026.1"
    assert cycle["activity_from"] == "2025-12-31T22:00:00+00:00"
    assert cycle["activity_to"] == "2026-12-31T22:00:00+00:00"
    assert cycle["audience"] == {} and cycle["judges"] == [judge["id"]]


def test_a_judge_must_have_the_role_judge(client, admin, people, awards):
    alumnus = people.member()
    problem = assert_problem(client.post(f"{A}/cycles", json=cycle_body(judges=[alumnus["id"], "nobody"]),
                                         headers=admin), 422)
    assert set(problem["errors"]["judges"]) == {"0", "1"}


def test_dates_out_of_order_are_named(client, admin, awards):
    body = cycle_body()
    body["phases"]["judging_until"] = body["phases"]["nominations_until"]
    body["phases"]["confirmation_until"] = "2030-01-01T00:00:00+00:00"
    problem = assert_problem(client.post(f"{A}/cycles", json=body, headers=admin), 422)
    assert "judging_until" in problem["errors"]["phases"]


def test_an_eligibility_rule_needs_its_parameter(client, admin):
    body = cycle_body()
    body["categories"][0]["eligibility"] = [{"rule": "graduated_years_ago_at_least"}]
    problem = assert_problem(client.post(f"{A}/cycles", json=body, headers=admin), 422)
    assert "years" in problem["errors"]["categories"]["0"]["eligibility"]["0"]


def test_a_draft_changes_and_an_open_cycle_does_not(client, admin, awards):
    cycle = awards.create()
    changed = client.patch(f"{A}/cycles/{cycle['id']}", json={"year": 2027}, headers=admin).get_json()
    assert changed["year"] == 2027 and changed["activity_from"] == "2026-12-31T22:00:00+00:00"
    assert client.post(f"{A}/cycles/{cycle['id']}/open", headers=admin).status_code == 200
    assert_problem(client.patch(f"{A}/cycles/{cycle['id']}", json={"year": 2028}, headers=admin), 409)
    assert_problem(client.post(f"{A}/cycles/{cycle['id']}/open", headers=admin), 409)


def test_opening_tells_the_ledger_and_invites_the_audience(client, admin, db, awards, ledger):
    cycle = awards.open()
    assert cycle["status"] == "open" and cycle["phase"] == "nominations"
    assert ledger.opened == [cycle["id"]]
    [opened] = events(db, "awards.cycle.opened")
    assert opened.data["cycle_id"] == cycle["id"] and opened.data["audience"] == {}
    assert opened.data["categories"][0]["category_id"] == "mentor-of-the-year"
    assert opened.data["nominations_until"] == "2027-01-31T10:00:00+00:00"


def test_members_see_opened_cycles_and_not_drafts(client, admin, people, awards):
    draft, opened = awards.create(), awards.open()
    member = people.member()
    listed = client.get(f"{A}/cycles", headers=member["headers"]).get_json()
    assert [c["id"] for c in listed["items"]] == [opened["id"]] and "judges" not in listed["items"][0]
    assert client.get(f"{A}/cycles/{draft['id']}", headers=member["headers"]).status_code == 404
    assert client.get(f"{A}/cycles", headers=admin).get_json()["total"] == 2
    pending = people.member(verified=False)
    assert_problem(client.get(f"{A}/cycles", headers=pending["headers"]), 403)


def test_advancing_moves_through_the_phases_and_stops_at_results(client, admin, awards):
    cycle = awards.open()
    awards.advance(cycle, "confirmation")
    awards.advance(cycle, "judging")
    awards.advance(cycle, "results")
    problem = assert_problem(client.post(f"{A}/cycles/{cycle['id']}/advance", headers=admin), 409)
    assert problem["phase"] == "results"


def test_the_activity_period_can_be_given(client, admin, awards):
    cycle = awards.create(activity_from="2026-03-01T00:00:00+00:00", activity_to="2026-09-01T00:00:00+00:00")
    assert datetime.fromisoformat(cycle["activity_to"]) == datetime(2026, 9, 1, tzinfo=timezone.utc)

"""The engagement routes: my engagement (a cycle, the latest started, or the running year),
a cycle's standings for the office with names from the members view, a member's engagement
for the office or themself; problems for unknown cycles and bad queries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.awards.ledger import rules
from tests.unit.awards.ledger.conftest import A, accepted, checked_in

T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ME, YOU = "1" * 32, "2" * 32


def season(deliver) -> None:
    for i in range(6):
        deliver(*checked_in(ME, T + timedelta(days=i)))
    deliver(*accepted(ME, T))
    deliver(*accepted(YOU, T))
    deliver(*accepted(YOU, T + timedelta(days=1)))


def totals(body: dict) -> dict:
    return {t["category"]: (t["points"], t["rank"]) for t in body["totals"]}


def test_my_engagement_in_a_cycle_with_ranks_and_breakdown(client, deliver, open_cycle, view, as_member):
    view(ME), view(YOU)
    open_cycle()
    season(deliver)
    response = client.get(f"{A}/me/engagement?cycle_id=2026", headers=as_member(ME))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["cycle_id"] == "2026" and body["rules_version"] == rules.CURRENT
    assert totals(body) == {"overall": (30.0, 1), "participation": (20.0, 1), "mentoring": (10.0, 2),
                            "ambassador": (0.0, None), "volunteering": (0.0, None)}
    assert body["breakdown"] == [
        {"event_type": rules.CHECKED_IN, "category": "participation", "count": 6, "raw_points": 30.0,
         "capped_points": 20.0},
        {"event_type": rules.MENTORSHIP_ACCEPTED, "category": "mentoring", "count": 1, "raw_points": 10.0,
         "capped_points": 10.0}]


def test_without_a_cycle_id_the_latest_started_cycle(client, deliver, open_cycle, view, as_member):
    view(ME)
    open_cycle()
    season(deliver)
    body = client.get(f"{A}/me/engagement", headers=as_member(ME)).get_json()
    assert body["cycle_id"] == "2026" and totals(body)["overall"] == (30.0, 1)


def test_without_any_cycle_the_running_year_under_the_current_rules(client, deliver, view, as_member):
    view(ME)
    season(deliver)
    deliver(*checked_in(ME, datetime(2025, 6, 1, tzinfo=timezone.utc)))  # last year: not in it
    body = client.get(f"{A}/me/engagement", headers=as_member(ME)).get_json()
    assert body["cycle_id"] is None and body["rules_version"] == rules.CURRENT
    assert body["activity_from"].startswith("2025-12-31T22:00")
    assert totals(body)["overall"] == (30.0, None)


def test_only_verified_members_see_their_engagement(client, view, as_member, admin):
    view(ME, status="pending_verification")
    assert client.get(f"{A}/me/engagement", headers=as_member(ME)).status_code == 403
    assert client.get(f"{A}/me/engagement", headers=as_member(YOU)).status_code == 403  # not in the view
    assert client.get(f"{A}/me/engagement", headers=admin).status_code == 200
    assert client.get(f"{A}/me/engagement").status_code == 401


def test_an_unknown_cycle_is_a_404(client, view, as_member, admin):
    view(ME)
    assert client.get(f"{A}/me/engagement?cycle_id=nope", headers=as_member(ME)).status_code == 404
    assert client.get(f"{A}/cycles/nope/standings", headers=admin).status_code == 404
    assert client.get(f"{A}/cycles/nope/members/{ME}/engagement", headers=admin).status_code == 404


def test_standings_for_the_office_with_names_where_the_view_has_them(client, deliver, open_cycle, view, admin):
    view(ME, given_name="Мария", family_name="Иванова")
    open_cycle()
    season(deliver)
    response = client.get(f"{A}/cycles/2026/standings?category=mentoring&limit=5", headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {"cycle_id": "2026", "category": "mentoring", "items": [
        {"member_id": YOU, "given_name": None, "family_name": None, "points": 20.0, "rank": 1},
        {"member_id": ME, "given_name": "Мария", "family_name": "Иванова", "points": 10.0, "rank": 2}]}
    overall = client.get(f"{A}/cycles/2026/standings", headers=admin).get_json()
    assert [i["member_id"] for i in overall["items"]] == [ME, YOU]


def test_standings_are_the_offices(client, open_cycle, view, as_member):
    view(ME)
    open_cycle()
    assert client.get(f"{A}/cycles/2026/standings", headers=as_member(ME)).status_code == 403


def test_bad_standings_queries_are_problems_naming_the_field(client, open_cycle, admin):
    open_cycle()
    for query, field in (("category=charm", "category"), ("limit=0", "limit"), ("limit=101", "limit"),
                         ("sort=points", "sort")):
        response = client.get(f"{A}/cycles/2026/standings?{query}", headers=admin)
        assert response.status_code == 422, query
        assert response.content_type == "application/problem+json"
        assert field in str(response.get_json()["errors"]), query


def test_a_members_engagement_for_the_office_and_the_member_alone(client, deliver, open_cycle, view, as_member,
                                                                  admin):
    view(ME), view(YOU)
    open_cycle()
    season(deliver)
    path = f"{A}/cycles/2026/members/{ME}/engagement"
    assert totals(client.get(path, headers=admin).get_json())["overall"] == (30.0, 1)
    assert client.get(path, headers=as_member(ME)).status_code == 200
    assert client.get(path, headers=as_member(YOU)).status_code == 403

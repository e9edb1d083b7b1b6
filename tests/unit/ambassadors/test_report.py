"""The office's report over a period: per ambassador and country, contacts, replies within
target, the median reply time, activities by kind and people reached, as JSON and CSV."""
from __future__ import annotations

import csv
import io

from tests.unit.ambassadors.conftest import A


def test_the_report_counts_the_periods_contacts_replies_and_activities(client, programme, admin_headers, clock):
    priya = programme.ambassador(given_name="Priya", family_name="Sharma")
    quiet = programme.ambassador(given_name="Ana", family_name="Petrova",
                                 application={"countries": ["NP"], "cities": []})
    fast, slow, _still_open = (programme.contact(priya) for _ in range(3))
    programme.contact(priya, country="NP")
    url = f"{A}/{priya['id']}/contacts"
    clock.advance(hours=2)
    client.post(f"{url}/{fast['id']}/reply", json={"message": "Hi"}, headers=priya["headers"])
    clock.advance(hours=48)   # 50 hours after: late
    client.post(f"{url}/{slow['id']}/log", json={"channel": "phone", "on": "2027-02-03"}, headers=priya["headers"])
    for kind, people, country in (("school_talk", 120, "IN"), ("fair", 300, "IN"), ("fair", 40, "NP")):
        answer = client.post(f"{A}/{priya['id']}/activities", headers=priya["headers"], json={
            "kind": kind, "on": "2027-02-02", "place": {"name": "Pune", "country": country}, "people_reached": people})
        assert answer.status_code == 201
    report = client.get(f"{A}/report", headers=admin_headers).get_json()
    assert (report["from"], report["to"]) == ("2026-02-04", "2027-02-03")
    rows = {(r["name"], r["country"]): r for r in report["rows"]}
    assert set(rows) == {("Priya Sharma", "IN"), ("Priya Sharma", "NP"), ("Ana Petrova", "NP")}
    india = rows["Priya Sharma", "IN"]
    assert (india["contacts"], india["replied"], india["replied_within_target"]) == (3, 2, 1)
    assert india["median_reply_hours"] == 26.0   # the median of 2 and 50 hours
    assert india["activities"]["school_talk"] == 1 and india["activities"]["fair"] == 1
    assert india["people_reached"] == 420
    assert rows["Priya Sharma", "NP"]["contacts"] == 1 and rows["Priya Sharma", "NP"]["people_reached"] == 40
    assert rows["Ana Petrova", "NP"]["contacts"] == 0 and rows["Ana Petrova", "NP"]["member_id"] == quiet["id"]

    earlier = client.get(f"{A}/report", query_string={"from": "2026-01-01", "to": "2027-01-31"},
                         headers=admin_headers).get_json()
    assert all(r["contacts"] == 0 and r["people_reached"] == 0 for r in earlier["rows"])
    bad = client.get(f"{A}/report", query_string={"from": "2027-03-01", "to": "2027-02-01"}, headers=admin_headers)
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]
    assert client.get(f"{A}/report", headers=priya["headers"]).status_code == 403


def test_the_report_as_csv_has_the_same_rows_and_is_formula_safe(client, programme, admin_headers):
    programme.ambassador(given_name="=HYPERLINK(1)", family_name="Sharma")
    answer = client.get(f"{A}/report.csv", headers=admin_headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["name"] == "'=HYPERLINK(1) Sharma" and rows[0]["country"] == "IN"
    assert rows[0]["activities_school_talk"] == "0" and rows[0]["median_reply_hours"] == ""
    assert client.get(f"{A}/report.csv", headers=programme.ambassador()["headers"]).status_code == 403


def test_a_day_too_far_for_a_time_zone_is_a_422_naming_it(client, admin_headers):
    for query in ("from=0001-01-01", "to=9999-12-31", "to=2200-06-01"):  # the last: past the input rules' years
        response = client.get(f"/api/v1/members/ambassadors/report?{query}", headers=admin_headers)
        assert response.status_code == 422, response.get_data(as_text=True)
        assert set(response.get_json()["errors"]) & {"from", "to"}

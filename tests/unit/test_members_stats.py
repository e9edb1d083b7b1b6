"""The office's statistics of members, ``GET /api/v1/members/stats``, through the members HTTP
API (the real app on the session's local store): members are made by signing up, confirming
the address, the roster, approval, rejection and erasure, each through its route.

Checked: classes and faculties count verified members only; the funnel follows each member
(awaiting the email, awaiting the office, verified, rejected); a roster match is verified on
confirming; erased members count nowhere; and the aggregation's features on the
test store (missing fields, null fields). Who may ask: ``tests/authz_matrix.py``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from services.members.stats import api as stats_api
from services.members.stats import store as stats_store
from tests.support import confirm_address

STATS = "/api/v1/members/stats"
ROSTER_CSV = ("student_number,given_name,family_name,email,graduation_year,faculty\r\n"
              "MS2001,Елена,Стоянова,elena.stats@example.bg,2009,pharmacy\r\n")
EMPTY_FUNNEL = {"signed_up": 0, "email_confirmed": 0, "verified": 0, "pending_verification": 0,
                "awaiting_email": 0, "awaiting_office": 0, "rejected": 0}


def stats(client, admin_headers) -> dict:
    response = client.get(STATS, headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_with_no_members_every_figure_is_zero(client, admin_headers):
    assert stats(client, admin_headers) == {"verified_members": 0, "by_graduation_year": [], "by_faculty": [],
                                            "by_class_and_faculty": [], "funnel": EMPTY_FUNNEL}


def test_classes_and_faculties_count_verified_members_only(client, admin_headers, people):
    for year, faculty in ((2010, "medicine"), (2010, "medicine"), (2010, "pharmacy"), (2012, "medicine")):
        people.verified(graduation_year=year, faculty=faculty)
    people.verified()  # neither class nor faculty given
    people.sign_up(graduation_year=2010, faculty="medicine")  # pending: not counted
    rejected = people.sign_up(graduation_year=2012, faculty="pharmacy")
    client.post(f"/api/v1/members/{rejected['id']}/reject", json={"reason": "No record."}, headers=admin_headers)

    found = stats(client, admin_headers)
    assert found["verified_members"] == 5
    assert found["by_graduation_year"] == [{"graduation_year": 2010, "count": 3},
                                           {"graduation_year": 2012, "count": 1},
                                           {"graduation_year": None, "count": 1}]
    assert found["by_faculty"] == [{"faculty": "medicine", "count": 3}, {"faculty": "pharmacy", "count": 1},
                                   {"faculty": None, "count": 1}]
    assert found["by_class_and_faculty"] == [
        {"graduation_year": 2010, "faculty": "medicine", "count": 2},
        {"graduation_year": 2010, "faculty": "pharmacy", "count": 1},
        {"graduation_year": 2012, "faculty": "medicine", "count": 1},
        {"graduation_year": None, "faculty": None, "count": 1}]


def test_the_funnel_follows_each_member_from_sign_up_to_the_office_s_decision(client, admin_headers, people):
    people.sign_up()  # has not confirmed the address
    waiting = people.sign_up()
    assert confirm_address(client, waiting["id"]).status_code == 200
    people.verified()  # approved by the office without a confirmed address
    rejected = people.sign_up()
    assert confirm_address(client, rejected["id"]).status_code == 200
    response = client.post(f"/api/v1/members/{rejected['id']}/reject", json={"reason": "No record."},
                           headers=admin_headers)
    assert response.status_code == 200, response.get_json()

    assert stats(client, admin_headers)["funnel"] == {
        "signed_up": 4, "email_confirmed": 2, "verified": 1, "pending_verification": 2, "awaiting_email": 1,
        "awaiting_office": 1, "rejected": 1}


def test_a_roster_match_waits_for_the_email_then_counts_as_verified(client, admin_headers, people):
    response = client.post("/api/v1/members/roster/imports", data=ROSTER_CSV.encode(),
                           headers={**admin_headers, "Content-Type": "text/csv"})
    assert response.status_code == 201, response.get_json()
    elena = people.sign_up(email="elena.stats@example.bg")
    before = stats(client, admin_headers)
    assert (before["funnel"]["awaiting_email"], before["funnel"]["verified"]) == (1, 0)

    assert confirm_address(client, elena["id"]).status_code == 200
    after = stats(client, admin_headers)
    assert after["funnel"] == {**EMPTY_FUNNEL, "signed_up": 1, "email_confirmed": 1, "verified": 1}
    assert after["by_graduation_year"] == [{"graduation_year": 2009, "count": 1}]  # the roster's class
    assert after["by_faculty"] == [{"faculty": "pharmacy", "count": 1}]


def test_erased_members_count_nowhere(client, admin_headers, people):
    people.verified(graduation_year=2011, faculty="medicine")
    gone = people.verified(graduation_year=2011, faculty="medicine")
    pending = people.sign_up(graduation_year=2011, faculty="medicine")
    assert stats(client, admin_headers)["funnel"]["signed_up"] == 3
    for member in (gone, pending):
        response = client.delete(f"/api/v1/members/{member['id']}?reason=Asked+in+writing.", headers=admin_headers)
        assert response.status_code == 202, response.get_json()

    found = stats(client, admin_headers)
    assert found["funnel"] == {**EMPTY_FUNNEL, "signed_up": 1, "verified": 1}
    assert found["by_class_and_faculty"] == [{"graduation_year": 2011, "faculty": "medicine", "count": 1}]


def test_the_route_is_in_the_openapi_document(client):
    document = client.get("/api/v1/members/openapi.json").get_json()
    assert "get" in document["paths"]["/api/v1/members/stats"]


def test_an_operator_made_member_counts_as_confirmed_without_a_confirmation_time():
    # The first admins were created before email_confirmed_at existed (accounts.email_confirmed).
    groups = [{"status": "verified", "confirmed": False, "method": "operator", "graduation_year": None,
               "faculty": None, "count": 2}]
    assert stats_api.summary(groups)["funnel"]["email_confirmed"] == 2


def test_the_aggregation_reads_missing_and_null_fields_alike_on_the_test_store(db):
    """Pins what the store must support: $match with $ne, $group on a document of paths (a
    missing path left out of the key), $cond over $ifNull on a missing, a null and a set field."""
    at = datetime(2026, 1, 2, tzinfo=timezone.utc)
    db.members.insert_many([
        {"_id": "1", "status": "verified", "email": "1@x", "email_confirmed_at": at,
         "verification": {"method": "roster_email"}, "graduation_year": 2010, "faculty": "medicine"},
        {"_id": "2", "status": "verified", "email": "2@x", "email_confirmed_at": at,
         "verification": {"method": "roster_email"}, "graduation_year": 2010, "faculty": "medicine"},
        {"_id": "3", "status": "pending_verification", "email": "3@x", "email_confirmed_at": None,
         "verification": None, "graduation_year": None, "faculty": None},
        {"_id": "4", "status": "verified", "email": "4@x"},  # an operator's admin of old: no such fields
        {"_id": "5", "status": "erased", "email": "erased:5"},
    ])
    assert sorted(stats_store.member_groups(db), key=str) == sorted([
        {"status": "verified", "confirmed": True, "method": "roster_email", "graduation_year": 2010,
         "faculty": "medicine", "count": 2},
        {"status": "pending_verification", "confirmed": False, "method": None, "graduation_year": None,
         "faculty": None, "count": 1},
        {"status": "verified", "confirmed": False, "method": None, "graduation_year": None, "faculty": None,
         "count": 1},
    ], key=str)

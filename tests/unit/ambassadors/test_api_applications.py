"""Applying, the office's decisions, the member's programme page and listing, and the roster,
each route with who may call it."""
from __future__ import annotations

from tests.unit.ambassadors.conftest import APPLICATION, A, M, events


def test_a_verified_alumnus_applies_once_and_the_office_is_told(client, people, programme, db):
    member = people.verified()
    application = programme.apply(member)
    assert application["status"] == "pending" and application["countries"] == ["IN"]
    again = client.post(f"{A}/applications", json=APPLICATION, headers=member["headers"])
    assert again.status_code == 409 and again.get_json()["type"].endswith("ambassadors-application-open")
    [applied] = events(db, "members.ambassador.applied")
    assert applied.data["member_id"] == member["id"] and applied.data["member"]["given_name"] == "Мария"
    assert applied.data["countries"] == ["IN"] and applied.data["languages"] == ["en", "hi"]


def test_a_verified_student_may_apply_but_not_a_pending_member_or_a_staff_member(client, people, programme,
                                                                                 admin_headers, issue_token):
    programme.apply(people.verified(roles=("student",), is_student=True))
    staff = people.verified(roles=("staff",))
    assert client.put(f"{M}/{staff['id']}/roles", json={"roles": ["staff"]}, headers=admin_headers).status_code == 200
    staff["headers"] = {"Authorization": f"Bearer {issue_token(staff['id'], 'staff')}"}   # the change revoked the old
    for member in (people.sign_up(), staff):
        answer = client.post(f"{A}/applications", json=APPLICATION, headers=member["headers"])
        assert answer.status_code == 403, answer.get_json()
    assert client.post(f"{A}/applications", json=APPLICATION).status_code == 401


def test_bad_applications_are_refused_naming_the_fields(client, people):
    member = people.verified()
    answer = client.post(f"{A}/applications", headers=member["headers"],
                         json={**APPLICATION, "countries": ["India"], "languages": ["english"], "faculty": "law"})
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"countries", "languages", "faculty"}


def test_the_office_lists_applications_by_status(client, people, programme, admin_headers):
    first, second = programme.apply(people.verified()), programme.apply(people.verified())
    programme.appoint(first)
    pending = client.get(f"{A}/applications?status=pending", headers=admin_headers).get_json()
    assert [a["id"] for a in pending["items"]] == [second["id"]] and pending["items"][0]["given_name"] == "Мария"
    assert pending["items"][0]["application_id"] == second["application_id"] == second["id"]  # as the contract names it
    assert client.get(f"{A}/applications", headers=admin_headers).get_json()["total"] == 2
    assert client.get(f"{A}/applications", headers=people.verified()["headers"]).status_code == 403


def test_appointing_uses_the_application_and_a_year_by_default(client, people, programme, admin_headers, db):
    member = people.verified()
    ambassador = programme.appoint(programme.apply(member))
    assert ambassador["regions"] == [{"country": "IN", "cities": ["Pune"]}] and ambassador["languages"] == ["en", "hi"]
    assert (ambassador["term_starts"], ambassador["term_ends"]) == ("2027-02-01", "2028-01-31")
    assert ambassador["active"] and not ambassador["listed"] and ambassador["public_id"] != member["id"]
    [appointed] = events(db, "members.ambassador.appointed")
    assert appointed.data["public_id"] == ambassador["public_id"] and appointed.data["term_ends"] == "2028-01-31"
    # The profile's wish is the member's; the record is the fact.
    assert db.members.find_one({"_id": member["id"]}).get("open_to_ambassador") in (None, False)


def test_the_office_may_set_regions_languages_and_term_on_appointment(client, people, programme, admin_headers):
    application = programme.apply(people.verified())
    answer = client.post(f"{A}/applications/{application['id']}/appoint", headers=admin_headers, json={
        "regions": [{"country": "IN", "cities": ["Mumbai"]}, {"country": "NP"}], "languages": ["en"],
        "term_starts": "2027-03-01", "term_ends": "2027-02-28"})
    assert answer.status_code == 422 and "term_ends" in answer.get_json()["errors"]
    answer = client.post(f"{A}/applications/{application['id']}/appoint", headers=admin_headers, json={
        "regions": [{"country": "IN", "cities": ["Mumbai"]}, {"country": "NP"}], "languages": ["en"],
        "term_starts": "2027-03-01", "term_ends": "2028-02-29"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["regions"][1] == {"country": "NP", "cities": []} and not answer.get_json()["active"]


def test_a_decided_application_is_not_decided_again(client, people, programme, admin_headers, db):
    application = programme.apply(people.verified())
    declined = client.post(f"{A}/applications/{application['id']}/decline", headers=admin_headers,
                           json={"reason": "Enough ambassadors for India this year."})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert events(db, "members.ambassador.declined")[0].data["reason"] == "Enough ambassadors for India this year."
    for action, body in (("appoint", {}), ("decline", {"reason": "Again."})):
        answer = client.post(f"{A}/applications/{application['id']}/{action}", headers=admin_headers, json=body)
        assert answer.status_code == 409 and answer.get_json()["status_now"] == "declined"
    assert client.post(f"{A}/applications/{'0' * 32}/appoint", headers=admin_headers, json={}).status_code == 404


def test_only_the_office_decides(client, people, programme):
    member = people.verified()
    application = programme.apply(member)
    for action, body in (("appoint", {}), ("decline", {"reason": "No."})):
        assert client.post(f"{A}/applications/{application['id']}/{action}", headers=member["headers"],
                           json=body).status_code == 403


def test_an_active_ambassador_may_not_apply_again_and_a_declined_member_may(client, people, programme,
                                                                          admin_headers):
    ambassador = programme.ambassador()
    answer = client.post(f"{A}/applications", json=APPLICATION, headers=ambassador["headers"])
    assert answer.status_code == 409 and answer.get_json()["type"].endswith("already-ambassador")
    member = people.verified()
    application = programme.apply(member)
    client.post(f"{A}/applications/{application['id']}/decline", headers=admin_headers, json={"reason": "Later."})
    programme.apply(member)


def test_my_programme_page_shows_the_latest_application_and_the_record(client, people, programme):
    member = people.verified()
    assert client.get(f"{M}/me/ambassador", headers=member["headers"]).get_json() == {"application": None,
                                                                                       "ambassador": None}
    programme.appoint(programme.apply(member))
    mine = client.get(f"{M}/me/ambassador", headers=member["headers"]).get_json()
    assert mine["application"]["status"] == "appointed" and mine["ambassador"]["active"]
    assert client.get(f"{M}/me/ambassador", headers=people.sign_up()["headers"]).status_code == 403
    assert client.get(f"{M}/me/ambassador").status_code == 401


def test_the_ambassador_chooses_the_listing_and_its_public_fields(client, people, programme):
    ambassador = programme.ambassador(listed=False)
    answer = client.patch(f"{M}/me/ambassador", headers=ambassador["headers"], json={
        "listed": True, "public_fields": ["given_name", "bio"], "bio": {"bg": "Здравейте!", "en": "Hello!"}})
    assert answer.status_code == 200
    assert answer.get_json()["listed"] and answer.get_json()["bio"] == {"bg": "Здравейте!", "en": "Hello!"}
    bad = client.patch(f"{M}/me/ambassador", headers=ambassador["headers"], json={"public_fields": ["email"]})
    assert bad.status_code == 422 and "public_fields" in bad.get_json()["errors"]
    assert client.patch(f"{M}/me/ambassador", headers=people.verified()["headers"],
                        json={"listed": True}).status_code == 404


def test_the_office_keeps_the_roster_changes_terms_and_ends_them(client, people, programme, admin_headers):
    india = programme.ambassador()
    nepal = programme.ambassador(application={"countries": ["NP"], "cities": []})
    roster = client.get(f"{A}?country=IN", headers=admin_headers).get_json()
    assert [a["member_id"] for a in roster["items"]] == [india["id"]] and roster["items"][0]["given_name"] == "Мария"
    changed = client.patch(f"{A}/{nepal['id']}", headers=admin_headers, json={
        "regions": [{"country": "NP", "cities": ["Kathmandu"]}, {"country": "IN"}], "term_ends": "2027-06-30"})
    assert changed.status_code == 200 and changed.get_json()["term_ends"] == "2027-06-30"
    assert {a["member_id"] for a in client.get(f"{A}?country=IN", headers=admin_headers).get_json()["items"]} == {
        india["id"], nepal["id"]}
    bad = client.patch(f"{A}/{nepal['id']}", headers=admin_headers, json={"term_ends": "2026-01-01"})
    assert bad.status_code == 422 and "term_ends" in bad.get_json()["errors"]
    ended = client.post(f"{A}/{india['id']}/end", headers=admin_headers)
    assert ended.status_code == 200 and not ended.get_json()["active"] and ended.get_json()["term_ends"] == "2027-02-01"
    active = client.get(f"{A}?active=true", headers=admin_headers).get_json()["items"]
    inactive = client.get(f"{A}?active=false", headers=admin_headers).get_json()["items"]
    assert [a["member_id"] for a in active] == [nepal["id"]] and [a["member_id"] for a in inactive] == [india["id"]]
    assert client.post(f"{A}/{'0' * 32}/end", headers=admin_headers).status_code == 404
    for route in ((client.get, A), (client.post, f"{A}/{india['id']}/end")):
        assert route[0](route[1], headers=india["headers"]).status_code == 403
    assert client.patch(f"{A}/{india['id']}", headers=india["headers"], json={}).status_code == 403

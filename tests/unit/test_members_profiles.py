"""Profiles, verification decisions and per-field visibility through the members HTTP API
(the real app on the session's local store; events are read from the outbox).

Checked: pending sign-ups wait for an admin (approve/reject with reason, events once);
a member edits only their own profile (admins any), with validation problems naming fields
and nothing changed; ``members.member.updated`` carries only the shared fields that changed;
each viewer (self, admin, verified member, unverified member, anonymous) sees exactly the
fields the member's visibility allows.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from services.members.accounts import rules as accounts
from services.members.profiles import rules as profiles
from shared.clock import FixedClock
from tests.conftest import TOKEN_KEY
from tests.support import assert_problem, outbox_events

MEMBERS = "/api/v1/members"


def member_url(member: dict, suffix: str = "") -> str:
    return f"{MEMBERS}/{member['id']}{suffix}"


# --------------------------------------------------------------------------- verification

ROSTER_CSV = ("Факултетен номер;Име;Фамилия;Фамилия (латиница);Имейл;Випуск;Факултет;Специалност\n"
              "MF1001;Елена;Стоянова;Stoyanova;elena@example.bg;2009;Фармацевтичен факултет;Фармация\n"
              "MF1002;Петър;Колев;;;2012;Медицински факултет;Медицина\n")


def import_roster(client, admin_headers) -> None:
    response = client.post(f"{MEMBERS}/roster/imports", data=ROSTER_CSV.encode(),
                           headers={**admin_headers, "Content-Type": "text/csv"})
    assert response.status_code == 201, response.get_json()


def confirmation_token(db, member_id: str) -> str:
    """The token of the member's welcome-email link, as notifications will decrypt it."""
    [event] = [e for e in outbox_events(db, "members.member.registered") if e["data"]["member_id"] == member_id]
    return accounts.decrypt_token(TOKEN_KEY, event["data"]["encrypted_confirmation_token"])


def confirm(client, db, member: dict, **body):
    return client.post(f"{MEMBERS}/auth/confirm-email", json={"token": confirmation_token(db, member["id"]), **body})


def test_a_roster_email_sign_up_is_verified_when_the_email_is_confirmed(client, db, people, admin_headers):
    import_roster(client, admin_headers)
    member = people.sign_up(given_name="Елена", family_name="Стоянова", email="Elena@Example.bg",
                            graduation_year=2020, faculty="medicine")
    assert member["status"] == "pending_verification"
    assert member["verification"]["status"] == "awaiting_email" and member["verification"]["method"] == "roster_email"
    assert (member["graduation_year"], member["faculty"], member["programme"]) == (2009, "pharmacy", "Фармация")
    assert member["family_name_latin"] == "Stoyanova"
    [event] = outbox_events(db, "members.member.registered")
    assert event["data"]["graduation_year"] == 2009
    assert confirmation_token(db, member["id"]) not in json.dumps(event)  # published only encrypted
    assert db.roster.find_one({"_id": "MF1001"})["claimed_by"] == member["id"]
    assert_problem(client.get(f"{MEMBERS}/directory", headers=member["headers"]), 403)

    confirmed = confirm(client, db, member)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["membership"] == "verified"  # what the portal's next-step page says
    assert client.get(f"{MEMBERS}/{member['id']}", headers=member["headers"]).get_json()["status"] == "verified"
    [verified] = outbox_events(db, "members.member.verified")
    assert verified["data"]["method"] == "roster_email"
    assert client.get(f"{MEMBERS}/directory", headers=member["headers"]).status_code == 200
    problem = assert_problem(confirm(client, db, member), 400)  # the link works once
    assert "token" in problem["errors"]
    # The entry verified one member: a second sign-up naming it waits for the office.
    again = people.sign_up(family_name="Stoyanova", student_number="MF1001")
    assert again["status"] == "pending_verification"


def test_a_student_number_and_family_name_only_show_the_entry_to_the_office(client, db, people, admin_headers):
    """Regression: a match by student number and family name verified the sign-up by itself
    (once its email was confirmed) and handed it the roster's fields."""
    import_roster(client, admin_headers)
    wrong_name = people.sign_up(family_name="Иванов", student_number="mf 1002")
    latin = people.sign_up(given_name="Petar", family_name="Kolev", student_number="mf1002", graduation_year=2015)
    assert latin["status"] == "pending_verification" and latin["verification"] is None
    assert latin["graduation_year"] == 2015  # nothing from the roster before the office decides
    assert latin["roster_match"]["student_number"] == "MF1002" and latin["roster_match"]["graduation_year"] == 2012
    assert wrong_name["roster_match"] is None
    queue = client.get(f"{MEMBERS}?status=pending_verification", headers=admin_headers).get_json()["items"]
    assert {m["id"]: (m["roster_match"] or {}).get("student_number") for m in queue} == {
        latin["id"]: "MF1002", wrong_name["id"]: None}
    # The member sees none of it, and confirming the email verifies nothing.
    own = client.get(member_url(latin), headers=latin["headers"]).get_json()
    assert "roster_match" not in own and own["graduation_year"] == 2015
    assert confirm(client, db, latin).status_code == 200
    assert db.members.find_one({"_id": latin["id"]})["status"] == "pending_verification"
    assert outbox_events(db, "members.member.verified") == []
    assert db.roster.find_one({"_id": "MF1002"})["claimed_by"] is None
    approved = client.post(member_url(latin, "/approve"), json={}, headers=admin_headers)
    assert approved.status_code == 200 and approved.get_json()["status"] == "verified"


def test_a_roster_entry_with_an_email_is_claimed_only_through_that_email(client, db, people, admin_headers):
    """Regression: the student number and family name of an entry carrying an email claimed it
    (verified on confirming one's own address), so anyone who knew them became the graduate."""
    import_roster(client, admin_headers)
    impostor = people.sign_up(given_name="Елена", family_name="Стоянова", student_number="MF1001",
                              email="not.elena@example.bg")
    assert impostor["roster_match"] is None and impostor["verification"] is None
    assert db.roster.find_one({"_id": "MF1001"})["claimed_by"] is None
    assert confirm(client, db, impostor).status_code == 200
    assert db.members.find_one({"_id": impostor["id"]})["status"] == "pending_verification"
    owner = people.sign_up(given_name="Елена", family_name="Стоянова", email="elena@example.bg")
    assert db.roster.find_one({"_id": "MF1001"})["claimed_by"] == owner["id"]


def test_confirming_an_unmatched_sign_up_confirms_the_email_only(client, db, people):
    member = people.sign_up()
    confirmed = confirm(client, db, member)
    assert confirmed.status_code == 200 and confirmed.get_json()["membership"] == "pending_verification"
    stored = db.members.find_one({"_id": member["id"]})
    assert stored["status"] == "pending_verification" and stored["email_confirmed_at"] is not None
    assert outbox_events(db, "members.member.verified") == []
    assert_problem(client.post(f"{MEMBERS}/auth/confirm-email", json={"token": "forged"}), 400)


def test_erasure_releases_the_roster_entry(client, db, people, admin_headers):
    import_roster(client, admin_headers)
    member = people.sign_up(family_name="Колев", student_number="MF1002")
    assert client.delete(member_url(member), headers=member["headers"]).status_code == 202
    assert db.roster.find_one({"_id": "MF1002"})["claimed_by"] is None
    assert db.directory.find_one({"_id": member["id"]}) is None


def test_a_sign_up_unknown_to_the_roster_waits_and_the_office_sees_it_in_the_queue(client, people, admin_headers):
    member = people.sign_up()
    assert member["status"] == "pending_verification"
    queue = client.get(f"{MEMBERS}?status=pending_verification", headers=admin_headers).get_json()
    assert member["id"] in [m["id"] for m in queue["items"]]
    assert queue["total"] >= 1


def test_approval_verifies_once_and_publishes_verified_once(client, db, people, admin_headers):
    member = people.sign_up(graduation_year=2012, faculty="pharmacy")
    for _ in range(2):
        response = client.post(member_url(member, "/approve"), json={"reason": "diploma seen"}, headers=admin_headers)
        assert response.status_code == 200
        assert response.get_json()["status"] == "verified"
    body = response.get_json()
    assert body["verification"]["method"] == "admin" and body["verification"]["reason"] == "diploma seen"
    events = outbox_events(db, "members.member.verified")
    assert [e["data"]["member_id"] for e in events] == [member["id"]]
    assert events[0]["data"]["faculty"] == "pharmacy"


def test_rejection_needs_a_reason_and_is_published(client, db, people, admin_headers):
    member = people.sign_up()
    problem = assert_problem(client.post(member_url(member, "/reject"), json={}, headers=admin_headers), 422)
    assert "reason" in problem["errors"]
    assert db.members.find_one({"_id": member["id"]})["status"] == "pending_verification"
    response = client.post(member_url(member, "/reject"), json={"reason": "Not a graduate."}, headers=admin_headers)
    assert response.get_json()["status"] == "rejected"
    [event] = outbox_events(db, "members.member.rejected")
    assert event["data"]["reason"] == "Not a graduate."


def test_only_admins_decide(client, people, issue_token):
    member = people.sign_up()
    assert_problem(client.post(member_url(member, "/approve"), json={}), 401)
    for role in ("alumnus", "student", "judge"):
        headers = {"Authorization": f"Bearer {issue_token(member['id'], role)}"}
        assert_problem(client.post(member_url(member, "/approve"), json={}, headers=headers), 403)
        assert_problem(client.get(f"{MEMBERS}?status=pending_verification", headers=headers), 403)


def test_deciding_about_an_unknown_member_is_404(client, admin_headers):
    assert_problem(client.post(f"{MEMBERS}/{'0' * 32}/approve", json={}, headers=admin_headers), 404)


def test_admins_set_roles_but_cannot_drop_their_own_admin_role(client, people, admin_headers, issue_token):
    member = people.verified()
    response = client.put(member_url(member, "/roles"), json={"roles": ["alumnus", "judge"]}, headers=admin_headers)
    assert response.get_json()["roles"] == ["alumnus", "judge"]
    problem = assert_problem(client.put(member_url(member, "/roles"), json={"roles": ["pope"]},
                                        headers=admin_headers), 422)
    assert "roles" in problem["errors"]
    officer = people.verified()
    client.put(member_url(officer, "/roles"), json={"roles": ["admin"]}, headers=admin_headers)
    own = {"Authorization": f"Bearer {issue_token(officer['id'], 'admin')}"}
    problem = assert_problem(client.put(member_url(officer, "/roles"), json={"roles": ["alumnus"]}, headers=own), 409)
    assert "roles" in problem["errors"]


def test_admins_make_a_member_door_staff(client, people, admin_headers):
    member = people.verified()
    response = client.put(member_url(member, "/roles"), json={"roles": ["alumnus", "staff"]}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["roles"] == ["alumnus", "staff"]
    response = client.put(member_url(member, "/roles"), json={"roles": ["admin", "staff", "alumnus", "student",
                                                                        "judge"]}, headers=admin_headers)
    assert response.get_json()["roles"] == ["admin", "alumnus", "judge", "staff", "student"]


# --------------------------------------------------------------------------- editing

def test_a_member_edits_their_profile_and_other_services_hear_only_shared_changes(client, db, people):
    member = people.verified()
    response = client.patch(member_url(member), headers=member["headers"], json={
        "given_name_latin": "Maria", "family_name_latin": "Ivanova", "city": "  Пловдив ", "country": "bg",
        "position": "кардиолог", "employer": "УМБАЛ „Свети Георги“", "languages": ["bg", "en", "de"],
        "interests": ["кардиология", "спорт"], "open_to_mentoring": True, "phone": "0888 123 456"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["city"], body["country"], body["phone"]) == ("Пловдив", "BG", "+359888123456")
    [event] = outbox_events(db, "members.member.updated")
    changed = event["data"]["changed"]
    assert changed["city"] == "Пловдив" and changed["open_to_mentoring"] is True
    assert "position" not in changed  # nobody else keeps a copy of it

    client.patch(member_url(member), headers=member["headers"], json={"position": "началник клиника"})
    assert len(outbox_events(db, "members.member.updated")) == 1  # a local-only change publishes nothing
    client.patch(member_url(member), headers=member["headers"], json={"city": "Пловдив"})
    assert len(outbox_events(db, "members.member.updated")) == 1  # no change, no event


def test_willingness_to_volunteer_is_a_profile_flag_others_hear_about_and_see_as_chosen(client, db, people):
    member = people.verified()
    assert "open_to_volunteer" not in client.get(member_url(member), headers=member["headers"]).get_json()
    changed = client.patch(member_url(member), headers=member["headers"], json={"open_to_volunteer": True})
    assert changed.status_code == 200 and changed.get_json()["open_to_volunteer"] is True
    [event] = outbox_events(db, "members.member.updated")
    assert event["data"]["changed"] == {"open_to_volunteer": True}
    peer = people.verified()
    assert client.get(member_url(member), headers=peer["headers"]).get_json()["open_to_volunteer"] is True
    client.patch(member_url(member), headers=member["headers"], json={"visibility": {"open_to_volunteer": "private"}})
    assert "open_to_volunteer" not in client.get(member_url(member), headers=peer["headers"]).get_json()
    assert client.get(member_url(member), headers=member["headers"]).get_json()["visibility"]["open_to_volunteer"] \
        == "private"
    problem = assert_problem(client.patch(member_url(member), headers=member["headers"],
                                          json={"open_to_volunteer": "maybe"}), 422)
    assert set(problem["errors"]) == {"open_to_volunteer"}


def test_bad_profile_input_names_the_fields_and_changes_nothing(client, db, people):
    member = people.verified(city="Варна")
    before = db.members.find_one({"_id": member["id"]})
    problem = assert_problem(client.patch(member_url(member), headers=member["headers"], json={
        "phone": "12", "country": "XX", "graduation_year": 1800, "languages": ["english"],
        "visibility": {"names": "private", "email": "everyone"}, "open_to_mentoring": "maybe"}), 422)
    errors = problem["errors"]
    assert {"phone", "country", "graduation_year", "languages", "visibility", "open_to_mentoring"} <= set(errors)
    assert set(errors["visibility"]) == {"names", "email"}
    assert db.members.find_one({"_id": member["id"]}) == before
    assert_problem(client.patch(member_url(member), headers=member["headers"], json={}), 422)


def test_the_graduation_year_reaches_six_years_past_the_clubs_year_by_the_service_clock(client, people):
    member = people.sign_up()
    # 23:30 UTC on 31 December 2019 is already 2020 in Sofia: the last year is 2026, whatever
    # the real date and the server's zone.
    client.application.extensions["alumnet"].clock = FixedClock(datetime(2019, 12, 31, 23, 30, tzinfo=timezone.utc))
    ahead = client.patch(member_url(member), headers=member["headers"], json={"graduation_year": 2026})
    assert ahead.status_code == 200, ahead.get_json()
    problem = assert_problem(client.patch(member_url(member), headers=member["headers"],
                                          json={"graduation_year": 2027}), 422)
    assert problem["errors"]["graduation_year"] == ["Must be between 1945 and 2026."]


def test_a_verified_member_cannot_change_what_verification_vouched_for(client, db, people, admin_headers):
    member = people.verified(graduation_year=2010, faculty="medicine")
    problem = assert_problem(client.patch(member_url(member), headers=member["headers"],
                                          json={"graduation_year": 2006, "faculty": "pharmacy", "city": "Varna"}), 409)
    assert set(problem["errors"]) == {"graduation_year", "faculty"}
    assert db.members.find_one({"_id": member["id"]}).get("city") is None  # nothing of the request applied
    assert client.patch(member_url(member), headers=member["headers"], json={"graduation_year": 2010}).status_code == 200
    fixed = client.patch(member_url(member), headers=admin_headers, json={"graduation_year": 2006})
    assert fixed.get_json()["graduation_year"] == 2006
    pending = people.sign_up(graduation_year=2010)
    assert client.patch(member_url(pending), headers=pending["headers"], json={"graduation_year": 2011}).status_code == 200


def test_only_the_member_or_an_admin_edits(client, people, admin_headers):
    owner, other = people.verified(), people.verified()
    assert_problem(client.patch(member_url(owner), headers=other["headers"], json={"city": "Sofia"}), 403)
    assert_problem(client.patch(member_url(owner), json={"city": "Sofia"}), 401)
    assert client.patch(member_url(owner), headers=admin_headers, json={"city": "Sofia"}).get_json()["city"] == "Sofia"


def test_the_address_is_not_edited_with_patch(client, people, admin_headers):
    """The address changes only once the new one is proven (tests/unit/test_members_email_change.py)."""
    owner = people.verified()
    for headers in (owner["headers"], admin_headers):
        problem = assert_problem(client.patch(member_url(owner), headers=headers,
                                              json={"email": "New.Address@Example.bg"}), 422)
        assert set(problem["errors"]) == {"email"}


# --------------------------------------------------------------------------- visibility

def test_each_viewer_sees_what_the_member_chose(client, people, admin_headers):
    owner = people.verified(phone="+359888123456", graduation_year=2010)
    client.patch(member_url(owner), headers=owner["headers"], json={
        "employer": "МУ Пловдив", "city": "Пловдив", "visibility": {
            "names": "public", "email": "public", "phone": "members", "employer": "private"}})
    peer, pending = people.verified(), people.sign_up()

    as_peer = client.get(member_url(owner), headers=peer["headers"]).get_json()
    assert {"email", "phone", "city", "graduation_year", "given_name"} <= set(as_peer)
    assert not {"employer", "status", "roles", "consent", "visibility", "preferred_language"} & set(as_peer)

    public = {"id", "given_name", "family_name", "email"}
    assert set(client.get(member_url(owner)).get_json()) == public
    assert set(client.get(member_url(owner), headers=pending["headers"]).get_json()) == public

    for viewer in (owner["headers"], admin_headers):
        full = client.get(member_url(owner), headers=viewer).get_json()
        assert full["employer"] == "МУ Пловдив" and full["visibility"]["employer"] == "private"


def test_another_members_view_is_sent_as_memberschema_would_dump_it(client, db, people):
    """GET member answers another member's view without the schema's dump (``as_shown``): for a
    profile with every field filled and shown, the JSON is the dump's, field for field."""
    from services.members.profiles.schemas import MemberSchema
    everything = {"given_name_latin": "Maria", "family_name_latin": "Ivanova", "phone": "+359888123456",
                  "graduation_year": 2010, "faculty": "medicine", "programme": "Медицина", "specialty": "кардиология",
                  "position": "лекар", "employer": "МУ Пловдив", "city": "Пловдив", "country": "bg",
                  "languages": ["bg", "en"], "interests": ["менторство"], "open_to_mentoring": True,
                  "open_to_ambassador": False, "open_to_volunteer": True, "international_graduate": False}
    owner, peer = people.verified(**everything), people.verified()
    visibility = {field: profiles.PUBLIC for field in profiles.VISIBILITY_FIELDS}
    assert client.patch(member_url(owner), headers=owner["headers"], json={"visibility": visibility}).status_code == 200
    for headers in (peer["headers"], {}):
        shown = client.get(member_url(owner), headers=headers).get_json()
        assert set(shown) == {"id", *profiles.NAME_FIELDS, *profiles.VISIBILITY_FIELDS} - {"names"}
        stored = db.members.find_one({"_id": owner["id"]})
        assert shown == json.loads(json.dumps(MemberSchema().dump(profiles.view(stored, profiles.MEMBERS))))


def test_members_with_nothing_public_or_not_verified_are_404_to_outsiders(client, people):
    hidden, pending, peer = people.verified(), people.sign_up(), people.verified()
    assert_problem(client.get(member_url(hidden)), 404)
    assert client.get(member_url(hidden), headers=peer["headers"]).status_code == 200
    assert_problem(client.get(member_url(pending), headers=peer["headers"]), 404)
    assert client.get(member_url(pending), headers=pending["headers"]).status_code == 200


def test_the_default_visibility_keeps_contact_details_private():
    assert profiles.DEFAULT_VISIBILITY["email"] == profiles.PRIVATE
    assert profiles.DEFAULT_VISIBILITY["phone"] == profiles.PRIVATE
    member = {"_id": "m", "given_name": "Иван", "family_name": "Петров", "email": "i@example.bg", "phone": "+3598"}
    assert profiles.view(member, profiles.MEMBERS) == {"id": "m", "given_name": "Иван", "family_name": "Петров"}
    assert profiles.view(member, profiles.PUBLIC) == {"id": "m"}


def test_a_member_out_of_the_directory_is_not_found_by_id_either(client, people, admin_headers):
    hidden, peer = people.verified(), people.verified()
    client.patch(member_url(hidden), headers=hidden["headers"], json={"in_directory": False,
                                                                       "visibility": {"names": "public"}})
    assert_problem(client.get(member_url(hidden), headers=peer["headers"]), 404)
    assert_problem(client.get(member_url(hidden)), 404)
    assert client.get(member_url(hidden), headers=admin_headers).status_code == 200

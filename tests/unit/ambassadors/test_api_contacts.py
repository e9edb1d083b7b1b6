"""Contacts and activities: the office assigns a contact with a reply target, the ambassador
sees theirs (never the contact's address), replies through our email or logs a reply given
elsewhere (the first counts), and logs activities; each route with who may call it."""
from __future__ import annotations

from datetime import timedelta

from tests.unit.ambassadors.conftest import CONTACT, A, events

PLACE = {"name": "Delhi Public School", "city": "Pune", "country": "IN"}
ACTIVITY = {"kind": "school_talk", "on": "2027-01-30", "place": PLACE, "people_reached": 120,
            "note": "Two classes of the final year."}


def test_the_office_assigns_a_contact_due_in_the_reply_target(client, programme, db, clock):
    ambassador = programme.ambassador()
    contact = programme.contact(ambassador)
    assert contact["due_at"] == (clock() + timedelta(hours=48)).isoformat() and contact["has_email"]
    assert "email" not in contact and contact["message"] == CONTACT["note"] and not contact["overdue"]
    sooner = programme.contact(ambassador, reply_target_h=6, email=None)
    assert sooner["due_at"] == (clock() + timedelta(hours=6)).isoformat() and not sooner["has_email"]
    assigned = events(db, "members.ambassador.contact_assigned")
    assert [e.data["source"] for e in assigned] == ["office", "office"]
    assert assigned[0].data["ambassador"]["member_id"] == ambassador["id"]
    assert "ravi.kumar@example.in" not in str(assigned[0].data)


def test_assigning_needs_the_office_an_ambassador_and_a_known_kind(client, programme, admin_headers, people):
    ambassador = programme.ambassador()
    assert client.post(f"{A}/{ambassador['id']}/contacts", json=CONTACT,
                       headers=ambassador["headers"]).status_code == 403
    assert client.post(f"{A}/{people.verified()['id']}/contacts", json=CONTACT,
                       headers=admin_headers).status_code == 404
    bad = client.post(f"{A}/{ambassador['id']}/contacts", headers=admin_headers,
                      json={**CONTACT, "kind": "finder_question", "reply_target_h": 0})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"kind", "reply_target_h"}


def test_the_ambassador_and_the_office_see_the_contacts_others_do_not(client, programme, admin_headers, people,
                                                                      clock):
    ambassador = programme.ambassador()
    first = programme.contact(ambassador, reply_target_h=1)
    programme.contact(ambassador)
    clock.advance(hours=2)
    mine = client.get(f"{A}/{ambassador['id']}/contacts", headers=ambassador["headers"]).get_json()
    assert [c["id"] for c in mine["items"]][0] == first["id"] and mine["items"][0]["overdue"]
    assert mine["items"][0]["contact_id"] == first["contact_id"] == first["id"]  # as the contract names it
    assert [c["overdue"] for c in mine["items"]] == [True, False]
    assert all("email" not in c for c in mine["items"])
    assert client.get(f"{A}/{ambassador['id']}/contacts", headers=admin_headers).get_json()["total"] == 2
    other = programme.ambassador()
    for caller in (other, people.verified()):
        assert client.get(f"{A}/{ambassador['id']}/contacts", headers=caller["headers"]).status_code == 403
    assert client.get(f"{A}/{ambassador['id']}/contacts").status_code == 401


def test_a_reply_is_emailed_by_notifications_and_the_first_counts(client, programme, db, clock):
    ambassador = programme.ambassador()
    contact = programme.contact(ambassador)
    clock.advance(hours=5)
    url = f"{A}/{ambassador['id']}/contacts/{contact['id']}"
    answer = client.post(f"{url}/reply", json={"message": "Hi Ravi, welcome!"}, headers=ambassador["headers"])
    assert answer.status_code == 200 and answer.get_json()["state"] == "replied"
    clock.advance(hours=50)
    again = client.post(f"{url}/reply", json={"message": "How was the first week?"}, headers=ambassador["headers"])
    assert len(again.get_json()["replies"]) == 2 and again.get_json()["replied_at"] == answer.get_json()["replied_at"]
    first, second = events(db, "members.ambassador.contact_replied")
    assert (first.data["via"], first.data["first"], first.data["within_target"]) == ("reply", True, True)
    assert first.data["reply_seconds"] == 5 * 3600 and first.data["message"] == "Hi Ravi, welcome!"
    assert first.data["recipient"] == {"name": "Ravi Kumar", "email": "ravi.kumar@example.in", "language": "en"}
    assert (second.data["first"], second.data["within_target"], second.data["reply_seconds"]) == (False, True, 18000)
    assert client.get(f"{A}/{ambassador['id']}/contacts", headers=ambassador["headers"]).get_json()["total"] == 0
    replied = client.get(f"{A}/{ambassador['id']}/contacts?state=replied", headers=ambassador["headers"]).get_json()
    assert replied["total"] == 1


def test_a_logged_reply_sends_nothing_and_a_late_one_is_not_within_target(client, programme, db, clock):
    ambassador = programme.ambassador()
    contact = programme.contact(ambassador)
    clock.advance(hours=49)
    url = f"{A}/{ambassador['id']}/contacts/{contact['id']}/log"
    future = client.post(url, json={"channel": "phone", "on": "2027-02-04"}, headers=ambassador["headers"])
    assert future.status_code == 422 and "on" in future.get_json()["errors"]
    logged = client.post(url, json={"channel": "phone", "on": "2027-02-03", "note": "Called him."},
                         headers=ambassador["headers"])
    assert logged.status_code == 200 and logged.get_json()["via"] == "logged"
    [event] = events(db, "members.ambassador.contact_replied")
    assert (event.data["via"], event.data["message"], event.data["recipient"]) == ("logged", None, None)
    assert event.data["first"] and not event.data["within_target"] and event.data["reply_seconds"] == 49 * 3600


def test_only_the_ambassador_replies_or_logs(client, programme, admin_headers):
    ambassador = programme.ambassador()
    contact = programme.contact(ambassador)
    url = f"{A}/{ambassador['id']}/contacts/{contact['id']}"
    for headers in (admin_headers, programme.ambassador()["headers"]):
        assert client.post(f"{url}/reply", json={"message": "Hi"}, headers=headers).status_code == 403
        assert client.post(f"{url}/log", json={"channel": "chat", "on": "2027-02-01"},
                           headers=headers).status_code == 403
    assert client.post(f"{A}/{ambassador['id']}/contacts/{'0' * 32}/reply", json={"message": "Hi"},
                       headers=ambassador["headers"]).status_code == 404


def test_activities_are_logged_by_the_ambassador_or_the_office(client, programme, db, admin_headers, people):
    ambassador = programme.ambassador()
    logged = client.post(f"{A}/{ambassador['id']}/activities", json=ACTIVITY, headers=ambassador["headers"])
    assert logged.status_code == 201, logged.get_json()
    by_office = client.post(f"{A}/{ambassador['id']}/activities", headers=admin_headers,
                            json={**ACTIVITY, "kind": "fair", "on": "2027-02-01", "people_reached": 0})
    assert by_office.status_code == 201
    [event, _] = events(db, "members.ambassador.activity_logged")
    assert event.data == {"activity_id": logged.get_json()["id"], "member_id": ambassador["id"],
                          "kind": "school_talk", "on": "2027-01-30", "place": PLACE, "people_reached": 120,
                          "logged_at": "2027-02-01T09:00:00+00:00"}
    listed = client.get(f"{A}/{ambassador['id']}/activities", headers=ambassador["headers"]).get_json()
    assert [a["on"] for a in listed["items"]] == ["2027-02-01", "2027-01-30"]
    assert listed["items"][1]["activity_id"] == logged.get_json()["activity_id"] == event.data["activity_id"]
    assert client.get(f"{A}/{ambassador['id']}/activities", headers=admin_headers).get_json()["total"] == 2
    outsider = people.verified()
    assert client.get(f"{A}/{ambassador['id']}/activities", headers=outsider["headers"]).status_code == 403
    assert client.post(f"{A}/{ambassador['id']}/activities", json=ACTIVITY,
                       headers=outsider["headers"]).status_code == 403
    assert client.post(f"{A}/{outsider['id']}/activities", json=ACTIVITY,
                       headers=outsider["headers"]).status_code == 404


def test_an_activity_has_happened_and_reached_at_most_100000_people(client, programme):
    ambassador = programme.ambassador()
    bad = client.post(f"{A}/{ambassador['id']}/activities", headers=ambassador["headers"], json={
        **ACTIVITY, "kind": "party", "people_reached": 100001, "place": {"name": "X", "country": "XX"}})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"kind", "people_reached", "place"}
    future = client.post(f"{A}/{ambassador['id']}/activities", headers=ambassador["headers"],
                         json={**ACTIVITY, "on": "2027-02-02"})
    assert future.status_code == 422 and "on" in future.get_json()["errors"]

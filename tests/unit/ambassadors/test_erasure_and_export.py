"""Erasing an ambassador leaves nothing personal in the programme's collections (their
application, record, listing and bio go; contacts and activities stay only as counts; the
askers of questions to them are erased); their export holds their ambassador data."""
from __future__ import annotations

from datetime import timedelta

from services.members.ambassadors import overdue
from services.members.ambassadors import store as ambassadors_store
from tests.unit.ambassadors.conftest import A, M, events

COLLECTIONS = (ambassadors_store.APPLICATIONS, ambassadors_store.AMBASSADORS, ambassadors_store.QUESTIONS,
               ambassadors_store.QUESTION_COUNTS, ambassadors_store.CONTACTS, ambassadors_store.ACTIVITIES)
PERSON = {"given_name": "Теодора", "family_name": "Здравкова", "city": "Мездра"}
WRITTEN = {"motivation": "Мотивацията на Теодора", "bio": "Биографията на Теодора", "note": "Бележката на Теодора",
           "reply": "Отговорът на Теодора", "question": "Въпросът на Арджун"}


def test_an_erased_ambassador_leaves_nothing_personal(client, programme, db, admin_headers, clock):
    ambassador = programme.ambassador(public_fields=("given_name", "family_name", "city", "bio"),
                                      application={"motivation": WRITTEN["motivation"]}, **PERSON)
    headers, member_id = ambassador["headers"], ambassador["id"]
    client.patch(f"{M}/me/ambassador", headers=headers, json={"bio": {"bg": WRITTEN["bio"], "en": WRITTEN["bio"]}})
    public_id = ambassador["ambassador"]["public_id"]
    answered = programme.ask(public_id, message=WRITTEN["question"])
    waiting = programme.ask(public_id, email="ravi.kumar@example.in", name="Ravi Kumar")
    programme.confirm(answered)
    office = programme.contact(ambassador)
    for contact in db.ambassador_contacts.find({"member_id": member_id}):
        client.post(f"{A}/{member_id}/contacts/{contact['_id']}/reply", json={"message": WRITTEN["reply"]},
                    headers=headers)
    client.post(f"{A}/{member_id}/activities", headers=headers, json={
        "kind": "fair", "on": "2027-02-01", "place": {"name": "Pune Fair", "country": "IN"}, "people_reached": 30,
        "note": WRITTEN["note"]})
    programme.contact(ambassador)   # still open when they are erased

    erased = client.delete(f"{M}/{member_id}", query_string={"reason": "Asked in writing."}, headers=admin_headers)
    assert erased.status_code == 202, erased.get_json()

    assert client.get(f"{A}/finder", query_string={"country": "IN"}).get_json()["items"] == []
    stored = str([list(db[name].find()) for name in COLLECTIONS])
    for value in (*PERSON.values(), ambassador["email"], *WRITTEN.values(), public_id, "Arjun", "Ravi",
                  "arjun.mehta@example.in", "ravi.kumar@example.in"):
        assert value not in stored, value
    assert db.ambassador_applications.count_documents({}) == 0 and db.ambassadors.count_documents({}) == 0
    # Counts stay for the report: three contacts (two replied), one activity of 30 people.
    assert db.ambassador_contacts.count_documents({"member_id": member_id}) == 3
    assert db.ambassador_contacts.count_documents({"replied_at": {"$ne": None}}) == 2
    assert db.ambassador_contacts.count_documents({"state": "open"}) == 0   # nobody is nudged
    assert db.ambassador_activities.find_one({"member_id": member_id})["people_reached"] == 30
    assert sorted(e.data["question_id"] for e in events(db, "members.ambassador.asker_erased")) == sorted(
        [answered, waiting])
    report = client.get(f"{A}/report", headers=admin_headers).get_json()["rows"]
    assert [(r["name"], r["contacts"], r["replied"], r["people_reached"]) for r in report] == [(None, 3, 2, 30)]
    assert office["id"] in {c["_id"] for c in db.ambassador_contacts.find()}
    clock.advance(days=400)   # nothing left for the timer to erase or nudge
    assert overdue.run_once(client.application.extensions["alumnet"].store, timedelta(hours=24), clock) == 0


def test_the_export_holds_the_members_ambassador_data(client, programme):
    ambassador = programme.ambassador(application={"motivation": "Моята мотивация"})
    programme.contact(ambassador)
    client.post(f"{A}/{ambassador['id']}/activities", headers=ambassador["headers"], json={
        "kind": "referral", "on": "2027-02-01", "place": {"name": "Online", "country": "IN"}, "people_reached": 1})
    exported = client.get(f"{M}/{ambassador['id']}/export", headers=ambassador["headers"]).get_json()["ambassadors"]
    assert exported["applications"][0]["motivation"] == "Моята мотивация"
    assert exported["ambassador"]["public_id"] == ambassador["ambassador"]["public_id"]
    assert exported["contacts"][0]["name"] == "Ravi Kumar" and "email" not in exported["contacts"][0]
    assert exported["activities"][0]["kind"] == "referral"
    assert client.get(f"{M}/{ambassador['id']}/export", headers=programme.ambassador()["headers"]).status_code == 403

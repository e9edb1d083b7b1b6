"""A mentor's offer over HTTP: verified alumni opt in (never students or members waiting for
verification), the offer's cross-field rule names the field, capacity changes move the free
places, withdrawing is refused while mentees wait; the public card for verified members."""
from __future__ import annotations

from tests.support import assert_problem
from tests.unit.mentoring.conftest import M, OFFER, events


def test_a_verified_alumnus_opts_in_and_sees_the_offer(client, mentoring):
    mentor = mentoring.mentor(capacity=3, specialties=["  Кардиология ", "кардиология"])
    offer = client.get(f"{M}/me/mentoring/offer", headers=mentor["headers"]).get_json()
    assert offer["capacity"] == 3 and offer["free_places"] == 3 and offer["offered"] is True
    assert offer["specialties"] == ["Кардиология"]


def test_no_offer_is_a_404_and_withdrawing_none_is_fine(client, people):
    member = people.verified()
    assert_problem(client.get(f"{M}/me/mentoring/offer", headers=member["headers"]), 404)
    assert client.delete(f"{M}/me/mentoring/offer", headers=member["headers"]).status_code == 204


def test_students_and_unverified_members_cannot_mentor(client, mentoring, people):
    student = mentoring.student()
    response = client.put(f"{M}/me/mentoring/offer", json=OFFER, headers=student["headers"])
    assert assert_problem(response, 403)["reason"] == "not_alumnus"
    pending = people.sign_up()
    response = client.put(f"{M}/me/mentoring/offer", json=OFFER, headers=pending["headers"])
    assert assert_problem(response, 403)["reason"] == "not_verified"


def test_in_person_meetings_need_a_city(client, people):
    member = people.verified()
    response = client.put(f"{M}/me/mentoring/offer", json={**OFFER, "formats": ["in_person"]},
                          headers=member["headers"])
    assert "city" in assert_problem(response, 422)["errors"]


def test_lowering_the_capacity_below_the_mentees_offers_the_mentor_to_nobody(client, mentoring):
    mentor, mentee = mentoring.mentor(capacity=2), mentoring.student()
    mentoring.ask(mentee, mentor)
    client.put(f"{M}/me/mentoring/offer", json={**OFFER, "capacity": 1}, headers=mentor["headers"])
    offer = client.get(f"{M}/me/mentoring/offer", headers=mentor["headers"]).get_json()
    assert (offer["free_places"], offer["offered"]) == (0, False)
    assert mentoring.ask(mentoring.student(), mentor, status=409)
    client.put(f"{M}/me/mentoring/offer", json={**OFFER, "capacity": 3}, headers=mentor["headers"])
    assert client.get(f"{M}/me/mentoring/offer", headers=mentor["headers"]).get_json()["free_places"] == 2


def test_an_offer_with_mentees_waiting_is_paused_not_withdrawn(client, mentoring):
    mentor = mentoring.mentor()
    mentoring.ask(mentoring.student(), mentor)
    assert_problem(client.delete(f"{M}/me/mentoring/offer", headers=mentor["headers"]), 409)
    paused = client.put(f"{M}/me/mentoring/offer", json={**OFFER, "paused": True}, headers=mentor["headers"])
    assert paused.get_json()["offered"] is False
    assert mentoring.ask(mentoring.student(), mentor, status=409)


def test_the_card_of_a_mentor_is_for_verified_members(client, mentoring, people):
    mentor, viewer = mentoring.mentor(), mentoring.student()
    card = client.get(f"{M}/mentoring/mentors/{mentor['id']}", headers=viewer["headers"])
    assert card.status_code == 200 and card.get_json()["given_name"] == "Мария"
    assert "email" not in card.get_json() and card.get_json()["topics"] == OFFER["topics"]
    assert_problem(client.get(f"{M}/mentoring/mentors/{mentor['id']}", headers=people.sign_up()["headers"]), 403)
    assert_problem(client.get(f"{M}/mentoring/mentors/{viewer['id']}", headers=mentor["headers"]), 404)
    assert_problem(client.get(f"{M}/mentoring/mentors/{mentor['id']}"), 401)


def _open_to_mentoring_updates(db, member_id: str) -> list:
    return [e.data["changed"]["open_to_mentoring"] for e in events(db, "members.member.updated")
            if e.subject == member_id and "open_to_mentoring" in e.data["changed"]]


def test_the_profile_flag_follows_the_offer_and_is_published(client, db, people):
    member = people.verified()
    headers = member["headers"]
    directory = {"open_to_mentoring": "true"}
    assert client.put(f"{M}/me/mentoring/offer", json=OFFER, headers=headers).status_code == 200
    assert client.get(f"{M}/{member['id']}", headers=headers).get_json()["open_to_mentoring"] is True
    listed = client.get(f"{M}/directory", headers=headers, query_string=directory).get_json()
    assert [m["id"] for m in listed["items"]] == [member["id"]]
    # A change that keeps it open publishes nothing more; withdrawing turns it off.
    assert client.put(f"{M}/me/mentoring/offer", json={**OFFER, "capacity": 3}, headers=headers).status_code == 200
    assert client.delete(f"{M}/me/mentoring/offer", headers=headers).status_code == 204
    assert client.get(f"{M}/{member['id']}", headers=headers).get_json()["open_to_mentoring"] is False
    assert client.get(f"{M}/directory", headers=headers, query_string=directory).get_json()["total"] == 0
    assert _open_to_mentoring_updates(db, member["id"]) == [True, False]


def test_a_paused_offer_leaves_the_flag_as_the_member_set_it(client, db, people):
    member = people.verified()
    response = client.put(f"{M}/me/mentoring/offer", json={**OFFER, "paused": True}, headers=member["headers"])
    assert response.status_code == 200
    assert client.get(f"{M}/{member['id']}", headers=member["headers"]).get_json().get("open_to_mentoring") is None
    assert _open_to_mentoring_updates(db, member["id"]) == []


def test_an_offer_that_cannot_be_withdrawn_leaves_the_flag_on(client, db, mentoring):
    mentor = mentoring.mentor()
    mentoring.ask(mentoring.student(), mentor)
    assert client.delete(f"{M}/me/mentoring/offer", headers=mentor["headers"]).status_code == 409
    assert client.get(f"{M}/{mentor['id']}", headers=mentor["headers"]).get_json()["open_to_mentoring"] is True
    assert _open_to_mentoring_updates(db, mentor["id"]) == [True]

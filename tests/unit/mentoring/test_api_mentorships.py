"""The mentorship over HTTP: either of the pair logs meetings (notes seen only by the pair),
either ends it with feedback that only its giver sees; erasure ends the member's mentorships
and removes their pairs' notes."""
from __future__ import annotations

import pytest

from services.members.mentoring import store as mentoring_store
from tests.support import assert_problem
from tests.unit.mentoring.conftest import M, events


@pytest.fixture
def pair(client, mentoring, clock):
    mentor, mentee = mentoring.mentor(), mentoring.student()
    mentoring.decide(mentoring.ask(mentee, mentor), mentor)
    [mentorship] = client.get(f"{M}/me/mentoring/mentorships", headers=mentor["headers"]).get_json()["items"]
    clock.advance(days=2)
    return mentor, mentee, mentorship["id"]


MEETING = {"on": "2026-12-06", "minutes": 60, "topic": "Избор на специалност", "notes": "Да прочете за кардиология."}


def test_either_side_logs_meetings_and_only_the_pair_reads_the_notes(client, db, pair, mentoring):
    mentor, mentee, mentorship_id = pair
    url = f"{M}/mentoring/mentorships/{mentorship_id}/meetings"
    assert client.post(url, json=MEETING, headers=mentee["headers"]).status_code == 201
    assert client.post(url, json={**MEETING, "on": "2026-12-07"}, headers=mentor["headers"]).status_code == 201
    notes = [m["notes"] for m in client.get(url, headers=mentor["headers"]).get_json()["items"]]
    assert notes == [MEETING["notes"]] * 2
    stranger = mentoring.mentor()
    assert_problem(client.get(url, headers=stranger["headers"]), 403)
    assert_problem(client.post(url, json=MEETING, headers=stranger["headers"]), 403)
    [mine] = client.get(f"{M}/me/mentoring/mentorships", headers=mentee["headers"]).get_json()["items"]
    assert mine["meetings"] == 2 and mine["last_meeting_on"] == "2026-12-07"
    logged = events(db, "members.mentorship.meeting_logged")
    assert [e.data["notify"] for e in logged] == [[mentor["id"]], [mentee["id"]]]
    assert all("notes" not in e.data and "topic" not in e.data for e in logged)


def test_a_meeting_in_the_future_or_before_the_start_names_its_date(client, pair):
    mentor, _, mentorship_id = pair
    url = f"{M}/mentoring/mentorships/{mentorship_id}/meetings"
    for day in ("2026-12-30", "2026-11-01"):
        assert "on" in assert_problem(client.post(url, json={**MEETING, "on": day}, headers=mentor["headers"]),
                                      422)["errors"]


def test_ending_keeps_each_sides_feedback_to_itself_and_frees_the_place(client, db, pair):
    mentor, mentee, mentorship_id = pair
    ended = client.post(f"{M}/mentoring/mentorships/{mentorship_id}/end", headers=mentee["headers"],
                        json={"feedback": {"rating": 5, "text": "Много полезно."}})
    assert ended.status_code == 200 and ended.get_json()["state"] == "ended"
    assert ended.get_json()["my_feedback"]["rating"] == 5
    [theirs] = client.get(f"{M}/me/mentoring/mentorships", headers=mentor["headers"]).get_json()["items"]
    assert theirs["my_feedback"] is None and theirs["state"] == "ended"
    assert_problem(client.post(f"{M}/mentoring/mentorships/{mentorship_id}/end", headers=mentor["headers"],
                               json={}), 409)
    assert client.get(f"{M}/me/mentoring/offer", headers=mentor["headers"]).get_json()["free_places"] == 2
    [ended_event] = events(db, "members.mentorship.ended")
    assert ended_event.data["notify"] == [mentor["id"]] and "feedback" not in ended_event.data
    assert ended_event.data["reason"] == "ended"


def test_erasure_ends_the_mentorships_and_removes_the_notes(client, db, pair, admin_headers):
    mentor, mentee, mentorship_id = pair
    client.post(f"{M}/mentoring/mentorships/{mentorship_id}/meetings", json=MEETING, headers=mentor["headers"])
    response = client.delete(f"{M}/{mentee['id']}", headers=admin_headers, query_string={"reason": "Asked."})
    assert response.status_code == 202, response.get_json()
    mentorship = db[mentoring_store.MENTORSHIPS].find_one({"_id": mentorship_id})
    assert mentorship["state"] == "ended" and mentorship["ended_by"] == mentee["id"]
    assert [m["notes"] for m in db[mentoring_store.MEETINGS].find({"mentorship_id": mentorship_id})] == [None]
    [ended] = events(db, "members.mentorship.ended")
    assert ended.data["reason"] == "erased" and ended.data["notify"] == [mentor["id"]]
    assert client.get(f"{M}/me/mentoring/offer", headers=mentor["headers"]).get_json()["free_places"] == 2
    assert db[mentoring_store.REQUESTS].find_one({"mentee_id": mentee["id"]})["message"] is None


def test_erasing_a_mentor_moves_their_asks_on_and_withdraws_the_offer(client, db, mentoring, admin_headers):
    first, second, mentee = mentoring.mentor(), mentoring.mentor(), mentoring.student()
    request = mentoring.ask(mentee, first, second)
    assert client.delete(f"{M}/{first['id']}", headers=admin_headers,
                         query_string={"reason": "Asked."}).status_code == 202
    [mine] = client.get(f"{M}/me/mentoring/requests", headers=mentee["headers"]).get_json()["items"]
    assert mine["id"] == request["id"] and mine["asked_mentor"] == second["id"] and mine["message"]
    assert db[mentoring_store.OFFERS].find_one({"_id": first["id"]}) is None


def test_erasing_a_mentor_removes_the_messages_written_to_them(client, db, pair, admin_headers):
    mentor, mentee, _ = pair
    assert client.delete(f"{M}/{mentor['id']}", headers=admin_headers,
                         query_string={"reason": "Asked."}).status_code == 202
    assert [r["message"] for r in db[mentoring_store.REQUESTS].find({"mentee_id": mentee["id"]})] == [None]
    [mine] = client.get(f"{M}/me/mentoring/mentorships", headers=mentee["headers"]).get_json()["items"]
    assert mine["state"] == "ended" and mine["other"] == {}


def test_the_other_side_gives_feedback_after_the_end_once(client, pair):
    mentor, mentee, mentorship_id = pair
    url = f"{M}/mentoring/mentorships/{mentorship_id}"
    assert_problem(client.post(f"{url}/feedback", json={"rating": 4}, headers=mentor["headers"]), 409)  # not ended
    client.post(f"{url}/end", json={"feedback": {"rating": 2}}, headers=mentee["headers"])
    given = client.post(f"{url}/feedback", json={"rating": 4, "text": "Добра студентка."}, headers=mentor["headers"])
    assert given.status_code == 200 and given.get_json()["my_feedback"]["rating"] == 4
    assert assert_problem(client.post(f"{url}/feedback", json={"rating": 5}, headers=mentor["headers"]),
                          409)["reason"] == "already_given"
    [mine] = client.get(f"{M}/me/mentoring/mentorships", headers=mentee["headers"]).get_json()["items"]
    assert mine["my_feedback"]["rating"] == 2
    assert "rating" in assert_problem(client.post(f"{url}/feedback", json={"rating": 6}, headers=mentor["headers"]),
                                      422)["errors"]

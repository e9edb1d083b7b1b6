"""The office's dashboard of the mentoring programme over HTTP: the figures of a programme
played through the API with a standing clock (who takes part by specialty and language, the
request waiting and its age, acceptance rates and median reply times, the ended pair's
feedback), a pair stalled after 60 days without a meeting, the CSV export, admins only."""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from shared import revocations
from shared.csvexport import BOM
from tests.support import assert_problem
from tests.unit.mentoring.conftest import M, NOW, OFFER
from tests.unit.mentoring.test_api_recommendations import watched

DASHBOARD = f"{M}/mentoring/dashboard"
EXPORT = f"{DASHBOARD}/export.csv"
FORMULA_NAME = '=HYPERLINK("http://example.com")'


@pytest.fixture
def programme(client, people, mentoring, clock):
    """Three mentors (one paused) and three students, played over 22 hours: Ана accepts one
    student after 2 hours and declines another after 4, Борис accepts that one after 6 hours
    and the pair ends with feedback both ways, a third student's ask to Ана waits 10 hours."""
    def mentor(given_name: str, family_name: str, **offer) -> dict:
        member = people.verified(given_name=given_name, family_name=family_name, graduation_year=2010)
        assert client.put(f"{M}/me/mentoring/offer", json={**OFFER, **offer},
                          headers=member["headers"]).status_code == 200
        return member

    def student(**profile) -> dict:
        member = mentoring.student()
        assert client.patch(f"{M}/{member['id']}", json=profile, headers=member["headers"]).status_code == 200
        return member

    ana = mentor("Ана", FORMULA_NAME, specialties=["Кардиология"], languages=["bg", "en"], capacity=2)
    boris = mentor("Борис", "Борисов", specialties=["кардиология ", "Хирургия"], languages=["bg", "de"], capacity=1)
    mentor("Вера", "Вълчева", specialties=[], languages=["en"], paused=True)
    first = student(specialty="Кардиология", languages=["bg"])
    second = student(specialty="Хирургия", languages=["de"])
    third = student(languages=["en"])

    asked = mentoring.ask(first, ana)
    clock.advance(hours=2)
    mentorship_id = mentoring.decide(asked, ana).get_json()["ask"]["mentorship_id"]
    asked = mentoring.ask(second, ana, boris)
    clock.advance(hours=4)
    assert mentoring.decide(asked, ana, "decline").status_code == 200
    clock.advance(hours=6)
    ended_id = mentoring.decide(asked, boris).get_json()["ask"]["mentorship_id"]
    assert client.post(f"{M}/mentoring/mentorships/{ended_id}/end", json={"feedback": {"rating": 4}},
                       headers=second["headers"]).status_code == 200
    assert client.post(f"{M}/mentoring/mentorships/{ended_id}/feedback", json={"rating": 5},
                       headers=boris["headers"]).status_code == 200
    waiting = mentoring.ask(third, ana)
    clock.advance(hours=10)
    return {"ana": ana, "boris": boris, "first": first, "third": third, "waiting": waiting,
            "mentorship_id": mentorship_id}


def test_the_figures_of_a_programme(client, admin_headers, programme):
    response = client.get(DASHBOARD, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    board = response.get_json()
    assert board["totals"] == {"mentors": 3, "paused": 1, "offered": 1, "places": 5, "free_places": 3,
                               "mentees": 2, "open_requests": 1, "active_pairs": 1, "stalled_pairs": 0,
                               "ended_pairs": 1}
    # However a mentor spells a specialty, it counts once, as first met.
    assert board["mentors_by_specialty"] == [{"name": "Кардиология", "count": 2}, {"name": "Хирургия", "count": 1}]
    assert board["mentors_by_language"] == [{"name": "bg", "count": 2}, {"name": "en", "count": 2},
                                            {"name": "de", "count": 1}]
    # Mentees are those waiting or in an active pair (not the one whose pair ended).
    assert board["mentees_by_specialty"] == [{"name": "Кардиология", "count": 1}]
    assert board["mentees_by_language"] == [{"name": "bg", "count": 1}, {"name": "en", "count": 1}]
    [waiting] = board["open_requests"]
    assert waiting["id"] == programme["waiting"]["id"] and waiting["age_hours"] == 10.0
    assert waiting["mentor_id"] == programme["ana"]["id"] and waiting["mentor"]["given_name"] == "Ана"
    assert waiting["mentee_id"] == programme["third"]["id"] and (waiting["choice"], waiting["of"]) == (1, 1)
    rows = {row["given_name"]: row for row in board["mentors"]}
    assert {k: rows["Ана"][k] for k in ("accepted", "declined", "expired", "acceptance_rate",
                                        "median_reply_hours", "active", "pending")} == {
        "accepted": 1, "declined": 1, "expired": 0, "acceptance_rate": 0.5, "median_reply_hours": 3.0,
        "active": 1, "pending": 1}
    assert {k: rows["Борис"][k] for k in ("acceptance_rate", "median_reply_hours", "ended_pairs",
                                          "feedback_from_mentees")} == {
        "acceptance_rate": 1.0, "median_reply_hours": 6.0, "ended_pairs": 1, "feedback_from_mentees": 4.0}
    assert rows["Вера"]["acceptance_rate"] is None and rows["Вера"]["paused"] is True
    assert board["ended"] == {"pairs": 1, "with_feedback": 1, "mentor_feedback_average": 5.0,
                              "mentee_feedback_average": 4.0}
    assert board["stalled"] == []


def test_a_pair_stalls_after_60_days_without_a_meeting(client, admin_headers, mentoring, clock):
    mentor, mentee = mentoring.mentor(), mentoring.student()
    mentorship_id = mentoring.decide(mentoring.ask(mentee, mentor), mentor).get_json()["ask"]["mentorship_id"]
    assert client.post(f"{M}/mentoring/mentorships/{mentorship_id}/meetings", headers=mentee["headers"], json={
        "on": NOW.date().isoformat(), "minutes": 45, "topic": "Специалност"}).status_code == 201
    clock.advance(days=59)
    assert client.get(DASHBOARD, headers=admin_headers).get_json()["stalled"] == []
    clock.advance(days=1)
    board = client.get(DASHBOARD, headers=admin_headers).get_json()
    [stalled] = board["stalled"]
    assert stalled["id"] == mentorship_id and stalled["silent_days"] == 60
    assert stalled["last_meeting_on"] == NOW.date().isoformat() and stalled["meetings"] == 1
    assert board["totals"]["stalled_pairs"] == 1
    assert [row["stalled_pairs"] for row in board["mentors"]] == [1]


def test_the_export_has_one_safe_row_per_mentor(client, admin_headers, programme):
    response = client.get(EXPORT, headers=admin_headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith(BOM)
    header, *rows = list(csv.reader(io.StringIO(text[len(BOM):])))
    assert header[:3] == ["mentor_id", "given_name", "family_name"]
    by_name = {row[1]: dict(zip(header, row)) for row in rows}
    assert sorted(by_name) == ["Ана", "Борис", "Вера"]
    # The name a spreadsheet would run is shown as text.
    assert by_name["Ана"]["family_name"] == "'" + FORMULA_NAME
    assert (by_name["Ана"]["acceptance_rate"], by_name["Ана"]["median_reply_hours"]) == ("0.5", "3.0")
    assert by_name["Вера"]["paused"] == "да" and by_name["Вера"]["acceptance_rate"] == ""


@pytest.mark.parametrize("path", [DASHBOARD, EXPORT])
def test_only_the_office_sees_the_dashboard(client, mentoring, path):
    assert_problem(client.get(path), 401)
    for member in (mentoring.mentor(), mentoring.student()):
        assert_problem(client.get(path, headers=member["headers"]), 403)


def _commands(app, client, admin_headers, local_store) -> Counter:
    """The reads one dashboard request sends, by kind (``shared.commandcount``), but the token
    check's refresh of the revocations (at most one a second, whatever the request)."""
    counter, counted = watched(local_store)
    service = app.extensions["alumnet"]
    name = service.store.db.name
    original, service.store.db = service.store.db, counted[name]
    try:
        with counter.counting(name) as seen:
            assert client.get(DASHBOARD, headers=admin_headers).status_code == 200
    finally:
        service.store.db = original
        counted.close()
    reads = ("find", "aggregate", "count", "distinct", "getMore")
    kept: Counter = Counter()
    for (kind, collection), n in seen.by_collection.items():
        if kind in reads and collection != revocations.COLLECTION:
            kept[kind] += n
    return kept


def test_the_dashboard_reads_the_same_few_queries_however_many_mentors(app, client, admin_headers, programme,
                                                                       mentoring, local_store):
    before = _commands(app, client, admin_headers, local_store)
    for _ in range(4):   # four more mentors, each with an answer
        mentor = mentoring.mentor()
        assert mentoring.decide(mentoring.ask(mentoring.student(), mentor), mentor, "decline").status_code == 200
    assert _commands(app, client, admin_headers, local_store) == before
    assert before.total() <= 9 and "getMore" not in before, before

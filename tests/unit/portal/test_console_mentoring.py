"""The office's mentoring page against a fake members API: the dashboard's tables with their
figures and bars, the stalled pairs highlighted in words as well as colour, the requests
waiting with how long they have waited, the CSV export passed through, Bulgarian, and only
admins let in."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import log_in

DASHBOARD = "/api/v1/members/mentoring/dashboard"
ANA, BORIS, STUDENT = "a" * 32, "b" * 32, "c" * 32


def a_dashboard(**changes) -> dict:
    found = {
        "generated_at": "2026-12-05T10:00:00+00:00",
        "totals": {"mentors": 2, "paused": 1, "offered": 1, "places": 3, "free_places": 1, "mentees": 1,
                   "open_requests": 1, "active_pairs": 1, "stalled_pairs": 1, "ended_pairs": 1},
        "mentors_by_specialty": [{"name": "Кардиология", "count": 2}, {"name": "Хирургия", "count": 1}],
        "mentors_by_language": [{"name": "bg", "count": 2}, {"name": "de", "count": 1}],
        "mentees_by_specialty": [],
        "mentees_by_language": [{"name": "en", "count": 1}],
        "open_requests": [{"id": "r" * 32, "mentee_id": STUDENT, "mentee": {"given_name": "Ива", "family_name": "Петрова"},
                           "mentor_id": ANA, "mentor": {"given_name": "Ана", "family_name": "Кирова"}, "choice": 2,
                           "of": 3, "created_at": "2026-12-01T10:00:00+00:00", "asked_at": "2026-12-02T10:00:00+00:00",
                           "deadline": "2026-12-05T10:00:00+00:00", "age_hours": 96.0}],
        "mentors": [
            {"mentor_id": ANA, "given_name": "Ана", "family_name": "Кирова", "capacity": 2, "active": 1, "pending": 1,
             "paused": False, "accepted": 3, "declined": 1, "expired": 0, "acceptance_rate": 0.75,
             "median_reply_hours": 5.5, "stalled_pairs": 1, "ended_pairs": 0, "feedback_from_mentees": None},
            {"mentor_id": BORIS, "given_name": "Борис", "family_name": "Борисов", "capacity": 1, "active": 0,
             "pending": 0, "paused": True, "accepted": 0, "declined": 0, "expired": 0, "acceptance_rate": None,
             "median_reply_hours": None, "stalled_pairs": 0, "ended_pairs": 1, "feedback_from_mentees": 4.5}],
        "stalled": [{"id": "m" * 32, "mentor_id": ANA, "mentor": {"given_name": "Ана", "family_name": "Кирова"},
                     "mentee_id": STUDENT, "mentee": {}, "started_at": "2026-08-01T10:00:00+00:00",
                     "last_meeting_on": "2026-09-01", "meetings": 2, "silent_days": 95}],
        "ended": {"pairs": 1, "with_feedback": 1, "mentor_feedback_average": 5.0, "mentee_feedback_average": 4.5},
    }
    found.update(changes)
    return found


def html(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def rows_of(page: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    return re.findall(r"<tr[^>]*>.*?</tr>", table.split("<tbody>")[1], re.S)


def test_the_dashboard_shows_the_apis_figures(admin, gateway):
    gateway.on("GET", DASHBOARD, 200, a_dashboard())
    page = html(admin.get("/office/mentoring"))
    specialties = rows_of(page, "mentors-by-specialty")
    assert "Кардиология" in specialties[0] and ">2<" in specialties[0] and 'width="100.0"' in specialties[0]
    assert "Хирургия" in specialties[1] and 'width="50.0"' in specialties[1]
    # The bars are decoration (hidden from screen readers): the figure is the text beside them.
    # Two specialties, two languages of mentors, one of mentees, one mentor's acceptance rate.
    assert len(re.findall(r'<svg class="count-bar"[^>]*aria-hidden="true"', page)) == 2 + 2 + 1 + 1
    assert "Nobody yet." in page   # no mentee has a specialty
    assert "German" in page and "Bulgarian" in page
    [waiting] = rows_of(page, "open-requests")
    assert "Ива Петрова" in waiting and "Ана Кирова" in waiting and "4 days" in waiting and "2 of 3" in waiting
    ana, boris = rows_of(page, "mentors")
    assert "75%" in ana and "5.5 h" in ana and "1 of 2" in ana
    assert "(paused)" in boris and "–" in boris and "4.5 / 5" in boris
    assert f'href="/office/members/{ANA}"' in ana


def test_stalled_pairs_are_highlighted_in_words_too(admin, gateway):
    gateway.on("GET", DASHBOARD, 200, a_dashboard())
    page = html(admin.get("/office/mentoring"))
    [pair] = rows_of(page, "stalled")
    assert 'class="stalled"' in pair and ">95<" in pair and "Erased member" in pair
    ana, boris = rows_of(page, "mentors")
    assert 'class="stalled"' in ana and "1 stalled pair" in ana
    assert "stalled" not in boris


def test_an_empty_programme_says_so(admin, gateway):
    gateway.on("GET", DASHBOARD, 200, a_dashboard(
        mentors=[], stalled=[], open_requests=[], mentors_by_specialty=[], mentors_by_language=[],
        mentees_by_language=[], totals={}, ended={"pairs": 0, "with_feedback": 0, "mentor_feedback_average": None,
                                                   "mentee_feedback_average": None}))
    page = html(admin.get("/office/mentoring"))
    assert "No pair has stalled." in page and "No request is waiting." in page and "No mentor yet." in page


def test_the_csv_export_is_passed_through_with_its_bom(admin, gateway):
    body = "\ufeffmentor_id,given_name\r\nabc,'=cmd\r\n".encode()
    gateway.on("GET", f"{DASHBOARD}/export.csv", 200, content=body,
               headers={"Content-Type": "text/csv; charset=utf-8"})
    response = admin.get("/office/mentoring/export.csv")
    assert response.status_code == 200 and response.data == body and response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]


def test_the_page_links_its_export_and_the_office_links_the_page(admin, gateway):
    gateway.on("GET", DASHBOARD, 200, a_dashboard())
    assert 'href="/office/mentoring/export.csv"' in html(admin.get("/office/mentoring"))
    assert 'href="/office/mentoring"' in html(admin.get("/office"))


def test_the_page_speaks_bulgarian(admin, gateway):
    gateway.on("GET", DASHBOARD, 200, a_dashboard())
    admin.get("/language/bg")
    page = html(admin.get("/office/mentoring"))
    assert "Менторска програма" in page and "Застинали двойки" in page and "4 дни" in page
    assert "български" in page


@pytest.mark.parametrize("roles", [("alumnus",), ("staff",)])
def test_only_the_office_may_open_it(client, gateway, roles):
    log_in(client, gateway, roles=roles)
    assert client.get("/office/mentoring").status_code == 403
    assert client.get("/office/mentoring/export.csv").status_code == 403
    assert gateway.sent("GET", DASHBOARD) == [] and gateway.sent("GET", f"{DASHBOARD}/export.csv") == []

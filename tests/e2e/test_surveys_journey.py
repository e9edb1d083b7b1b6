"""A survey end to end through the real nginx gateway, gunicorn apis, workers, RabbitMQ and the
SMTP sink: the office opens a named survey to a saved segment of two members; the invitation
(Bulgarian) reaches both with a personal link; one member answers through that link without
logging in, accepts the employer it proposes, and the directory shows it; the reminder goes
only to the member who did not answer; the results and the CSV export hold the one response.

Timing: the platform's notifications workers run with ``SURVEY_REMINDER_LEAD_S=25``, so the
reminder is due 25 s before the close, and the survey closes 45 s after it is opened. The
member answers within seconds of the invitation; the test checks that she had completed before
the reminder was due, so a slow machine shows up as that failure and not as a wrong reminder.
"""
from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient

from tests.e2e.office import member, survey, survey_link
from tests.support import bearer, wait_until

LEAD = timedelta(seconds=25)  # SURVEY_REMINDER_LEAD_S of the e2e platform (tests/e2e/conftest.py)


def _member(gateway: str, sink, admin: dict, given: str, latin: str, run: str, city: str) -> tuple[str, dict, str]:
    person = member(gateway, sink, admin, given, latin, run, family="Петрова", year=2012)
    assert requests.patch(f"{gateway}/api/v1/members/{person['id']}", json={"city": city,
                          "employer": "УМБАЛ Свети Георги"}, headers=person["auth"], timeout=10).status_code == 200
    return person["id"], person["auth"], person["email"]


def _mail(sink, address: str, subject_start: str) -> list:
    return [m for m in sink.to(address) if m["Subject"].startswith(subject_start)]


def test_a_survey_from_invitation_to_results(gateway, platform, smtp_sink, local_store, issue_token):
    sink, _ = smtp_sink
    url, run = gateway.url, uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    city = f"Анкетоград {run}"
    maria, maria_auth, maria_email = _member(url, sink, admin, "Мария", "maria", run, city)
    ivan, _, ivan_email = _member(url, sink, admin, "Иван", "ivan", run, city)
    surveys = f"{url}/api/v1/members/surveys"
    segment = requests.post(f"{url}/api/v1/members/segments", headers=admin, timeout=10,
                            json={"name": f"Анкетоград {run}", "filter": {"city": city}})
    assert segment.status_code == 201, segment.text

    now = datetime.now(timezone.utc)
    created = requests.post(surveys, json=survey(segment.json()["id"], run, now - timedelta(minutes=1),
                                                 now + timedelta(seconds=45)), headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    survey_id = created.json()["id"]
    opened = requests.post(f"{surveys}/{survey_id}/open", headers=admin, timeout=10)
    assert opened.status_code == 200, opened.text
    assert opened.json()["audience_size"] == 2
    reminder_due = datetime.fromisoformat(opened.json()["closes_at"]) - LEAD

    # The invitation, in Bulgarian, with List-Unsubscribe and the member's own link.
    subject = "Анкета на Алумни клуба:"
    invitation = wait_until(lambda: _mail(sink, maria_email, subject), timeout_s=30,
                            message="Maria's invitation")[0]
    assert f"Къде сте днес? {run}" in invitation["Subject"] and invitation["List-Unsubscribe"]
    link = survey_link(invitation, survey_id)
    wait_until(lambda: _mail(sink, ivan_email, subject), timeout_s=30, message="Ivan's invitation")

    # Maria answers through the link, not logged in: a draft first, then the submission.
    assert requests.get(f"{surveys}/{survey_id}", headers=link, timeout=10).status_code == 200
    answers = {"employer": "Медицински университет – Пловдив", "recommend": 9,
               "field": {"choices": [], "other": "Обществено здраве"}}
    draft = requests.put(f"{surveys}/{survey_id}/response", json={"answers": {"recommend": 9}}, headers=link,
                         timeout=10)
    assert draft.status_code == 200, draft.text
    resumed = requests.get(f"{surveys}/{survey_id}/response", headers=link, timeout=10).json()
    assert resumed["status"] == "draft" and resumed["answers"] == {"recommend": 9}
    submitted = requests.post(f"{surveys}/{survey_id}/response/submit", json={"answers": answers}, headers=link,
                              timeout=10)
    assert submitted.status_code == 200, submitted.text
    assert datetime.now(timezone.utc) < reminder_due, "answering took too long: the reminder was already due"
    proposals = submitted.json()["proposals"]
    assert [(p["field"], p["old"], p["new"]) for p in proposals] == [
        ("employer", "УМБАЛ Свети Георги", "Медицински университет – Пловдив")]

    decided = requests.post(f"{surveys}/{survey_id}/proposals", json={"decisions": {"employer": "accept"}},
                            headers=link, timeout=10)
    assert decided.status_code == 200, decided.text
    assert decided.json()["profile_changed"] == ["employer"]
    # The directory (its own read of the profiles) shows the new employer to another member.
    found_in_directory = requests.get(f"{url}/api/v1/members/directory", params={"city": city}, headers=maria_auth,
                                      timeout=10).json()["items"]
    assert {m["id"]: m.get("employer") for m in found_in_directory}[maria] == "Медицински университет – Пловдив"

    # The reminder: Ivan only.
    reminder_subject = "Напомняне: анкетата"
    wait_until(lambda: _mail(sink, ivan_email, reminder_subject), timeout_s=90, message="Ivan's reminder")
    notifications = MongoClient(local_store.url, tz_aware=True)[platform.env["MONGO_DB_PREFIX"] + "notifications"]
    reminders = notifications.deliveries.find({"template": "survey_reminder", "recipient": {"$in": [maria, ivan]}})
    assert sorted(d["recipient"] for d in reminders) == [ivan]
    assert _mail(sink, maria_email, reminder_subject) == []

    # Results and the export hold Maria's response.
    results = requests.get(f"{surveys}/{survey_id}/results", headers=admin, timeout=10)
    assert results.status_code == 200, results.text
    body = results.json()
    assert (body["respondents"], body["audience_size"], body["response_rate"]) == (1, 2, 0.5)
    by_id = {q["id"]: q for q in body["questions"]}
    recommend = by_id["recommend"]
    assert recommend["distribution"]["9"] == 1 and sum(recommend["distribution"].values()) == 1
    assert recommend["nps"] == 100  # one promoter (9 or 10)
    assert by_id["field"]["other"] == 1
    export = requests.get(f"{surveys}/{survey_id}/export.csv", headers=admin, timeout=10)
    assert export.status_code == 200 and export.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["member_id"] == maria
    cells = {column.split(":")[0]: value for column, value in rows[0].items()}
    assert cells["employer"] == "Медицински университет – Пловдив" and cells["recommend"] == "9"
    assert cells["field.other"] == "Обществено здраве"

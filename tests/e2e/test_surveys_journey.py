"""A survey end to end through the real nginx gateway, gunicorn apis, workers, RabbitMQ and the
SMTP sink: the office opens a named survey to a saved segment of two members; the invitation
(Bulgarian) reaches both with a personal link; one member answers through that link without
logging in, accepts the employer it proposes, and the directory shows it; the reminder goes
only to the member who did not answer; the results and the CSV export hold the one response.

Time is driven, not waited for: the survey closes two hours after it is opened and the
platform's notifications workers send the reminder ``SURVEY_REMINDER_LEAD_S`` (an hour) before
the close, which the real clock never reaches during the run. Once the member's answer is
known to notifications, a further notifications worker whose clock runs 90 minutes ahead
(``CLOCK_OFFSET_S``: past the reminder, before the close) sends it; however slow the answering
was, the reminder cannot have gone before it.
"""
from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient

from services.notifications.store import COMPLETIONS, SURVEYS
from tests.e2e.office import member, survey, survey_link
from tests.support import bearer, wait_until

OPEN_FOR = timedelta(hours=2)  # the reminder is due an hour before the close (tests/e2e/conftest.py)
AHEAD = timedelta(minutes=90)  # the later notifications worker's clock: past the reminder, before the close


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
                                                 now + OPEN_FOR), headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    survey_id = created.json()["id"]
    opened = requests.post(f"{surveys}/{survey_id}/open", headers=admin, timeout=10)
    assert opened.status_code == 200, opened.text
    assert opened.json()["audience_size"] == 2
    notifications = MongoClient(local_store.url, tz_aware=True)[platform.env["MONGO_DB_PREFIX"] + "notifications"]

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

    # The reminder: Ivan only. Notifications knows Maria has answered; on the real clock the
    # reminder is not due, and a worker an hour and a half ahead sends it.
    wait_until(lambda: notifications[COMPLETIONS].count_documents({"survey_id": survey_id}) == 1, timeout_s=30,
               message="Maria's answer known to notifications")
    assert notifications[SURVEYS].find_one({"_id": survey_id})["reminded_at"] is None
    reminder_subject = "Напомняне: анкетата"
    with platform.worker_ahead("notifications", f"notifications-worker-later-{run}", AHEAD):
        wait_until(lambda: _mail(sink, ivan_email, reminder_subject), timeout_s=90, message="Ivan's reminder")
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

"""Every page of the portal in a real browser, through the gateway over the real services.

Each GET route of tests/portal_access.py that is a page (not a download) is opened by the
visitor its row names (anyone: a visitor who is not logged in; signed in: a verified member;
staff and admin: an office admin), in Bulgarian and in English, and must answer 200, be in the
page's language, pass axe-core with no serious or critical violation and fit a 360-px-wide
screen. A new page is crawled as soon as it has its row; a page whose path needs an id this file
cannot fill fails until ``IDS`` learns it. The other browser tests play journeys; this one makes
sure no page escapes the checks.

Screenshots of two pages go to ``.test-artifacts/screenshots/`` (the README's come from there:
``ALUMNET_SCREENSHOTS=docs/screenshots`` writes them into the repository instead).
"""
from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By

from alumnet import demo
from shared.decisionlink import NOMINATION_DECISION
from tests.browser.conftest import next_address
from tests.browser.helpers import check_axe, check_fits, wait_for
from tests.browser.test_alumni_pages import verified_member
from tests.portal_access import ACCESS, ADMIN, JUDGE, PUBLIC, SIGNED_IN, STAFF

# Routes that answer a file, a redirect or nothing a person reads: not crawled.
NOT_PAGES = {
    "/healthz", "/language/<code>", "/events/<event_id>.ics", "/events/<event_id>/ticket.svg",
    "/events/<event_id>/ticket.png", "/me/data/export", "/office/events/<event_id>/attendance.csv",
    "/office/announcements/<announcement_id>/progress",  # the live fragment inside the announcement's page
    "/office/surveys/<survey_id>/export.csv", "/office/mentoring/export.csv",
}
# The links in emails carry a token; with a made-up one the page still shows its button.
QUERIES = {path: "?token=made-up-token" for path in (
    "/confirm-email", "/confirm-email-change", "/undo-email-change", "/unsubscribe")}
# The pages of a draft survey (the others show the open one, answered, with its results).
RENAMED = {rule: {"survey_id": "draft_survey_id"} for rule in (
    "/office/surveys/<survey_id>/edit", "/office/surveys/<survey_id>/open", "/office/surveys/<survey_id>/delete")}
RENAMED["/office/causes/<cause_id>/edit"] = {"cause_id": "draft_cause_id"}  # only a draft is edited
# The mentoring decision link: its page shows the button (a GET decides nothing).
QUERIES["/mentoring/requests/<request_id>/decide"] = "?t=made-up.token&d=accept"
# The nominee's decision link: a real nomination of the member with the email's genuine token
# (the page shows the nomination and its button; a GET decides nothing).
QUERIES["/awards/nominations/<nomination_id>/decide"] = "?t=<nomination_token>"
RENAMED["/office/awards/<cycle_id>/edit"] = {"cycle_id": "draft_cycle_id"}
# The finder's confirmation link: its page shows the button (a GET confirms nothing).
QUERIES["/ambassadors/questions/<question_id>/confirm"] = "?t=made-up.token"
VISITOR = {PUBLIC: "anyone", SIGNED_IN: "member", STAFF: "admin", ADMIN: "admin", JUDGE: "admin"}
SCREENSHOTS = {("member", "bg"): ("/", "portal-home-bg.png"),
               ("admin", "en"): ("/office", "office-dashboard-en.png")}


def client(header: dict | None = None) -> dict:
    return {**(header or {}), "X-Forwarded-For": next_address()}


@pytest.fixture(scope="module")
def world(site, admin) -> dict:
    """What the pages' paths name, made through the API: a verified member with a public name,
    registered for a published event; a segment; a roster import; an announcement; a draft
    survey and an open one she has answered; a published cause she has joined and a draft one;
    she is an ambassador with a contact, and another member's ambassador application waits."""
    office = site.bearer(*admin)
    member = verified_member(site, admin, "bg", graduation_year=2012, faculty="medicine")
    own = site.bearer(member["email"], member["password"])
    patched = requests.patch(f"{site.url}/api/v1/members/{member['id']}", timeout=10, headers=client(own),
                             json={"city": "Пловдив", "visibility": {"names": "public"}})
    assert patched.status_code == 200, patched.text
    event_id, open_event_id = (published(site, office, event) for event in demo.EVENTS[:2])
    wait_for(lambda: requests.post(f"{site.url}/api/v1/events/{event_id}/registrations", json={"guests": 1},
                                   headers=client(own), timeout=10).status_code in (200, 201),
             timeout_s=30, message="the member's registration (once events knows she is verified)")
    segment = requests.post(f"{site.url}/api/v1/members/segments", timeout=10,
                            headers={**client(office), "Idempotency-Key": uuid.uuid4().hex},
                            json={"name": "Випуск 2012", "filter": {"graduation_year_from": 2012,
                                                                     "graduation_year_to": 2012}})
    assert segment.status_code == 201, segment.text
    header, row = demo.ROSTER_CSV.splitlines()[:2]
    imported = requests.post(f"{site.url}/api/v1/members/roster/imports?filename=crawl.csv", timeout=30,
                             data=f"{header}\n{row.replace('MF0812', 'MF9' + uuid.uuid4().hex[:5])}\n".encode(),
                             headers={**client(office), "Content-Type": "text/csv", "Idempotency-Key": uuid.uuid4().hex})
    assert imported.status_code in (200, 201), imported.text
    # Notifications learns of the new segment from its event: until then it answers 422.
    announced = wait_for(lambda: accepted(requests.post(
        f"{site.url}/api/v1/notifications/announcements", timeout=10,
        headers={**client(office), "Idempotency-Key": uuid.uuid4().hex}, json={
            "subject": {"bg": "Среща на випуска", "en": "Class reunion"}, "body": {"bg": "Заповядайте.", "en": "Do come."},
            "audience": {"kind": "segment", "segment_id": segment.json()["id"]}})), timeout_s=30,
        message="the announcement (once notifications knows the segment)")
    draft_id = made_survey(site, office, opens_at="2030-01-10T09:00:00+02:00", closes_at="2030-02-10T09:00:00+02:00")
    survey_id = answered_survey(site, office, own)
    request_id, mentorship_id = mentorship_of(site, admin, own, member)
    cycle_id, draft_cycle_id = award_cycle(site, office, opened=True), award_cycle(site, office, opened=False)
    nomination_id, nomination_token = award_nomination(site, office, cycle_id, member)
    cause_id, draft_cause_id = causes_of(site, office, own, member["id"])
    ambassador_ids = ambassador_of(site, admin, office, own, member)
    ids = {**ambassador_ids, "event_id": event_id, "member_id": member["id"], "segment_id": segment.json()["id"],
           "import_id": imported.json()["id"], "announcement_id": announced.json()["id"],
           "survey_id": survey_id, "draft_survey_id": draft_id, "question_id": "notes",
           "request_id": request_id, "mentorship_id": mentorship_id, "cycle_id": cycle_id,
           "draft_cycle_id": draft_cycle_id, "nomination_id": nomination_id,
           "nomination_token": nomination_token, "cause_id": cause_id,
           "draft_cause_id": draft_cause_id}
    # A visitor sees only events open to everyone (the reunion is the class of 2012's).
    return {"member": member, "admin": admin, "ids": {"member": ids, "admin": ids,
                                                      "anyone": {**ids, "event_id": open_event_id}}}


def accepted(answer: requests.Response) -> requests.Response | None:
    """The answer if it is 202, None after a 422 (asked again); anything else fails."""
    assert answer.status_code in (202, 422), answer.text
    return answer if answer.status_code == 202 else None


def made_survey(site, office: dict, **dates) -> str:
    """A draft survey of the class of 2012 (the crawling member's): a yes/no, the employer (a
    profile field: a named answer proposes it) and a free text."""
    made = requests.post(f"{site.url}/api/v1/members/surveys", timeout=10, headers=client(office), json={
        "title": {"bg": "Къде сте днес", "en": "Where are you now"}, "anonymous": False, **dates,
        "audience": {"kind": "class", "graduation_year": 2012},
        "sections": [{"id": "work", "title": {"bg": "Работа", "en": "Work"}, "questions": [
            {"id": "works", "kind": "yes_no", "text": {"bg": "Работите ли?", "en": "Do you work?"}},
            {"id": "employer", "kind": "text", "maps_to": "employer",
             "text": {"bg": "Работодател", "en": "Employer"}},
            {"id": "notes", "kind": "text", "text": {"bg": "Бележки", "en": "Notes"}}]}]})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def answered_survey(site, office: dict, own: dict) -> str:
    """An open survey the crawling member has answered: the office's results have figures and
    a free text, her answering page shows her submission, her review page a proposed employer."""
    now = datetime.now(timezone.utc)
    survey_id = made_survey(site, office, opens_at=(now - timedelta(hours=1)).isoformat(),
                            closes_at=(now + timedelta(days=30)).isoformat())
    opened = requests.post(f"{site.url}/api/v1/members/surveys/{survey_id}/open", timeout=10, headers=client(office))
    assert opened.status_code == 200, opened.text
    submitted = requests.post(f"{site.url}/api/v1/members/surveys/{survey_id}/response/submit", timeout=10,
                              headers=client(own), json={"answers": {
                                  "works": True, "employer": "УМБАЛ „Свети Георги“", "notes": "Поздрави на випуска."}})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["proposals"], submitted.text
    return survey_id


def mentorship_of(site, admin, own: dict, member: dict) -> tuple[str, str]:
    """The member mentors a graduate of last year: the request's id and the mentorship's."""
    offered = requests.put(f"{site.url}/api/v1/members/me/mentoring/offer", timeout=10, headers=client(own),
                           json={"topics": ["research"], "languages": ["bg", "en"], "formats": ["online"]})
    assert offered.status_code == 200, offered.text
    mentee = verified_member(site, admin, "bg", graduation_year=datetime.now(timezone.utc).year - 1)
    asked = requests.post(f"{site.url}/api/v1/members/me/mentoring/requests", timeout=10,
                          headers={**client(site.bearer(mentee["email"], mentee["password"])),
                                   "Idempotency-Key": uuid.uuid4().hex},
                          json={"mentors": [member["id"]], "message": "Здравейте! Бих искала съвет."})
    assert asked.status_code == 201, asked.text
    accepted = requests.post(f"{site.url}/api/v1/members/mentoring/requests/{asked.json()['id']}/accept",
                             timeout=10, headers=client(own), json={})
    assert accepted.status_code == 200, accepted.text
    return asked.json()["id"], accepted.json()["ask"]["mentorship_id"]


def award_cycle(site, office: dict, *, opened: bool) -> str:
    """An awards cycle of this year with one category (AWARDS.md's ``POST /cycles``), opened
    for nominations or left a draft."""
    now = datetime.now(timezone.utc)
    at = {key: (now + timedelta(days=days)).isoformat() for key, days in (
        ("nominations_from", -1), ("nominations_until", 20), ("confirmation_until", 30), ("judging_until", 40),
        ("results_at", 50))}
    made = requests.post(f"{site.url}/api/v1/awards/cycles", timeout=10,
                         headers={**client(office), "Idempotency-Key": uuid.uuid4().hex}, json={
                             "year": now.year, "title": {"bg": "Алумни награди", "en": "Alumni awards"}, "phases": at,
                             "judges": [], "categories": [{
                                 "category_id": "mentor", "title": {"bg": "Ментор на годината", "en": "Mentor of the year"},
                                 "description": {"bg": "За отдаден ментор.", "en": "For a devoted mentor."},
                                 "standings_category": "mentoring", "self_nomination": False, "max_winners": 1,
                                 "eligibility": [{"rule": "graduated_years_ago_at_least", "years": 5}],
                                 "rubric": [{"key": "impact", "title": {"bg": "Въздействие", "en": "Impact"},
                                             "weight": 1}]}]})
    assert made.status_code == 201, made.text
    cycle_id = made.json()["id"]
    if opened:
        answer = requests.post(f"{site.url}/api/v1/awards/cycles/{cycle_id}/open", timeout=10, headers=client(office))
        assert answer.status_code == 200, answer.text
    return cycle_id


def award_nomination(site, office: dict, cycle_id: str, member: dict) -> tuple[str, str]:
    """The office nominates the member in the cycle's category (once the awards service knows
    she is verified); the nomination's id and the token of the email's confirm link."""
    answers = []

    def nominated() -> bool:
        answer = requests.post(f"{site.url}/api/v1/awards/cycles/{cycle_id}/categories/mentor/nominations",
                               timeout=10, headers={**client(office), "Idempotency-Key": uuid.uuid4().hex},
                               json={"nominee_id": member["id"], "statement": "Наставлява студенти от години."})
        assert answer.status_code in (201, 422), answer.text
        answers.append(answer)
        return answer.status_code == 201
    wait_for(nominated, timeout_s=30, message="the member's nomination (once awards knows she is verified)")
    nomination = answers[-1].json()
    token = NOMINATION_DECISION.make_token(site.platform.env["LINK_SIGNING_KEY"], member["id"], nomination["id"],
                                           "confirm", datetime.fromisoformat(nomination["decide_by"]))
    return nomination["id"], token


def causes_of(site, office: dict, own: dict, member_id: str) -> tuple[str, str]:
    """A published volunteering call for everyone that the member has joined and runs (the
    office names her its owner: its running page lists her with the hours form), and a
    draft: their ids."""
    deadline = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    made = []
    for title in ({"bg": "Ден на отворените врати", "en": "Open day"}, {"bg": "Пробни изпити", "en": "Mock exams"}):
        created = requests.post(f"{site.url}/api/v1/events/causes", timeout=10,
                                headers={**client(office), "Idempotency-Key": uuid.uuid4().hex}, json={
            "kind": "volunteering", "title": title, "description": {"bg": "Елате.", "en": "Do come."},
            "audience": {"kind": "all"}, "deadline": deadline, "owner_id": member_id,
            "roles": [{"title": {"bg": "Екскурзовод", "en": "Guide"}, "slots": 2,
                       "what_to_bring": {"bg": "Удобни обувки.", "en": "Comfortable shoes."}}]})
        assert created.status_code == 201, created.text
        made.append(created.json())
    cause = made[0]
    published_cause = requests.post(f"{site.url}/api/v1/events/causes/{cause['id']}/publish", timeout=10,
                                    headers=client(office))
    assert published_cause.status_code == 200, published_cause.text
    role_id = cause["roles"][0]["role_id"]
    wait_for(lambda: requests.post(
        f"{site.url}/api/v1/events/causes/{cause['id']}/roles/{role_id}/volunteers", json={}, timeout=10,
        headers={**client(own), "Idempotency-Key": uuid.uuid4().hex}).status_code in (201, 409),
        timeout_s=30, message="the member joins the cause's role (once events knows she is verified)")
    return cause["id"], made[1]["id"]


def ambassador_of(site, admin, office: dict, own: dict, member: dict) -> dict:
    """The member becomes an ambassador for India, listed in the finder, with a contact the
    office assigned; another member's application waits for the office. Their ids."""
    applied = requests.post(f"{site.url}/api/v1/members/ambassadors/applications", timeout=10, headers=client(own),
                            json={"motivation": "Искам да помагам на студенти от Индия.", "countries": ["IN"],
                                  "cities": ["Mumbai"], "languages": ["en", "bg"], "faculty": "medicine"})
    assert applied.status_code == 201, applied.text
    appointed = requests.post(f"{site.url}/api/v1/members/ambassadors/applications/"
                              f"{applied.json()['application_id']}/appoint", timeout=10, headers=client(office), json={})
    assert appointed.status_code in (200, 201), appointed.text
    listed = requests.patch(f"{site.url}/api/v1/members/me/ambassador", timeout=10, headers=client(own), json={
        "listed": True, "public_fields": ["given_name", "regions", "languages", "bio"],
        "bio": {"bg": "Завърших медицина в Пловдив.", "en": "I studied medicine in Plovdiv."}})
    assert listed.status_code == 200, listed.text
    mine = requests.get(f"{site.url}/api/v1/members/me/ambassador", timeout=10, headers=client(own))
    assert mine.status_code == 200, mine.text
    assigned = requests.post(f"{site.url}/api/v1/members/ambassadors/{member['id']}/contacts", timeout=10,
                             headers=client(office), json={"name": "Rahul", "kind": "prospective_student",
                                                           "country": "IN", "language": "en",
                                                           "note": "Wants to know about the English programme."})
    assert assigned.status_code == 201, assigned.text
    other = verified_member(site, admin, "en", graduation_year=2015)
    waiting = requests.post(f"{site.url}/api/v1/members/ambassadors/applications", timeout=10,
                            headers=client(site.bearer(other["email"], other["password"])),
                            json={"motivation": "I live in Berlin.", "countries": ["DE"], "cities": [],
                                  "languages": ["de"], "faculty": "medicine"})
    assert waiting.status_code == 201, waiting.text
    return {"public_id": mine.json()["ambassador"]["public_id"], "contact_id": assigned.json()["contact_id"],
            "application_id": waiting.json()["application_id"]}


def published(site, office: dict, event: dict) -> str:
    created = requests.post(f"{site.url}/api/v1/events", json=event, timeout=10,
                            headers={**client(office), "Idempotency-Key": uuid.uuid4().hex})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert requests.post(f"{site.url}/api/v1/events/{event_id}/publish", headers=client(office),
                         timeout=10).status_code == 200
    return event_id


def pages_for(visitor: str) -> list[str]:
    return sorted(rule for (method, rule), who in ACCESS.items()
                  if method == "GET" and rule not in NOT_PAGES and VISITOR[who] == visitor)


def fill(rule: str, ids: dict) -> str:
    ids = {**ids, **{name: ids[other] for name, other in RENAMED.get(rule, {}).items()}}

    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        assert name in ids, f"{rule}: teach tests/browser/test_every_page.py a value for <{name}>"
        return str(ids[name])
    return re.sub(r"<([^>]+)>", value, rule + QUERIES.get(rule, ""))


def status_of(site, browser, path: str) -> int:
    """The page's HTTP status, asked again with the browser's own cookies (Selenium cannot tell)."""
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    return requests.get(site.url + path, cookies=cookies, allow_redirects=False, timeout=15,
                        headers={"X-Forwarded-For": next_address()}).status_code


@pytest.mark.parametrize("lang", ["bg", "en"])
@pytest.mark.parametrize("visitor", ["anyone", "member", "admin"])
def test_every_page_passes_axe_fits_360_px_and_speaks_the_language(site, browser, world, visitor, lang):
    if visitor == "member":
        site.log_in(browser, world["member"]["email"], world["member"]["password"], lang=lang)
    elif visitor == "admin":
        site.log_in(browser, *world["admin"], lang=lang)
    site.open(browser, "/", lang=lang)  # the switch, after the login: this test's language wins
    failures = []
    for rule in pages_for(visitor):
        path = fill(rule, world["ids"][visitor])
        browser.get(site.url + path)
        try:
            status = status_of(site, browser, path)
            assert status == 200, f"answered {status}"
            assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang, "another language"
            assert browser.find_elements(By.CSS_SELECTOR, "main h1"), "no heading"
            check_axe(browser)
            check_fits(browser, 360)
        except AssertionError as failure:
            failures.append(f"{path}: {failure}")
    if (visitor, lang) in SCREENSHOTS:
        rule, name = SCREENSHOTS[(visitor, lang)]
        browser.get(site.url + fill(rule, world["ids"][visitor]))
        _screenshot(browser, name)
    assert not failures, f"{len(failures)} of {len(pages_for(visitor))} pages as {visitor} in {lang}:\n" + "\n".join(failures)


def _screenshot(browser, name: str) -> None:
    folder = Path(os.environ.get("ALUMNET_SCREENSHOTS") or ".test-artifacts/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, 900)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 600), 1400))
    browser.save_screenshot(str(folder / name))

"""The survey pages against the real members service (its app under Flask's test client on
the session's local store, its clock fixed): what the office's and the members' pages send is
what the surveys API takes, and what it answers is what the pages show. Only what is not
the surveys API is faked: the login, the page header's member look-up and the segment list.

The office builds a named survey in the builder (a text filling the employer, a single choice
with "other", an NPS scale, a yes/no filling open_to_volunteer, a question shown only after a
yes), previews it in both languages and opens it. Maria answers it on the member pages a
section at a time (her draft is kept and resumed; a 422 lands beside its question), submits,
and accepts the profile changes her answers propose. Petar answers through the invitation's
personal link without logging in (and declines his proposal). The office reads the counts, percentages, NPS, a breakdown
by faculty, the free texts and the CSV export. An anonymous survey with fewer than five
respondents shows none of its answers; a draft whose close is past is not opened.
"""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from frontends.portal.app import create_app as create_portal
from frontends.portal.settings import PortalSettings
from shared import surveylink
from tests.conftest import LINK_KEY
from tests.unit.portal.conftest import csrf_token, log_in
from tests.unit.portal.bridge import Bridge
from tests.unit.surveys.conftest import SURVEYS, clock, definition  # noqa: F401  (the members app's clock)

ADMIN = "a" * 32
SOFIA = ZoneInfo("Europe/Sofia")
_REAL = re.compile(r"^/api/v1/members/(me/)?surveys(/|\Z)")


def text(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def client(app):
    """The members app's test client (the portal's conftest means the portal's by this name);
    ``people`` makes the members through it."""
    return app.test_client()


@pytest.fixture
def portal(app, clock):
    bridge = Bridge(app.test_client(), lambda path: bool(_REAL.match(path)))
    settings = PortalSettings(api_url=bridge.base_url, session_key=Fernet.generate_key().decode(), dev_mode=False,
                              api_timeout_s=5, trusted_proxies=1, dev_outbox_dir="/nonexistent")
    made = create_portal(settings, transport=bridge)
    made.bridge = bridge
    bridge.on("GET", "/api/v1/members/segments", 200, {"items": [], "page": 1, "per_page": 100, "total": 0})
    return made


def browser_of(portal, issue_token, member_id: str | None, roles=("alumnus",), given_name="Maria"):
    """A browser on the portal, logged in as ``member_id`` with a token the members app trusts
    (None: not logged in)."""
    browser = portal.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if member_id is not None:
        log_in(browser, portal.bridge, member_id=member_id, roles=roles, given_name=given_name)
        with browser.session_transaction() as session:
            session["auth"] = {**session["auth"], "access_token": issue_token(member_id, *roles)}
    return browser


def local(moment) -> str:
    return moment.astimezone(SOFIA).strftime("%Y-%m-%dT%H:%M")


def builder_form(now) -> dict:
    """The builder's fields (named by the API's paths) of the survey the office makes."""
    s0, s1 = "sections.0", "sections.1"
    q = lambda s, j: f"{s}.questions.{j}"  # noqa: E731
    return {
        "title.bg": "Къде сте днес?", "title.en": "Where are you today?",
        "description.bg": "Пет минути.", "description.en": "Five minutes.",
        "opens_at": local(now - timedelta(hours=1)), "closes_at": local(now + timedelta(days=14)),
        "audience.kind": "everyone",
        f"{s0}.id": "work", f"{s0}.title.bg": "Работа", f"{s0}.title.en": "Work",
        f"{q(s0, 0)}.id": "employer", f"{q(s0, 0)}.kind": "text", f"{q(s0, 0)}.text.bg": "Къде работите?",
        f"{q(s0, 0)}.text.en": "Where do you work?", f"{q(s0, 0)}.required": "on", f"{q(s0, 0)}.maps_to": "employer",
        f"{q(s0, 1)}.id": "heard", f"{q(s0, 1)}.kind": "single_choice", f"{q(s0, 1)}.text.bg": "Откъде научихте?",
        f"{q(s0, 1)}.text.en": "How did you hear of us?", f"{q(s0, 1)}.other": "on",
        f"{q(s0, 1)}.choices.0.id": "email", f"{q(s0, 1)}.choices.0.text.bg": "Имейл",
        f"{q(s0, 1)}.choices.0.text.en": "Email",
        f"{q(s0, 1)}.choices.1.id": "friend", f"{q(s0, 1)}.choices.1.text.bg": "Приятел",
        f"{q(s0, 1)}.choices.1.text.en": "A friend",
        f"{s1}.id": "us", f"{s1}.title.bg": "Ние", f"{s1}.title.en": "Us",
        f"{q(s1, 0)}.id": "nps", f"{q(s1, 0)}.kind": "scale", f"{q(s1, 0)}.scale": "nps",
        f"{q(s1, 0)}.text.bg": "Бихте ли ни препоръчали?", f"{q(s1, 0)}.text.en": "Would you recommend us?",
        f"{q(s1, 1)}.id": "volunteer", f"{q(s1, 1)}.kind": "yes_no", f"{q(s1, 1)}.text.bg": "Ще помагате ли?",
        f"{q(s1, 1)}.text.en": "Will you volunteer?", f"{q(s1, 1)}.maps_to": "open_to_volunteer",
        f"{q(s1, 2)}.id": "how", f"{q(s1, 2)}.kind": "text", f"{q(s1, 2)}.text.bg": "С какво?",
        f"{q(s1, 2)}.text.en": "How would you help?", f"{q(s1, 2)}.show_if.question": "volunteer",
        f"{q(s1, 2)}.show_if.operator": "equals", f"{q(s1, 2)}.show_if.value": "yes",
    }


def hidden(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', html)


class Answering:
    """A member's browser on the answering page: each ``send`` posts the page last shown
    with the given answers and button, as a browser would."""

    def __init__(self, browser, survey_id: str, token: str = ""):
        self.browser, self.survey_id, self.token = browser, survey_id, token
        self.path = f"/surveys/{survey_id}/answer"
        self.page = self.open()

    def open(self):
        self.page = self.browser.get(self.path + (f"?t={self.token}" if self.token else ""))
        return self.page

    def send(self, answers: dict, action: str = "next"):
        html = text(self.page)
        form = {"csrf_token": hidden(html, "csrf_token")[0], "step": hidden(html, "step")[0],
                "shown": hidden(html, "shown"), "action": action, **answers}
        if self.token:
            form["t"] = self.token
        kept = hidden(html, "kept")
        if kept:
            form["kept"] = kept[0].replace("&#34;", '"').replace("&quot;", '"')
        if hidden(html, "key"):
            form["key"] = hidden(html, "key")[0]
        self.page = self.browser.post(self.path, data=form)
        return self.page


def test_a_named_survey_from_the_builder_to_its_results(portal, app, client, people, issue_token, clock):
    members_db = app.extensions["alumnet"].store.db
    maria = people.verified(given_name="Мария", faculty="medicine", graduation_year=2010, employer="Аптека")
    petar = people.verified(given_name="Петър", faculty="pharmacy", graduation_year=2012)
    office = browser_of(portal, issue_token, ADMIN, roles=("admin",), given_name="Office")

    # Built in the builder: a structure button first (nothing saved), then saved as a draft.
    form = builder_form(clock())
    token = csrf_token(office, "/office/surveys/new")
    more = office.post("/office/surveys/new", data={**form, "csrf_token": token, "action": "add_question:1"})
    assert more.status_code == 200 and 'name="sections.1.questions.3.id"' in text(more)
    assert members_db.surveys.count_documents({}) == 0
    saved = office.post("/office/surveys/new", data={**form, "csrf_token": token, "action": "save",
                                                      "idempotency_key": "k" * 32})
    assert saved.status_code == 302, text(saved)
    survey_path = saved.headers["Location"]
    survey_id = survey_path.rsplit("/", 1)[1]
    stored = members_db.surveys.find_one({"_id": survey_id})
    assert stored["status"] == "draft" and stored["title"]["en"] == "Where are you today?"
    asked = {q["id"]: q for s in stored["sections"] for q in s["questions"]}
    assert asked["employer"]["maps_to"] == "employer" and asked["heard"]["other"] is True
    assert asked["volunteer"]["maps_to"] == "open_to_volunteer" and asked["nps"]["scale"] == "nps"
    assert asked["how"]["show_if"] == {"question": "volunteer", "equals": True}

    # Edited: refusals of the real API land beside their fields; a good edit is saved.
    edit = f"{survey_path}/edit"
    bad = {**form, "sections.0.questions.1.choices.1.text.en": ""}
    refused = office.post(edit, data={**bad, "csrf_token": csrf_token(office, edit), "action": "save"})
    assert refused.status_code == 422, text(refused)
    assert re.search(r'id="f-sections-0-questions-1-choices-1-text-en-error-1"', text(refused))
    bad = {**form, "sections.1.questions.2.show_if.question": "nope"}
    refused = office.post(edit, data={**bad, "csrf_token": csrf_token(office, edit), "action": "save"})
    assert refused.status_code == 422, text(refused)
    assert 'href="#f-sections-1-questions-2"' in text(refused)   # the condition's question's block
    assert "The condition may only look at an earlier question" in text(refused)
    edited = office.post(edit, data={**form, "title.en": "Where are you now?", "csrf_token": csrf_token(office, edit),
                                     "action": "save"})
    assert edited.status_code == 302, text(edited)
    assert members_db.surveys.find_one({"_id": survey_id})["title"]["en"] == "Where are you now?"
    listing = text(office.get("/office/surveys"))
    assert "Where are you now?" in listing and "Draft" in listing

    # Previewed in both languages, then opened.
    preview = text(office.get(f"{survey_path}/preview"))
    assert "Where do you work?" in preview and "Къде работите?" in preview and "С какво?" in preview
    in_bulgarian = text(office.get(f"{survey_path}/preview?lang=bg"))
    assert "Къде работите?" in in_bulgarian and "Where do you work?" not in in_bulgarian
    opening = office.post(f"{survey_path}/open", data={"csrf_token": csrf_token(office, f"{survey_path}/open")})
    assert opening.status_code == 302, text(opening)
    assert members_db.surveys.find_one({"_id": survey_id})["status"] == "open"
    assert "Open" in text(office.get(survey_path))

    # Maria, logged in: the first section, then later; her draft is kept and resumed.
    me = browser_of(portal, issue_token, maria["id"])
    assert "Where are you now?" in text(me.get("/surveys"))
    answering = Answering(me, survey_id)
    assert "Where do you work?" in text(answering.page)
    later = answering.send({"a.employer": "УМБАЛ Пълмед", "a.heard": "_other", "a.heard.other": "Фейсбук"},
                           action="later")
    assert later.status_code == 302
    assert client.get(f"{SURVEYS}/{survey_id}/response", headers=maria["headers"]).get_json()["status"] == "draft"
    resumed = text(answering.open())
    # Resumed where a question is still unanswered: the second section; Back shows the first kept.
    assert "Welcome back" in resumed and "Section 2 of 2" in resumed and "2 of 4 questions answered" in resumed
    back = text(answering.send({}, action="back"))
    assert ">УМБАЛ Пълмед</textarea>" in back and 'value="Фейсбук"' in back
    assert "Would you recommend us?" in text(answering.send({"a.employer": "УМБАЛ Пълмед", "a.heard": "_other",
                                                              "a.heard.other": "Фейсбук"}))
    # An NPS of 11 is refused by the API, beside its question.
    refused = answering.send({"a.nps": "11", "a.volunteer": "no"})
    assert refused.status_code == 400
    block = re.search(r'id="q-nps-block".*?</div>', text(refused), re.S).group(0)
    assert "invalid" in block and "Choose a number from 0 to 10." in block
    assert "How would you help?" not in text(refused)
    # Yes opens the question shown only then, on the same page.
    opened = answering.send({"a.nps": "9", "a.volunteer": "yes"})
    assert "Your answers opened more questions on this page." in text(opened) and "How would you help?" in text(opened)
    submitted = answering.send({"a.nps": "9", "a.volunteer": "yes", "a.how": "Менторство"}, action="submit")
    assert submitted.status_code == 302, text(submitted)

    # The review: old → new, accepted, and the profile changed.
    review_path = f"/surveys/{survey_id}/review"
    assert submitted.headers["Location"].endswith(review_path)
    review = text(me.get(review_path))
    assert "Аптека" in review and "УМБАЛ Пълмед" in review
    assert 'name="d.employer"' in review and 'name="d.open_to_volunteer"' in review
    decided = me.post(review_path, data={"csrf_token": csrf_token(me, review_path), "d.employer": "accept",
                                         "d.open_to_volunteer": "accept"})
    assert decided.status_code == 200, text(decided)
    assert "Employer: <strong>УМБАЛ Пълмед</strong>" in text(decided)
    assert "Open to volunteering: <strong>Yes</strong>" in text(decided)
    profile = client.get(f"/api/v1/members/{maria['id']}", headers=maria["headers"]).get_json()
    assert profile["employer"] == "УМБАЛ Пълмед" and profile["open_to_volunteer"] is True

    # Her answers may be changed until the close: the list says so; a new submission replaces them.
    listing = text(me.get("/surveys"))
    assert "5 questions" in listing and "Submitted" in listing and "Change my answers" in listing
    changing = Answering(me, survey_id)
    assert "You may change them until the survey closes." in text(changing.page)
    changing.send({"a.employer": "УМБАЛ Пълмед", "a.heard": "_other", "a.heard.other": "Фейсбук"})
    resubmitted = changing.send({"a.nps": "9", "a.volunteer": "yes", "a.how": "Менторство и лекции"},
                                action="submit")
    assert resubmitted.status_code == 302 and "/thanks" in resubmitted.headers["Location"], text(resubmitted)
    answers = client.get(f"{SURVEYS}/{survey_id}/response", headers=maria["headers"]).get_json()["answers"]
    assert answers["how"] == "Менторство и лекции" and answers["nps"] == 9

    # Petar, through the invitation's personal link, not logged in.
    link = surveylink.make_token(LINK_KEY, petar["id"], survey_id, clock())
    stranger = browser_of(portal, issue_token, None)
    by_link = Answering(stranger, survey_id, token=link)
    assert by_link.page.status_code == 200 and "Where do you work?" in text(by_link.page)
    # The required employer left blank: the draft takes it, the submission does not, beside the question.
    by_link.send({"a.heard": "email"})
    missing = by_link.send({"a.nps": "5", "a.volunteer": "no"}, action="submit")
    assert missing.status_code == 400 and "Section 1 of 2" in text(missing)
    block = re.search(r'id="q-employer-block".*?</div>', text(missing), re.S).group(0)
    assert "invalid" in block and "This question needs an answer." in block
    by_link.send({"a.employer": "Софарма", "a.heard": "email"})
    review_by_link = text(by_link.send({"a.nps": "5", "a.volunteer": "no"}, action="submit"))
    # His employer is proposed on the same page (the token stays out of addresses); he declines it.
    assert "Софарма" in review_by_link and f'name="t" value="{link}"' in review_by_link
    declined = stranger.post(review_path, data={"csrf_token": hidden(review_by_link, "csrf_token")[0], "t": link,
                                                "d.employer": "decline"})
    assert declined.status_code == 200, text(declined)
    assert client.get(f"/api/v1/members/{petar['id']}", headers=petar["headers"]).get_json().get("employer") is None
    assert client.get(f"{SURVEYS}/{survey_id}/response", headers=petar["headers"]).get_json()["status"] == "submitted"

    # A third respondent, straight through the API: the results have something to divide.
    third = people.verified(given_name="Иван", faculty="medicine", graduation_year=2010)
    response = client.post(f"{SURVEYS}/{survey_id}/response/submit", headers=third["headers"], json={"answers": {
        "employer": "МУ Пловдив", "heard": {"choices": ["email"]}, "nps": 10, "volunteer": True, "how": "Лекции"}})
    assert response.status_code == 200, response.get_json()

    results = text(office.get(f"{survey_path}/results"))
    assert "<dt>Respondents</dt><dd>3</dd>" in results
    # Ivan was verified after the opening: 3 of an audience of 2 counted then is 100%, as the API says.
    assert "<dt>Response rate</dt><dd>100.0%</dd>" in results
    assert "<dt>Respondents</dt><dd>3 (100%)</dd>" in text(office.get(survey_path))
    # Shares are the API's percentages as they are (not ×100): email 2 of 3, a friend none.
    assert re.search(r'<th scope="row">Email</th>\s*<td>2</td><td>66.7%</td>', results)
    assert re.search(r'<th scope="row">A friend</th>\s*<td>0</td><td>0.0%</td>', results)
    assert "1 answer in their own words" in results
    # NPS: 9 and 10 promote, 5 detracts: (2 - 1) / 3 = 33; the mean of 5, 9, 10 is 8.
    assert "<dt>Net Promoter Score</dt><dd>33</dd>" in results and "<dt>Mean</dt><dd>8</dd>" in results
    assert re.search(r'<th scope="row">9</th>\s*<td>1</td><td>33.3%</td>', results)
    assert re.search(r'<th scope="row">Yes</th>\s*<td>2</td><td>66.7%</td>', results)
    assert 'href="/office/segments/new?open_to_volunteer=yes"' in results
    by_faculty = text(office.get(f"{survey_path}/results?by=faculty"))
    assert "By faculty" in by_faculty and "hidden-groups" not in by_faculty
    assert "Faculty of Medicine (2 respondents)" in by_faculty and "Faculty of Pharmacy (1 respondent)" in by_faculty

    assert "Менторство и лекции" in text(office.get(f"{survey_path}/results/texts/how"))
    texts_page = text(office.get(f"{survey_path}/results/texts/employer"))
    assert "УМБАЛ Пълмед" in texts_page and "Софарма" in texts_page and "МУ Пловдив" in texts_page
    other_texts = text(office.get(f"{survey_path}/results/texts/heard"))
    assert "Фейсбук" in other_texts and "“Other”" in other_texts
    assert clock().astimezone(SOFIA).date().isoformat() in other_texts

    export = office.get(f"{survey_path}/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    body = export.get_data()
    assert body.startswith("\ufeff".encode())
    rows = body.decode("utf-8-sig").strip().split("\r\n")
    assert len(rows) == 4 and "employer: Къде работите?" in rows[0]
    assert any("УМБАЛ Пълмед" in row and maria["id"] in row and "Фейсбук" in row for row in rows[1:])

    # Closed through the portal; closing again is refused with the page's words.
    close = f"{survey_path}/close"
    assert office.post(close, data={"csrf_token": csrf_token(office, close)}).status_code == 302
    assert members_db.surveys.find_one({"_id": survey_id})["status"] == "closed"
    again = office.post(close, data={"csrf_token": csrf_token(office, survey_path)})
    assert again.status_code == 409 and "Only an open survey can be closed." in text(again)
    # Once closed, the personal link and the answering page say so.
    late = stranger.get(f"/surveys/{survey_id}/answer?t={link}")
    assert late.status_code == 403 and "This link does not work" in text(late)
    assert "or the survey has closed" in text(late)
    gone = me.get(f"/surveys/{survey_id}/answer")
    assert gone.status_code == 404 and "no longer open" in text(gone)


def test_an_anonymous_survey_with_few_respondents_shows_no_answers(portal, app, client, people, issue_token,
                                                                    clock, admin_headers):
    survey = client.post(SURVEYS, json=definition(anonymous=True, now=clock()), headers=admin_headers).get_json()
    assert client.post(f"{SURVEYS}/{survey['id']}/open", headers=admin_headers).status_code == 200
    for n in range(2):
        member = people.verified(faculty="medicine")
        response = client.post(f"{SURVEYS}/{survey['id']}/response/submit", headers=member["headers"],
                               json={"answers": {"works": False, "nps": 9, "comment": f"Бележка {n}"}})
        assert response.status_code == 200, response.get_json()
    # A third answers on the member pages: once submitted, it is final.
    third = people.verified(faculty="pharmacy")
    me = browser_of(portal, issue_token, third["id"])
    answering = Answering(me, survey["id"])
    answering.send({"a.works": "no", "a.nps": "7"})
    done = answering.send({"a.comment": "Анонимно"}, action="submit")
    assert done.status_code == 302 and "anonymous=1" in done.headers["Location"], text(done)
    assert "Thank you for taking part." in text(me.get("/surveys"))
    again = text(Answering(me, survey["id"]).page)
    assert 'name="a.works"' not in again and "You have already answered" in again
    office = browser_of(portal, issue_token, ADMIN, roles=("admin",), given_name="Office")
    page = text(office.get(f"/office/surveys/{survey['id']}/results"))
    assert "<dt>Respondents</dt><dd>3</dd>" in page
    assert 'id="totals-hidden"' in page and "Fewer than five people have answered" in page
    assert "Recommend us?" not in page and "No answers yet." not in page
    grouped = text(office.get(f"/office/surveys/{survey['id']}/results?by=faculty"))
    assert "not shown" in grouped


def test_opening_a_draft_whose_close_is_past_is_refused_in_the_office_words(portal, client, issue_token, clock,
                                                                            admin_headers):
    body = definition(now=clock(), opens_in=timedelta(days=-3), closes_in=timedelta(hours=-1))
    draft = client.post(SURVEYS, json=body, headers=admin_headers)
    assert draft.status_code == 201, draft.get_json()
    office = browser_of(portal, issue_token, ADMIN, roles=("admin",), given_name="Office")
    opening = f"/office/surveys/{draft.get_json()['id']}/open"
    refused = office.post(opening, data={"csrf_token": csrf_token(office, opening)})
    assert refused.status_code == 422 and "This time is already past." in text(refused)

"""Page tests of the members' survey pages: the surveys for me, answering a section at a page
with a draft saved at every step, resuming, the API's refusals (422 beside the questions, 409
closed), the personal link without login, and reviewing the proposed profile changes."""
from __future__ import annotations

import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from frontends.portal import survey_answers
from frontends.portal.session import COOKIE_NAME
from frontends.portal.surveys import visibility
from services.members.surveys import rules
from tests.unit.portal.conftest import csrf_token, log_in

SURVEY_ID = "0123456789abcdef0123456789abcdef"
SURVEY = f"/api/v1/members/surveys/{SURVEY_ID}"
RESPONSE = f"{SURVEY}/response"
SUBMIT = f"{RESPONSE}/submit"
PROPOSALS = f"{SURVEY}/proposals"
MINE = "/api/v1/members/me/surveys"
TOKEN = "eyJ2IjoxLCJtIjoibS05Iiwicy.c2lnbmF0dXJlLW9mLXRoZS1saW5r"
ANSWER = f"/surveys/{SURVEY_ID}/answer"
LAST = ["hours", "nps", "country", "club"]  # the questions of the last section
REVIEW = f"/surveys/{SURVEY_ID}/review"


def bilingual(en: str, bg: str | None = None) -> dict:
    return {"en": en, "bg": bg or f"{en} (bg)"}


def survey(**changes) -> dict:
    """Three sections; the employer is asked only of those who work, the mentoring section
    only of those who work too."""
    working = {"question": "working", "equals": True}
    return {
        "id": SURVEY_ID, "status": "open", "title": bilingual("Alumni 2026", "Випускници 2026"),
        "description": bilingual("Ten minutes about you."), "anonymous": False,
        "opens_at": "2026-12-01T08:00:00+00:00", "closes_at": "2027-01-31T22:00:00+00:00",
        "sections": [
            {"id": "work", "title": bilingual("Your work"), "questions": [
                {"id": "working", "kind": "yes_no", "text": bilingual("Do you work in medicine?"), "required": True},
                {"id": "employer", "kind": "text", "text": bilingual("Where?"), "show_if": working,
                 "maps_to": "employer"}]},
            {"id": "mentoring", "title": bilingual("Mentoring"), "show_if": working, "questions": [
                {"id": "mentor", "kind": "yes_no", "text": bilingual("Would you mentor a student?"),
                 "maps_to": "open_to_mentoring"},
                {"id": "topics", "kind": "multiple_choice", "text": bilingual("On what?"), "other": True,
                 "choices": [{"id": "career", "text": bilingual("Career")},
                             {"id": "research", "text": bilingual("Research")}]}]},
            {"id": "about", "title": bilingual("About you"), "questions": [
                {"id": "hours", "kind": "number", "text": bilingual("Hours a week for the club?"),
                 "minimum": 0, "maximum": 40},
                {"id": "nps", "kind": "scale", "scale": "nps", "text": bilingual("Recommend the club?"),
                 "required": True},
                {"id": "country", "kind": "country", "text": bilingual("Where do you live?")},
                {"id": "club", "kind": "single_choice", "text": bilingual("Best part?"), "other": True,
                 "choices": [{"id": "events", "text": bilingual("Events")},
                             {"id": "people", "text": bilingual("People")}]}]}],
        **changes}


def response(status: str = "new", answers: dict | None = None, **more) -> dict:
    return {"status": status, "answers": answers or {}, "saved_at": "2026-12-03T10:00:00+00:00" if status == "draft"
            else None, "submitted_at": "2026-12-03T11:00:00+00:00" if status == "submitted" else None,
            "editable": True, **more}


def text(reply) -> str:
    return reply.get_data(as_text=True)


def form(client, path: str = ANSWER, **fields) -> MultiDict:
    data = MultiDict({"csrf_token": csrf_token(client, path if "?" in path or client is None else path)})
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(name.replace("__", "."), item)
    return data


@pytest.fixture
def answering(client, gateway):
    """A verified member; the API holds the survey and no response of theirs yet."""
    log_in(client, gateway, status="verified")
    gateway.on("GET", SURVEY, 200, survey())
    gateway.on("GET", RESPONSE, 200, response())
    gateway.on("PUT", RESPONSE, 200, response("draft"))  # the API echoes the saved draft
    return client


def saved(gateway) -> dict:
    return gateway.sent("PUT", RESPONSE)[-1].json["answers"]


# --------------------------------------------------------------------------- surveys for me

def test_the_list_shows_each_survey_with_its_close_length_and_my_status(client, gateway):
    log_in(client, gateway, status="verified")
    gateway.on("GET", MINE, 200, {"items": [
        {"id": SURVEY_ID, "title": bilingual("Alumni 2026"), "description": bilingual("Ten minutes."),
         "closes_at": "2027-01-31T22:00:00+00:00", "anonymous": False, "questions": 8, "my_status": "new"},
        {"id": "f" * 32, "title": bilingual("Club life"), "closes_at": "2027-01-10T22:00:00+00:00",
         "anonymous": True, "questions": 1, "my_status": "draft"},
        {"id": "e" * 32, "title": bilingual("Done one"), "closes_at": "2027-01-10T22:00:00+00:00",
         "anonymous": True, "questions": 3, "my_status": "submitted"}]})
    page = text(client.get("/surveys"))
    assert "Alumni 2026" in page and "8 questions" in page and "1 question" in page
    assert "Open until February 1, 2027, 12:00\u202fAM" in page  # Sofia time
    assert f'href="{ANSWER}">Start' in page and f'href="/surveys/{"f" * 32}/answer">Continue' in page
    assert "Anonymous: your answers are not linked to you." in page and "Thank you for taking part." in page
    assert "Not started" in page and "Draft saved" in page and "Submitted" in page
    assert gateway.sent("GET", MINE)[0].headers["Authorization"] == "Bearer access-m-1"
    assert 'href="/surveys"' in page  # the main navigation


def test_an_unverified_member_is_told_why_there_are_no_surveys(client, gateway):
    log_in(client, gateway, status="pending_verification")
    gateway.problem("GET", MINE, 403, "forbidden", "Verified members only.")
    reply = client.get("/surveys")
    assert reply.status_code == 200 and "once the alumni office has verified" in text(reply)


def test_visitors_are_sent_to_log_in(client, gateway):
    reply = client.get(ANSWER)
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login?")
    assert gateway.calls == []


def test_home_offers_the_surveys_i_have_not_submitted(client, gateway):
    log_in(client, gateway, status="verified")
    gateway.on("GET", "/api/v1/events", 200, {"items": [], "total": 0})
    gateway.on("GET", "/api/v1/events/registrations/mine", 200, {"items": [], "total": 0})
    gateway.on("GET", MINE, 200, {"items": [
        {"id": SURVEY_ID, "title": bilingual("Alumni 2026"), "closes_at": "2027-01-31T22:00:00+00:00",
         "anonymous": True, "questions": 8, "my_status": "draft"},
        {"id": "e" * 32, "title": bilingual("Done one"), "closes_at": "2027-01-10T22:00:00+00:00",
         "anonymous": False, "questions": 3, "my_status": "submitted"}]})
    calls = text(client.get("/")).split('id="h-calls"')[1]
    assert "Alumni 2026" in calls and f'href="{ANSWER}"' in calls and "8 questions · anonymous" in calls
    assert "Continue" in calls and "Done one" not in calls and 'href="/surveys"' in calls


# --------------------------------------------------------------------------- answering

def test_the_first_page_shows_the_first_section_progress_and_no_hidden_question(answering, gateway):
    page = text(answering.get(ANSWER))
    assert "Alumni 2026" in page and "Ten minutes about you." in page
    assert "Section 1 of 2" in page  # the mentoring section waits for "I work in medicine"
    assert "0 of 5 questions answered" in page and '<progress max="5" value="0"' in page
    assert '<legend><span lang="en">Do you work in medicine?</span>' in page and 'name="a.working" value="yes"' in page
    assert "Where?" not in page  # shown only once "working" is answered yes
    assert 'name="step" value="0"' in page and 'name="t"' not in page
    assert gateway.sent("GET", SURVEY)[0].headers["Authorization"] == "Bearer access-m-1"
    assert "This survey is anonymous" not in page


def test_an_answer_that_reveals_a_question_on_the_same_page_shows_the_page_again(answering, gateway):
    page = text(answering.post(ANSWER, data=form(answering, step="0", shown="working", a__working="yes",
                                                  action="next")))
    assert saved(gateway) == {"working": True}
    assert "Your answers opened more questions on this page." in page
    assert "Where?" in page and 'name="step" value="0"' in page and "Section 1 of 3" in page


def test_next_saves_the_draft_and_shows_the_next_section(answering, gateway):
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": True}))
    page = text(answering.post(ANSWER, data=form(
        answering, step="0", shown=["working", "employer"], a__working="yes", a__employer="  Sofia Med  ",
        action="next")))
    assert saved(gateway) == {"working": True, "employer": "Sofia Med"}
    assert "Section 2 of 3" in page and "Would you mentor a student?" in page and 'name="step" value="1"' in page
    assert "2 of 8 questions answered" in page
    assert 'name="a.topics.other"' in page and 'type="checkbox" id="q-topics-career" name="a.topics" value="career"' in page


def test_back_saves_too_and_a_cleared_answer_leaves_the_draft(answering, gateway):
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": True, "mentor": True, "topics": {"choices": ["career"]}}))
    page = text(answering.post(ANSWER, data=form(answering, step="1", shown=["mentor", "topics"],
                                                  a__topics=["research"], a__topics__other="Ethics", action="back")))
    assert saved(gateway) == {"working": True, "topics": {"choices": ["research"], "other": "Ethics"}}
    assert "Section 1 of 3" in page and 'value="yes" checked' in page


def test_a_draft_resumes_at_its_first_unanswered_section(answering, gateway):
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": True, "employer": "Sofia Med", "mentor": False,
                                                        "topics": {"choices": ["career"]}, "hours": 4}))
    page = text(answering.get(ANSWER))
    assert "Welcome back: we kept your draft" in page and "Section 3 of 3" in page
    assert 'name="a.hours" value="4"' in page and "5 of 8 questions answered" in page
    assert 'value="submit">Submit my answers' in page and 'value="back"' in page
    assert re.search(r'name="key" value="[0-9a-f]{32}"', page)


def test_refused_answers_are_shown_beside_their_questions_with_a_summary(answering, gateway):
    gateway.problem("PUT", RESPONSE, 422, "validation", "Check the answers.",
                    errors={"answers": {"hours": ["Must be at most 40."]}})
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": False}))
    reply = answering.post(ANSWER, data=form(answering, step="2", shown=LAST,
                                             a__hours="400", a__nps="9", action="next"))
    page = text(reply)
    assert reply.status_code == 400 and saved(gateway) == {"working": False, "hours": 400, "nps": 9}
    assert 'role="alert"' in page and '<a href="#q-hours">Hours a week for the club?</a>' in page
    assert 'id="q-hours-error-1">Enter at most 40.</p>' in page
    assert 'name="a.hours" value="400"' in page and 'value="9" checked' in page  # what was typed stays


def test_the_last_step_submits_and_goes_to_the_review_of_proposed_changes(answering, gateway):
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": True, "employer": "Sofia Med"}))
    gateway.on("POST", SUBMIT, 200, {"status": "submitted", "submitted_at": "2026-12-05T10:00:00+00:00",
                                     "proposals": [{"field": "employer", "old": None, "new": "Sofia Med",
                                                    "question": "employer", "state": "pending"}]})
    reply = answering.post(ANSWER, data=form(answering, step="2", shown=LAST, key="ab" * 16,
                                             a__nps="10", a__country="bg", a__club="_other",
                                             a__club__other="The library", action="submit"))
    assert reply.status_code == 302 and reply.headers["Location"] == REVIEW
    assert gateway.sent("POST", SUBMIT)[0].json == {"answers": {
        "working": True, "employer": "Sofia Med", "nps": 10, "country": "BG",
        "club": {"choices": [], "other": "The library"}}}
    assert saved(gateway)["nps"] == 10  # the last page's draft is saved before it is submitted
    assert gateway.sent("POST", SUBMIT)[0].headers["Idempotency-Key"] == "ab" * 16  # a double click submits once


def test_a_submission_without_proposals_thanks_the_member(answering, gateway):
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": False}))
    gateway.on("POST", SUBMIT, 200, {"status": "submitted", "submitted_at": "2026-12-05T10:00:00+00:00",
                                     "proposals": []})
    reply = answering.post(ANSWER, data=form(answering, step="2", shown=LAST, a__nps="7", action="submit"))
    assert reply.status_code == 302 and reply.headers["Location"] == f"/surveys/{SURVEY_ID}/thanks"
    assert "Your answers are submitted." in text(answering.get(reply.headers["Location"]))


def test_a_refused_submission_shows_the_first_section_with_a_problem(answering, gateway):
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": False}))
    gateway.problem("POST", SUBMIT, 422, "validation", "Check the answers.",
                    errors={"answers": {"working": ["This question needs an answer."],
                                        "nps": ["Must be a whole number from 0 to 10."]}})
    reply = answering.post(ANSWER, data=form(answering, step="2", shown=LAST, a__nps="7", action="submit"))
    page = text(reply)
    assert reply.status_code == 400 and 'name="step" value="0"' in page
    assert "Some answers need another look" in page
    assert 'href="#q-working"' in page and "Recommend the club? (section: About you)" in page
    assert "This question needs an answer." in page and "Choose a number from 0 to 10." in page


def test_a_closed_survey_is_a_friendly_page(answering, gateway):
    gateway.problem("PUT", RESPONSE, 409, "closed", "The survey is closed.")
    reply = answering.post(ANSWER, data=form(answering, step="0", shown="working", a__working="no"))
    assert reply.status_code == 409 and "This survey is closed" in text(reply)
    gateway.problem("GET", SURVEY, 404, "not-found", "No such survey.")
    reply = answering.get(ANSWER)
    assert reply.status_code == 404 and "not open to you" in text(reply)


def test_save_and_finish_later_keeps_the_draft_and_returns_to_the_list(answering, gateway):
    reply = answering.post(ANSWER, data=form(answering, step="0", shown="working", a__working="no", action="later"))
    assert reply.status_code == 302 and reply.headers["Location"] == "/surveys"
    assert saved(gateway) == {"working": False}


def test_an_anonymous_survey_says_so_and_a_submitted_one_cannot_be_changed(answering, gateway):
    gateway.on("GET", SURVEY, 200, survey(anonymous=True))
    page = text(answering.get(ANSWER))
    assert "This survey is anonymous." in page and "cannot be changed" in page
    gateway.on("GET", RESPONSE, 200, response("submitted", editable=False))
    page = text(answering.get(ANSWER))
    assert "You have already answered" in page and 'name="a.working"' not in page


def test_a_submitted_named_response_is_changed_by_submitting_again_without_drafts(answering, gateway):
    before = {"working": False, "nps": 8}
    gateway.on("GET", RESPONSE, 200, response("submitted", before))
    page = text(answering.get(ANSWER))
    assert "You may change them until the survey closes" in page and 'name="kept"' in page
    kept = json.loads(re.search(r'name="kept" value="([^"]*)"', page).group(1).replace("&#34;", '"'))
    assert kept == before
    gateway.on("POST", SUBMIT, 200, {"status": "submitted", "submitted_at": "2026-12-05T10:00:00+00:00",
                                     "proposals": []})
    answering.post(ANSWER, data=form(answering, step="2", shown=LAST, a__nps="10", action="submit",
                                     kept=json.dumps(kept)))
    assert gateway.sent("PUT", RESPONSE) == []  # the API keeps no draft of a submitted response
    assert gateway.sent("POST", SUBMIT)[0].json == {"answers": {"working": False, "nps": 10}}


def test_the_page_in_bulgarian(answering, gateway):
    answering.get("/language/bg")
    page = text(answering.get(ANSWER))
    assert '<html lang="bg">' in page and "Випускници 2026" in page and "Do you work in medicine? (bg)" in page
    assert "Раздел 1 от 2" in page


# --------------------------------------------------------------------------- the personal link

def test_the_personal_link_works_without_login_and_keeps_its_token_out_of_the_session(client, gateway, portal):
    gateway.on("GET", SURVEY, 200, survey())
    gateway.on("GET", RESPONSE, 200, response())
    gateway.on("PUT", RESPONSE, 200, response("draft"))  # the API echoes the saved draft
    reply = client.get(f"{ANSWER}?t={TOKEN}")
    page = text(reply)
    assert reply.status_code == 200 and reply.headers["Referrer-Policy"] == "no-referrer"
    assert f'<input type="hidden" name="t" value="{TOKEN}">' in page
    assert f'action="{ANSWER}"' in page  # the form's address carries no token
    for call in gateway.calls:
        assert call.headers["X-Survey-Token"] == TOKEN and "Authorization" not in call.headers
    reply = client.post(ANSWER, data=form(client, f"{ANSWER}?t={TOKEN}", t=TOKEN, step="0", shown="working",
                                          a__working="no", action="next"))
    assert reply.status_code == 200 and "Section 2 of 2" in text(reply)
    put = gateway.sent("PUT", RESPONSE)[-1]
    assert put.headers["X-Survey-Token"] == TOKEN and put.json == {"answers": {"working": False}}
    assert f'name="t" value="{TOKEN}"' in text(reply)
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is None or TOKEN not in portal.session_interface.fernet.decrypt(cookie.value.encode()).decode()


def test_a_signed_in_member_holding_a_link_answers_with_the_link_only(answering, gateway):
    answering.get(f"{ANSWER}?t={TOKEN}")
    call = gateway.sent("GET", RESPONSE)[-1]
    assert call.headers["X-Survey-Token"] == TOKEN and "Authorization" not in call.headers


def test_with_the_link_a_submission_shows_the_review_on_the_spot(client, gateway):
    gateway.on("GET", SURVEY, 200, survey())
    gateway.on("GET", RESPONSE, 200, response("draft", {"working": False}))
    gateway.on("PUT", RESPONSE, 200, response("draft"))  # the API echoes the saved draft
    gateway.on("POST", SUBMIT, 200, {"status": "submitted", "submitted_at": "2026-12-05T10:00:00+00:00", "proposals": [
        {"field": "country", "old": "BG", "new": "DE", "question": "country", "state": "pending"}]})
    reply = client.post(ANSWER, data=form(client, f"{ANSWER}?t={TOKEN}", t=TOKEN, step="2", shown=LAST,
                                          a__nps="9", action="submit"))
    page = text(reply)
    assert reply.status_code == 200 and "Thank you: your answers are submitted." in page
    assert "Germany" in page and "Bulgaria" in page and f'name="t" value="{TOKEN}"' in page
    assert gateway.sent("POST", SUBMIT)[0].headers["X-Survey-Token"] == TOKEN


def test_a_link_the_api_refuses_is_explained(client, gateway):
    gateway.problem("GET", SURVEY, 401, "invalid-survey-link",
                    "The personal survey link is not valid: Altered, signed with another key, or expired.",
                    errors={"X-Survey-Token": ["Altered, signed with another key, or expired."]})
    reply = client.get(f"{ANSWER}?t={TOKEN}")
    assert reply.status_code == 403 and "This link does not work" in text(reply)


def test_a_token_that_is_no_token_is_no_link(client, gateway):
    reply = client.get(f"{ANSWER}?t=<script>")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login?") and gateway.calls == []


# --------------------------------------------------------------------------- the review

PENDING = [{"field": "employer", "old": "City Hospital", "new": "Sofia Med", "question": "employer", "state": "pending"},
           {"field": "open_to_mentoring", "old": False, "new": True, "question": "mentor", "state": "pending"},
           {"field": "languages", "old": ["bg"], "new": ["bg", "de"], "question": "langs", "state": "pending"}]


def test_the_review_shows_now_and_proposed_with_accept_preselected(answering, gateway):
    gateway.on("GET", PROPOSALS, 200, {"proposals": PENDING})
    page = text(answering.get(REVIEW))
    assert "City Hospital" in page and "Sofia Med" in page and "Open to mentoring" in page
    assert "Bulgarian, German" in page and "<td data-label=\"Now\">No</td>" in page
    assert page.count('value="accept" checked') == 3 and 'value="decline" checked' not in page


def test_the_review_posts_each_decision_and_confirms_what_changed(answering, gateway):
    gateway.on("GET", PROPOSALS, 200, {"proposals": PENDING})
    gateway.on("POST", PROPOSALS, 200, {"proposals": [  # the API answers every proposal with its state
        {**PENDING[0], "state": "accepted"}, {**PENDING[1], "state": "declined"}, {**PENDING[2], "state": "accepted"}],
        "profile_changed": ["employer", "languages"]})
    page = text(answering.post(REVIEW, data=form(answering, REVIEW, **{
        "d.employer": "accept", "d.open_to_mentoring": "decline", "d.languages": "accept"})))
    assert gateway.sent("POST", PROPOSALS)[0].json == {"decisions": {
        "employer": "accept", "open_to_mentoring": "decline", "languages": "accept"}}
    assert "Your profile now shows:" in page and "Sofia Med" in page
    assert "Kept as they were: Open to mentoring." in page


def test_the_review_with_the_link_sends_its_token(client, gateway):
    gateway.on("GET", SURVEY, 200, survey())
    gateway.on("GET", PROPOSALS, 200, {"proposals": PENDING[:1]})
    gateway.on("POST", PROPOSALS, 200, {"proposals": [{**PENDING[0], "state": "declined"}], "profile_changed": []})
    page = text(client.get(f"{REVIEW}?t={TOKEN}"))
    assert f'name="t" value="{TOKEN}"' in page and f'action="{REVIEW}"' in page
    page = text(client.post(REVIEW, data=form(client, f"{REVIEW}?t={TOKEN}", t=TOKEN, **{"d.employer": "decline"})))
    call = gateway.sent("POST", PROPOSALS)[0]
    assert call.json == {"decisions": {"employer": "decline"}} and call.headers["X-Survey-Token"] == TOKEN
    assert "Your profile has not changed." in page


# --------------------------------------------------------------------------- the pieces

ANSWER_SETS = [{}, {"working": True}, {"working": False, "employer": "x"}, {"working": True, "employer": "x"},
               {"working": True, "mentor": True, "topics": {"choices": ["career"]}, "nps": 3}]


@pytest.mark.parametrize("answers", ANSWER_SETS)
def test_the_portal_hides_what_the_api_hides(answers):
    definition = survey()
    assert visibility.visible_questions(definition, answers) == rules.visible_questions(definition, answers)


@pytest.mark.parametrize("condition,answers", [
    ({"question": "n", "at_least": 5}, {"n": 5}), ({"question": "n", "at_most": 4}, {"n": 5}),
    ({"question": "n", "answered": False}, {}), ({"question": "c", "one_of": ["a", "b"]}, {"c": {"choices": ["b"]}}),
    ({"question": "y", "equals": 1}, {"y": True}), ({"any": [{"question": "n", "equals": 2}, {"all": []}]}, {"n": 1})])
def test_conditions_hold_as_the_api_says(condition, answers):
    assert visibility.holds(condition, answers) == rules.holds(condition, answers)


def test_answers_survive_the_form_both_ways():
    definition = survey()
    answers = {"working": True, "employer": "Sofia Med", "topics": {"choices": ["career", "research"], "other": "Ethics"},
               "hours": 2.5, "nps": 0, "country": "BG", "club": {"choices": [], "other": "The library"}, "mentor": False}
    fields = MultiDict([(name, v) for name, values in survey_answers.form_from_answers(definition, answers).items()
                        for v in (values if isinstance(values, list) else [values])])
    back = survey_answers.answers_from_form(definition, fields)
    assert {k: v for k, v in back.items() if v is not None} == answers


def test_a_number_that_is_no_number_goes_as_typed_and_a_decimal_comma_is_read():
    question = {"id": "hours", "kind": "number"}
    assert survey_answers.answer_from_form(question, MultiDict({"a.hours": "3,5"})) == 3.5
    assert survey_answers.answer_from_form(question, MultiDict({"a.hours": "lots"})) == "lots"
    assert survey_answers.answer_from_form(question, MultiDict({"a.hours": " "})) is None


def test_with_the_link_finishing_later_says_how_to_come_back(client, gateway):
    gateway.on("GET", SURVEY, 200, survey())
    gateway.on("GET", RESPONSE, 200, response())
    gateway.on("PUT", RESPONSE, 200, response("draft"))  # the API echoes the saved draft
    reply = client.post(ANSWER, data=form(client, f"{ANSWER}?t={TOKEN}", t=TOKEN, step="0", shown="working",
                                          a__working="yes", action="later"))
    page = text(reply)
    assert reply.status_code == 200 and "Your draft is saved." in page and "open the link in your email again" in page
    assert gateway.sent("PUT", RESPONSE)[0].headers["X-Survey-Token"] == TOKEN

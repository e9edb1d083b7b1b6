"""The office's survey pages against a fake members API: the list, the builder's round trips
without JavaScript (add, move and remove questions and choices), the API's 422 errors beside
their fields, the preview in both languages, opening and closing, the results with their
percentages and hidden groups, the free texts, the CSV export, and who may open each page."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import csrf_token, log_in

SURVEY_ID = "a" * 32
SURVEYS = "/api/v1/members/surveys"
ONE = f"{SURVEYS}/{SURVEY_ID}"


def a_survey(**changes) -> dict:
    survey = {
        "id": SURVEY_ID, "status": "draft",
        "title": {"bg": "Къде сте днес", "en": "Where are you now"},
        "description": {"bg": "Пет минути.", "en": "Five minutes."},
        "opens_at": "2026-12-01T07:00:00+00:00", "closes_at": "2026-12-20T22:00:00+00:00",
        "audience": {"kind": "class", "graduation_year": 2006}, "anonymous": False,
        "sections": [{"id": "s1", "title": {"bg": "Работа", "en": "Work"}, "questions": [
            {"id": "where", "kind": "single_choice", "required": True,
             "text": {"bg": "Къде работите?", "en": "Where do you work?"}, "other": True,
             "choices": [{"id": "hospital", "text": {"bg": "Болница", "en": "Hospital"}},
                         {"id": "practice", "text": {"bg": "Практика", "en": "Practice"}}]},
            {"id": "mentor", "kind": "yes_no", "text": {"bg": "Ще менторствате ли?", "en": "Would you mentor?"},
             "maps_to": "open_to_mentoring"},
            {"id": "hours", "kind": "number", "minimum": 0, "maximum": 80,
             "text": {"bg": "Часове седмично", "en": "Hours a week"},
             "show_if": {"question": "where", "equals": "hospital"}},
            {"id": "happy", "kind": "scale", "scale": "nps", "text": {"bg": "Препоръчвате ли?", "en": "Recommend?"}},
            {"id": "born", "kind": "country", "text": {"bg": "Държава", "en": "Country"}},
            {"id": "since", "kind": "date", "text": {"bg": "От кога", "en": "Since when"}},
            {"id": "notes", "kind": "text", "text": {"bg": "Бележки", "en": "Notes"}},
            {"id": "likes", "kind": "multiple_choice", "maps_to": "interests",
             "text": {"bg": "Интереси", "en": "Interests"},
             "choices": [{"id": "research", "text": {"bg": "Наука", "en": "Research"}},
                         {"id": "teaching", "text": {"bg": "Преподаване", "en": "Teaching"}}]},
        ]}],
        "created_at": "2026-11-01T10:00:00+00:00", "updated_at": "2026-11-01T10:00:00+00:00",
        "opened_at": None, "closed_at": None, "audience_size": None, "respondents": 0, "version": 1}
    survey.update(changes)
    return survey


def html(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def post(client, path: str, data: dict, *, form_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


def builder_form(page: str) -> dict:
    """The builder's fields as the page holds them (what a browser would post back)."""
    form: dict = {}
    for match in re.finditer(r'<input id="[^"]*" name="([^"]+)" type="(?:text|number|datetime-local)" value="([^"]*)"', page):
        form[match.group(1)] = match.group(2).replace("&#34;", '"').replace("&amp;", "&")
    for match in re.finditer(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        form[match.group(1)] = match.group(2)
    for match in re.finditer(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', match.group(2))
        first = re.search(r'<option value="([^"]*)"', match.group(2))
        form[match.group(1)] = chosen.group(1) if chosen else (first.group(1) if first else "")
    for match in re.finditer(r'name="([^"]+)" type="checkbox" value="on" checked', page):
        form[match.group(1)] = "on"
    for match in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        if match.group(1) != "csrf_token":
            form[match.group(1)] = match.group(2)
    return form


@pytest.fixture
def segments(gateway):
    gateway.on("GET", "/api/v1/members/segments", 200, {
        "items": [{"id": "s" * 32, "name": "Cardiologists abroad"}], "page": 1, "per_page": 100, "total": 1})


@pytest.fixture
def draft(gateway, segments):
    gateway.on("GET", ONE, 200, a_survey())
    return a_survey()


# --------------------------------------------------------------------------- who may see what

OFFICE_PAGES = ["/office/surveys", "/office/surveys/new", f"/office/surveys/{SURVEY_ID}",
                f"/office/surveys/{SURVEY_ID}/edit", f"/office/surveys/{SURVEY_ID}/preview",
                f"/office/surveys/{SURVEY_ID}/open", f"/office/surveys/{SURVEY_ID}/close",
                f"/office/surveys/{SURVEY_ID}/results", f"/office/surveys/{SURVEY_ID}/results/texts/notes",
                f"/office/surveys/{SURVEY_ID}/export.csv"]


@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_signed_out_visitors_are_sent_to_the_login_page(client, gateway, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert [c for c in gateway.calls if c.path.startswith(SURVEYS)] == []


@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_members_and_staff_get_403_and_nothing_is_asked_of_the_api(client, gateway, path):
    log_in(client, gateway, member_id="staff-1", roles=("staff",))
    assert client.get(path).status_code == 403
    assert [c for c in gateway.calls if c.path.startswith(SURVEYS)] == []


def test_the_console_links_to_the_surveys(admin, gateway):
    for name in ("members", "events", "notifications"):
        gateway.on("GET", f"/api/v1/{name}/stats", 503, {})
    assert 'href="/office/surveys"' in html(admin.get("/office"))


# --------------------------------------------------------------------------- the list

def test_the_list_shows_status_respondents_and_response_rate(admin, gateway):
    gateway.on("GET", SURVEYS, 200, {"items": [
        a_survey(status="open", audience_size=200, respondents=50),
        a_survey(id="b" * 32, title={"bg": "Чернова", "en": "A draft"})], "page": 1, "per_page": 20, "total": 2})
    page = html(admin.get("/office/surveys?status=open"))
    assert "Where are you now" in page and "A draft" in page
    assert "50 / 200" in page and "25%" in page
    assert gateway.sent("GET", SURVEYS)[-1].params == {"page": 1, "per_page": 20, "status": "open"}
    assert 'href="/office/surveys/new"' in page


# --------------------------------------------------------------------------- the builder

def test_a_new_survey_form_has_one_section_with_a_choice_question(admin, segments):
    page = html(admin.get("/office/surveys/new"))
    assert 'name="sections.0.questions.0.choices.1.text.en"' in page
    assert 'name="idempotency_key"' in page
    assert "Cardiologists abroad" in page


def _round_trip(admin, form: dict, action: str, path: str = "/office/surveys/new"):
    response = post(admin, path, {**form, "action": action}, form_path=path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return html(response)


def test_adding_and_removing_questions_and_choices_keeps_what_was_typed(admin, gateway, segments):
    form = builder_form(html(admin.get("/office/surveys/new")))
    form["title.bg"] = "Анкета"
    form["sections.0.questions.0.text.en"] = "First question"
    page = _round_trip(admin, form, "add_question:0")
    assert 'name="sections.0.questions.1.id" type="text" value="q2"' in page
    assert 'value="Анкета"' in page and ">First question</textarea>" in page
    form = builder_form(page)
    page = _round_trip(admin, form, "add_choice:0:1")
    assert 'name="sections.0.questions.1.choices.2.id" type="text" value="c3"' in page
    form = builder_form(page)
    page = _round_trip(admin, form, "remove_choice:0:1:0")
    assert 'name="sections.0.questions.1.choices.2.id"' not in page
    assert 'name="sections.0.questions.1.choices.0.id" type="text" value="c2"' in page
    form = builder_form(page)
    page = _round_trip(admin, form, "remove_question:0:0")
    assert 'name="sections.0.questions.1.id"' not in page
    assert 'name="sections.0.questions.0.id" type="text" value="q2"' in page
    assert ">First question</textarea>" not in page
    assert gateway.sent("POST", SURVEYS) == []  # nothing is saved by the structure buttons


def test_adding_and_removing_a_section(admin, segments):
    form = builder_form(html(admin.get("/office/surveys/new")))
    page = _round_trip(admin, form, "add_section")
    assert 'name="sections.1.id" type="text" value="s2"' in page
    assert 'name="sections.1.questions.0.id" type="text" value="q2"' in page
    form = builder_form(page)
    form["sections.1.title.en"] = "Second section"
    page = _round_trip(admin, form, "remove_section:0")
    assert 'name="sections.1.id"' not in page and 'value="Second section"' in page
    assert page.index('value="save"') < page.index('value="remove_section:0"')  # Enter saves, never removes


def test_moving_a_question_down_and_changing_its_kind(admin, segments):
    form = builder_form(html(admin.get("/office/surveys/new")))
    form["sections.0.questions.0.text.en"] = "First"
    form = builder_form(_round_trip(admin, form, "add_question:0"))
    form["sections.0.questions.1.text.en"] = "Second"
    form["sections.0.questions.1.kind"] = "number"
    page = _round_trip(admin, form, "up:0:1")
    assert page.index(">Second</textarea>") < page.index(">First</textarea>")
    assert 'name="sections.0.questions.0.minimum"' in page  # the number's settings, now that it is one
    assert 'name="sections.0.questions.0.choices.0.id"' not in page


def test_saving_a_new_survey_sends_the_api_body_and_opens_its_page(admin, gateway, draft):
    gateway.on("POST", SURVEYS, 201, a_survey())
    form = builder_form(html(admin.get("/office/surveys/new")))
    form.update({"title.bg": "Анкета", "title.en": "Survey", "opens_at": "2026-12-01T09:00",
                 "closes_at": "2026-12-21T00:00", "audience.kind": "class", "audience.graduation_year": "2006",
                 "sections.0.title.bg": "Раздел", "sections.0.title.en": "Section",
                 "sections.0.questions.0.text.bg": "Въпрос", "sections.0.questions.0.text.en": "Question",
                 "sections.0.questions.0.choices.0.text.bg": "Да", "sections.0.questions.0.choices.0.text.en": "Yes",
                 "sections.0.questions.0.choices.1.text.bg": "Не", "sections.0.questions.0.choices.1.text.en": "No",
                 "sections.0.questions.0.other": "on", "sections.0.questions.0.required": "on"})
    response = post(admin, "/office/surveys/new", {**form, "action": "save"})
    assert response.status_code == 302 and response.headers["Location"] == f"/office/surveys/{SURVEY_ID}"
    call = gateway.sent("POST", SURVEYS)[-1]
    assert call.headers["Idempotency-Key"] == form["idempotency_key"]
    assert call.json["opens_at"] == "2026-12-01T09:00:00+02:00"  # typed in Sofia time
    assert call.json["audience"] == {"kind": "class", "graduation_year": 2006}
    assert call.json["anonymous"] is False
    question = call.json["sections"][0]["questions"][0]
    assert question == {"id": "q1", "kind": "single_choice", "text": {"bg": "Въпрос", "en": "Question"},
                        "required": True, "other": True,
                        "choices": [{"id": "c1", "text": {"bg": "Да", "en": "Yes"}},
                                    {"id": "c2", "text": {"bg": "Не", "en": "No"}}]}


def test_editing_a_draft_shows_its_questions_and_puts_them_back_unchanged(admin, gateway, draft):
    gateway.on("PUT", ONE, 200, a_survey())
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/edit"))
    assert 'name="opens_at" type="datetime-local" value="2026-12-01T09:00"' in page
    form = builder_form(page)
    response = post(admin, f"/office/surveys/{SURVEY_ID}/edit", {**form, "action": "save"})
    assert response.status_code == 302
    sent = gateway.sent("PUT", ONE)[-1].json
    expected = a_survey()
    for question in expected["sections"][0]["questions"]:  # what the form states outright
        question.setdefault("required", False)
        if question["kind"].endswith("_choice"):
            question.setdefault("other", False)
    for key in ("title", "description", "audience", "anonymous", "sections"):
        assert sent[key] == expected[key], key
    assert sent["closes_at"] == "2026-12-21T00:00:00+02:00"


def test_the_apis_422_errors_are_shown_beside_the_fields_they_name(admin, gateway, draft):
    gateway.problem("PUT", ONE, 422, "validation", errors={
        "sections": {"0": {"questions": {"0": {"choices": ["A choice question needs at least two choices."]},
                                         "1": {"text": {"bg": ["Must not be blank."]}}}}},
        "hours": ["The condition may only look at an earlier question, not 'nothing'."],
        "closes_at": ["Must be after opens_at."]})
    form = builder_form(html(admin.get(f"/office/surveys/{SURVEY_ID}/edit")))
    response = post(admin, f"/office/surveys/{SURVEY_ID}/edit", {**form, "action": "save"},
                    form_path=f"/office/surveys/{SURVEY_ID}/edit")
    assert response.status_code == 422
    page = html(response)
    assert 'class="problem" role="alert"' in page
    choices = page.index('id="f-sections-0-questions-0-choices"')
    assert page.index("Give at least two choices.", choices) < page.index("Choice id", choices)
    assert re.search(r'id="f-sections-0-questions-1-text-bg-error-1">Fill this in.', page)
    hours = page.index('id="f-sections-0-questions-2"')  # the survey-wide check named the question by its id
    assert page.index("The condition may only look at an earlier question, not “nothing”.", hours) \
        < page.index("Question id", hours)
    assert re.search(r'id="f-closes_at-error-1">', page)
    assert 'href="#f-sections-0-questions-2"' in page  # the summary links to the question


def test_a_time_the_clocks_skip_is_refused_at_its_field_before_anything_is_sent(admin, gateway, draft):
    # 2027-03-28: Sofia's clocks go from 03:00 to 04:00; with an offset, 03:30 would become 04:30.
    admin.get("/language/bg")
    form = builder_form(html(admin.get(f"/office/surveys/{SURVEY_ID}/edit")))
    response = post(admin, f"/office/surveys/{SURVEY_ID}/edit",
                    {**form, "opens_at": "2027-03-28T03:30", "action": "save"})
    assert response.status_code == 422
    page = html(response)
    assert re.search(r'id="f-opens_at-error-1">Такъв час няма тази нощ: часовниците се преместват напред.', page)
    assert 'value="2027-03-28T03:30"' in page  # what was typed is kept
    assert gateway.sent("PUT", ONE) == []


def test_the_definition_messages_are_in_bulgarian_too(admin, gateway, draft):
    admin.get("/language/bg")
    gateway.problem("PUT", ONE, 422, "validation", errors={"where": ["interests can only be filled by a multiple_choice question."]})
    form = builder_form(html(admin.get(f"/office/surveys/{SURVEY_ID}/edit")))
    page = html(post(admin, f"/office/surveys/{SURVEY_ID}/edit", {**form, "action": "save"}))
    assert "Това поле от профила може да се попълва само от въпрос от вида: Няколко избора." in page


def test_a_survey_that_is_no_longer_a_draft_cannot_be_edited(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(status="open"))
    response = admin.get(f"/office/surveys/{SURVEY_ID}/edit")
    assert response.status_code == 302 and response.headers["Location"] == f"/office/surveys/{SURVEY_ID}"


# --------------------------------------------------------------------------- preview

def test_the_preview_shows_every_question_in_both_languages(admin, draft):
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/preview"))
    assert "Къде работите?" in page and "Where do you work?" in page
    assert 'name="a.where" value="hospital"' in page and 'name="a.where.other"' in page
    assert 'id="pbg-q-where-hospital"' in page and 'id="pen-q-where-hospital"' in page  # ids unique per column
    assert 'type="date"' in page and 'name="a.since"' in page
    assert '<option value="BG">България</option>' in page and '<option value="BG">Bulgaria</option>' in page
    assert 'name="a.happy" value="0"' in page and 'name="a.happy" value="10"' in page
    assert ">Да</label>" in page and ">Yes</label>" in page  # each column in its own language
    assert 'min="0"' in page and "From 0 to 80" in page and "От 0 до 80" in page


def test_the_preview_in_one_language(admin, draft):
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/preview?lang=en"))
    assert "Where do you work?" in page and "Къде работите?" not in page


# --------------------------------------------------------------------------- open and close

def test_opening_asks_first_then_names_the_audience_size(admin, gateway, draft):
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/open"))
    assert "Class of 2006" in page
    gateway.on("POST", f"{ONE}/open", 200, a_survey(status="open", audience_size=143))
    response = post(admin, f"/office/surveys/{SURVEY_ID}/open", {})
    assert response.status_code == 302
    assert "143 members in its audience are invited" in html(admin.get(f"/office/surveys/{SURVEY_ID}"))


def test_opening_refused_by_the_api_says_why(admin, gateway, draft):
    gateway.problem("POST", f"{ONE}/open", 422, "validation", errors={"closes_at": ["Is past: move it to a later time first."]})
    response = post(admin, f"/office/surveys/{SURVEY_ID}/open", {})
    assert response.status_code == 422 and "This time is already past." in html(response)


def test_closing_an_open_survey(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(status="open", respondents=12))
    gateway.on("POST", f"{ONE}/close", 200, a_survey(status="closed"))
    assert "12 members have answered" in html(admin.get(f"/office/surveys/{SURVEY_ID}/close"))
    response = post(admin, f"/office/surveys/{SURVEY_ID}/close", {})
    assert response.status_code == 302 and gateway.sent("POST", f"{ONE}/close")


def test_closing_a_survey_someone_else_closed_says_so(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(status="open"))
    gateway.problem("POST", f"{ONE}/close", 409, "not-open", "Only an open survey can be closed.")
    response = post(admin, f"/office/surveys/{SURVEY_ID}/close", {})
    assert response.status_code == 409 and "Only an open survey can be closed." in html(response)


def test_a_survey_for_a_segment_names_it(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(audience={"kind": "segment", "segment_id": "s" * 32}))
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}"))
    assert "Segment: Cardiologists abroad" in page
    assert f'href="/office/surveys/{SURVEY_ID}/edit"' in page and f'href="/office/surveys/{SURVEY_ID}/results"' not in page


def test_a_draft_cannot_be_closed(admin, gateway, draft):
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/close"))
    assert "Only an open survey can be closed." in page and "Close it now" not in page
    assert post(admin, f"/office/surveys/{SURVEY_ID}/close", {}, form_path="/office/surveys").status_code == 409
    assert gateway.sent("POST", f"{ONE}/close") == []


def test_a_missing_export_is_the_not_found_page(admin, gateway):
    gateway.problem("GET", f"{ONE}/export.csv", 404, "not-found")
    response = admin.get(f"/office/surveys/{SURVEY_ID}/export.csv")
    assert response.status_code == 404 and "text/html" in response.headers["Content-Type"]


# --------------------------------------------------------------------------- results

def results(**changes) -> dict:
    found = {
        "survey_id": SURVEY_ID, "anonymous": False, "audience_size": 200, "respondents": 50, "response_rate": 0.25,
        "totals_hidden": False, "questions": [
            {"id": "where", "kind": "single_choice", "text": {"bg": "Къде работите?", "en": "Where do you work?"},
             "answered": 40, "other": 4, "choices": [
                 {"id": "hospital", "text": {"bg": "Болница", "en": "Hospital"}, "count": 30, "share": 60.0},
                 {"id": "practice", "text": {"bg": "Практика", "en": "Practice"}, "count": 6, "share": 12.0}]},
            {"id": "mentor", "kind": "yes_no", "text": {"bg": "Ще менторствате ли?", "en": "Would you mentor?"},
             "answered": 40, "yes": 30, "no": 10},
            {"id": "happy", "kind": "scale", "text": {"bg": "Препоръчвате ли?", "en": "Recommend?"}, "answered": 10,
             "mean": 8.2, "median": 9.0, "nps": 40.0, "distribution": {"10": 5, "9": 1, "7": 2, "3": 2}},
            {"id": "notes", "kind": "text", "text": {"bg": "Бележки", "en": "Notes"}, "answered": 7},
            {"id": "likes", "kind": "multiple_choice", "text": {"bg": "Интереси", "en": "Interests"}, "answered": 20,
             "choices": [{"id": "research", "text": {"bg": "Наука", "en": "Research"}, "count": 15, "share": 30.0},
                         {"id": "teaching", "text": {"bg": "Преподаване", "en": "Teaching"}, "count": 5,
                          "share": 10.0}]}],
        "breakdown": None}
    found.update(changes)
    return found


def test_results_show_counts_percentages_bars_and_statistics(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(status="open"))
    gateway.on("GET", f"{ONE}/results", 200, results())
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/results"))
    assert "25.0%" in page  # the response rate
    assert re.search(r"Hospital</th>\s*<td>30</td><td>60.0%</td>", page)
    assert re.search(r'<rect class="value" x="0" y="0" width="60.0"', page)
    assert re.search(r"Yes</th>\s*<td>30</td><td>75.0%</td>", page)
    assert "8.2" in page and "Net Promoter Score" in page and "<dd>40</dd>" in page
    assert re.search(r"<th scope=\"row\">0</th>\s*<td>0</td>", page)  # every point of the scale, zeros too
    assert 'href="/office/segments/new?open_to_mentoring=yes"' in page
    assert 'href="/office/segments/new?interest=Research"' in page
    assert f'href="/office/surveys/{SURVEY_ID}/results/texts/notes"' in page
    assert f'href="/office/surveys/{SURVEY_ID}/results/texts/where"' in page  # its "other" answers
    assert f'href="/office/surveys/{SURVEY_ID}/export.csv"' in page


def test_a_breakdown_notes_the_groups_it_does_not_show(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(status="closed", anonymous=True))
    group = {"key": "medicine", "respondents": 9, "questions": results()["questions"][:1]}
    gateway.on("GET", f"{ONE}/results", 200, results(anonymous=True, breakdown={
        "by": "faculty", "groups": [group], "hidden": 2}))
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/results?by=faculty"))
    assert gateway.sent("GET", f"{ONE}/results")[-1].params == {"by": "faculty"}
    assert "Faculty of Medicine" in page
    assert "2 groups with too few respondents are not shown." in page
    assert "groups of fewer than five respondents are not shown" in page


def test_an_anonymous_survey_under_five_respondents_shows_no_answers_and_says_why(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_survey(status="open", anonymous=True))
    gateway.on("GET", f"{ONE}/results", 200, results(anonymous=True, respondents=3, totals_hidden=True, questions=[]))
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/results"))
    assert 'id="totals-hidden"' in page and "Fewer than five people have answered" in page
    assert "No answers yet." not in page


def test_the_free_texts_are_paginated(admin, gateway, draft):
    gateway.on("GET", f"{ONE}/results/texts/notes", 200, {
        "items": [{"text": "Благодаря!", "member_id": "m" * 32, "submitted_at": "2026-12-03T10:00:00+00:00"}],
        "page": 2, "per_page": 25, "total": 26})
    page = html(admin.get(f"/office/surveys/{SURVEY_ID}/results/texts/notes?page=2"))
    assert "Благодаря!" in page and "2026-12-03" in page and "Notes" in page
    assert gateway.sent("GET", f"{ONE}/results/texts/notes")[-1].params == {"page": 2, "per_page": 25}
    assert 'rel="prev"' in page and 'rel="next"' not in page


def test_the_csv_export_is_passed_through_with_its_bom_and_type(admin, gateway):
    body = "\ufeffmember_id,where\r\nm-1,hospital\r\n".encode()
    gateway.on("GET", f"{ONE}/export.csv", 200, content=body, headers={"Content-Type": "text/csv; charset=utf-8"})
    response = admin.get(f"/office/surveys/{SURVEY_ID}/export.csv")
    assert response.status_code == 200 and response.data == body and response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]


# --------------------------------------------------------------------------- Bulgarian

def test_the_pages_speak_bulgarian(admin, gateway, draft):
    admin.get("/language/bg")
    gateway.on("GET", SURVEYS, 200, {"items": [a_survey()], "page": 1, "per_page": 20, "total": 1})
    assert "Анкети" in html(admin.get("/office/surveys"))
    assert "Нова анкета" in html(admin.get("/office/surveys/new"))

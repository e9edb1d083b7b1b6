"""The survey builder against the members service's own schema (services/members/surveys/
rules.py's SurveySchema, the body the surveys API loads): what the builder sends is a survey
the API accepts, and every error the schema can give lands beside a field or block the page
shows (the summary's links all lead somewhere)."""
from __future__ import annotations

import re

import pytest

from frontends.portal.console_surveys import builder
from services.members.surveys.rules import SurveySchema
from tests.unit.portal.fake_gateway import FakeResponse
from tests.unit.portal.test_console_surveys import ONE, SURVEY_ID, a_survey, builder_form, html, post


def test_a_survey_from_the_api_goes_back_as_a_valid_body():
    assert SurveySchema().validate(builder.body(builder.of_survey(a_survey()))) == {}


def test_a_new_form_filled_in_is_a_valid_body():
    model = builder.blank()
    model.update(title={"bg": "Анкета", "en": "Survey"}, opens_at="2026-12-01T09:00", closes_at="2026-12-20T18:00")
    section = model["sections"][0]
    section["title"] = {"bg": "Раздел", "en": "Section"}
    question = section["questions"][0]
    question["text"] = {"bg": "Въпрос", "en": "Question"}
    for n, choice in enumerate(question["choices"]):
        choice["text"] = {"bg": f"Избор {n}", "en": f"Choice {n}"}
    builder.apply(model, "add_question:0")
    second = section["questions"][1]
    second.update(kind="yes_no", text={"bg": "Да или не", "en": "Yes or no"}, maps_to="open_to_volunteer",
                  show_if={"question": "q1", "operator": "equals", "value": "c1", "raw": ""})
    assert SurveySchema().validate(builder.body(model)) == {}


def _schema_answers(call):
    """The members API's 422, as its schema words it, for what the portal sent."""
    errors = SurveySchema().validate(call.json)
    if not errors:
        return FakeResponse(200, {**a_survey(), **call.json})
    return FakeResponse(422, {"type": "https://alumnet.dev/problems/validation", "status": 422,
                              "title": "Unprocessable Entity", "errors": errors})


@pytest.mark.parametrize("breaks", ["fields", "cross-question rules"])
def test_every_schema_error_is_shown_beside_something_on_the_page(admin, gateway, breaks):
    gateway.on("GET", ONE, 200, a_survey())
    gateway.on("GET", "/api/v1/members/segments", 200, {"items": [], "page": 1, "per_page": 100, "total": 0})
    gateway.on("PUT", ONE, respond=_schema_answers)
    form = builder_form(html(admin.get(f"/office/surveys/{SURVEY_ID}/edit")))
    if breaks == "fields":
        form.update({"title.en": "", "sections.0.questions.0.choices.1.text.bg": "", "sections.0.id": "1 bad",
                     "sections.0.questions.2.show_if.operator": "at_least",
                     "sections.0.questions.2.show_if.value": "many", "audience.graduation_year": ""})
    else:
        form.update({"closes_at": "2026-11-30T09:00", "sections.0.questions.1.id": "where",
                     "sections.0.questions.2.show_if.question": "notes",
                     "sections.0.questions.3.maps_to": "employer"})
        form = {k: v for k, v in form.items() if not k.startswith("sections.0.questions.0.choices.1.")}
    response = post(admin, f"/office/surveys/{SURVEY_ID}/edit", {**form, "action": "save"},
                    form_path=f"/office/surveys/{SURVEY_ID}/edit")
    assert response.status_code == 422
    page = html(response)
    targets = re.findall(r'<li><a href="#([^"]+)">', page)
    assert len(targets) >= 4
    ids = set(re.findall(r' id="([^"]+)"', page))
    assert [t for t in targets if t not in ids] == [], "summary links that lead nowhere"

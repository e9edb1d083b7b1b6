"""The survey builder's form model (frontends/portal/console_surveys/builder.py), pure: a
survey from the API becomes the form and the form the same body again; the structure buttons;
conditions typed as text become the answer kind they compare with; the API's errors find
their fields."""
from __future__ import annotations

from frontends.portal.console_surveys import builder
from tests.unit.portal.test_console_surveys import a_survey


def test_a_survey_round_trips_through_the_form_model():
    survey = a_survey(description={"bg": "Пет", "en": "Five"}, anonymous=False)
    survey["sections"][0]["show_if"] = {"all": [{"question": "x", "answered": True}]}  # kept as it is
    sent = builder.body(builder.of_survey(survey))
    assert sent["opens_at"] == "2026-12-01T09:00:00+02:00"
    assert sent["sections"][0]["show_if"] == {"all": [{"question": "x", "answered": True}]}
    questions = {q["id"]: q for q in sent["sections"][0]["questions"]}
    assert questions["hours"]["show_if"] == {"question": "where", "equals": "hospital"}
    assert questions["hours"]["minimum"] == 0 and questions["hours"]["maximum"] == 80
    assert questions["happy"]["scale"] == "nps" and "choices" not in questions["happy"]
    assert questions["mentor"]["maps_to"] == "open_to_mentoring"


def test_conditions_typed_as_text_become_answers_of_the_kind_they_look_at():
    model = builder.of_survey(a_survey())
    mentor = {"question": "mentor", "operator": "equals", "value": "yes", "raw": ""}
    assert builder.condition_body(mentor, model) == {"question": "mentor", "equals": True}
    scale = {"question": "happy", "operator": "one_of", "value": "9, 10", "raw": ""}
    assert builder.condition_body(scale, model) == {"question": "happy", "one_of": [9, 10]}
    least = {"question": "hours", "operator": "at_least", "value": "2.5", "raw": ""}
    assert builder.condition_body(least, model) == {"question": "hours", "at_least": 2.5}
    answered = {"question": "notes", "operator": "answered", "value": "no", "raw": ""}
    assert builder.condition_body(answered, model) == {"question": "notes", "answered": False}
    assert builder.condition_body({"question": "", "operator": "equals", "value": "", "raw": ""}, model) is None


def test_new_ids_are_free_across_sections_and_questions():
    model = builder.blank()
    builder.apply(model, "add_section")
    builder.apply(model, "add_question:1")
    ids = [s["id"] for s in model["sections"]] + [q["id"] for s in model["sections"] for q in s["questions"]]
    assert ids == ["s1", "s2", "q1", "q2", "q3"]


def test_buttons_naming_nothing_change_nothing():
    model = builder.blank()
    before = builder.body(model)
    for action in ("refresh", "remove_question:5:0", "up:0:9", "remove_choice:0:0:7", "add_choice:x:y"):
        builder.apply(model, action)
    assert builder.body(model) == before


def test_errors_find_their_fields_and_blocks():
    model = builder.of_survey(a_survey())
    found = builder.error_places({
        "hours": ["Bad condition."], "s1": ["Same id."], "title": ["Missing data for required field."],
        "audience._schema": ["Required for this audience."],
        "sections.0.questions.2.show_if.equals": ["Not a possible answer."],
        "sections.0.questions.2.show_if._schema": ["Give a question and exactly one operator."],
        "sections.0.questions.1.text": ["Missing data for required field."]}, model)
    assert found == {
        "sections.0.questions.2": ["Bad condition."], "sections.0": ["Same id."], "title.bg": ["Missing data for required field."],
        "audience.kind": ["Required for this audience."],
        "sections.0.questions.2.show_if.value": ["Not a possible answer."],
        "sections.0.questions.2.show_if": ["Give a question and exactly one operator."],
        "sections.0.questions.1.text.bg": ["Missing data for required field."]}

"""The answering form's fields and a survey's answers, both ways
(frontends/portal/survey_answers.py): every kind of question, blanks left out, values the API
will refuse kept as typed, and a form built from answers giving the same answers back."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from frontends.portal.survey_answers import OTHER, answers_from_form, form_from_answers, scale_points


def q(qid: str, kind: str, **more) -> dict:
    return {"id": qid, "kind": kind, "text": {"bg": qid, "en": qid}, **more}


CHOICES = [{"id": "a", "text": {"bg": "А", "en": "A"}}, {"id": "b", "text": {"bg": "Б", "en": "B"}}]
SURVEY = {"sections": [{"id": "s1", "questions": [
    q("one", "single_choice", choices=CHOICES, other=True),
    q("many", "multiple_choice", choices=CHOICES, other=True),
    q("score", "scale", scale="nps"),
    q("words", "text"),
    q("hours", "number", minimum=0, maximum=80),
    q("since", "date"),
    q("land", "country"),
    q("agree", "yes_no"),
]}]}


def test_every_kind_is_read_from_the_form():
    form = MultiDict([("a.one", "b"), ("a.many", "a"), ("a.many", "b"), ("a.many.other", " chess "),
                      ("a.score", "9"), ("a.words", "Line one\r\nline two "), ("a.hours", "12.5"),
                      ("a.since", "2020-01-31"), ("a.land", "bg"), ("a.agree", "no"), ("csrf_token", "x")])
    assert answers_from_form(SURVEY, form) == {
        "one": {"choices": ["b"]}, "many": {"choices": ["a", "b"], "other": "chess"}, "score": 9,
        "words": "Line one\nline two", "hours": 12.5, "since": "2020-01-31", "land": "BG", "agree": False}


def test_blank_fields_are_no_answers():
    form = MultiDict([("a.one", ""), ("a.many.other", "  "), ("a.score", ""), ("a.words", "   "), ("a.agree", "")])
    assert answers_from_form(SURVEY, form) == {}


@pytest.mark.parametrize("fields,answer", [
    ([("a.one", OTHER), ("a.one.other", "Abroad")], {"choices": [], "other": "Abroad"}),
    ([("a.one.other", "Abroad")], {"choices": [], "other": "Abroad"}),  # typed without ticking "other"
    ([("a.one", "a"), ("a.one.other", "Abroad")], {"choices": ["a"]}),  # a choice ticked wins
    ([("a.one", OTHER)], None),  # "other" ticked but left blank: no answer
])
def test_a_single_choice_holds_one_choice_or_the_other_text(fields, answer):
    assert answers_from_form(SURVEY, MultiDict(fields)).get("one") == answer


def test_values_the_api_will_refuse_are_sent_as_typed():
    form = {"a.hours": "about ten", "a.score": "11", "a.agree": "maybe"}
    assert answers_from_form(SURVEY, form) == {"hours": "about ten", "score": 11, "agree": "maybe"}


def test_a_plain_dict_with_lists_is_read_like_a_posted_form():
    assert answers_from_form(SURVEY, {"a.many": ["b", "b"]}) == {"many": {"choices": ["b"]}}


ANSWERS = {"one": {"choices": [], "other": "Abroad"}, "many": {"choices": ["a"], "other": "chess"}, "score": 0,
           "words": "Здравейте", "hours": 40, "since": "2019-09-15", "land": "DE", "agree": True}


def test_a_form_made_from_answers_gives_them_back():
    form = form_from_answers(SURVEY, ANSWERS)
    assert form["a.one"] == [OTHER] and form["a.agree"] == "yes" and form["a.score"] == "0"
    assert answers_from_form(SURVEY, form) == ANSWERS


def test_a_whole_float_is_shown_without_its_point():
    assert form_from_answers(SURVEY, {"hours": 40.0})["a.hours"] == "40"


def test_the_points_of_each_scale():
    assert scale_points("nps") == list(range(0, 11))
    assert scale_points("1-5") == [1, 2, 3, 4, 5]
    assert scale_points("1-10")[-1] == 10

"""The surveys rules, without I/O: the definition's checks, show-if conditions, answer sets
(a hypothesis property: a final answer set is valid iff every required visible question is
answered and no hidden one is, against an oracle written independently), proposed profile
changes, the statistics of results, small-group suppression and formula-safe CSV cells."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.members.surveys import rules


def t(text: str) -> dict[str, str]:
    return {"bg": f"{text} (bg)", "en": text}


def q(qid: str, kind: str, **extra) -> dict:
    question = {"id": qid, "kind": kind, "text": t(qid), **extra}
    if kind in rules.CHOICE_KINDS and "choices" not in extra:
        question["choices"] = [{"id": c, "text": t(c)} for c in ("a", "b", "c")]
    if kind == rules.SCALE and "scale" not in extra:
        question["scale"] = "1-5"
    return question


def survey(*sections_or_questions, anonymous: bool = False) -> dict:
    """A survey document as an admin posts it: one section per list of questions."""
    sections = [s if isinstance(s, dict) else {"id": f"s{i}", "title": t(f"s{i}"), "questions": list(s)}
                for i, s in enumerate(sections_or_questions)]
    return {"title": t("Survey"), "sections": sections, "opens_at": "2030-01-01T08:00:00+00:00",
            "closes_at": "2030-02-01T08:00:00+00:00", "audience": {"kind": "everyone"}, "anonymous": anonymous}


def load(document: dict) -> dict:
    return rules.SurveySchema().load(document)


def errors_of(document: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(document)
    return caught.value.messages


# --- the definition ----------------------------------------------------------------------

def test_a_survey_of_every_kind_loads():
    loaded = load(survey([q("y", "yes_no", required=True), q("one", "single_choice", other=True),
                          q("many", "multiple_choice", other=True), q("s", "scale", scale="nps"),
                          q("free", "text"), q("n", "number", minimum=0, maximum=120), q("d", "date"),
                          q("c", "country", show_if={"question": "y", "equals": True})]))
    assert [x["id"] for x in rules.questions(loaded)] == ["y", "one", "many", "s", "free", "n", "d", "c"]


def test_a_condition_may_look_only_at_an_earlier_question():
    later = survey([q("a", "yes_no", show_if={"question": "b", "answered": True}), q("b", "yes_no")])
    itself = survey([q("a", "yes_no", show_if={"question": "a", "answered": True})])
    unknown = survey([q("a", "yes_no", show_if={"question": "zz", "answered": True})])
    for document in (later, itself, unknown):
        assert list(errors_of(document)) == ["a"]
    assert load(survey([q("a", "yes_no"), q("b", "yes_no", show_if={"question": "a", "answered": True})]))


def test_a_section_condition_looks_only_at_earlier_sections():
    own = {"id": "s1", "title": t("s1"), "show_if": {"question": "b", "equals": True}, "questions": [q("b", "yes_no")]}
    assert list(errors_of(survey([q("a", "yes_no")], own))) == ["s1"]
    own["show_if"] = {"question": "a", "equals": True}
    assert load(survey([q("a", "yes_no")], own))


def test_a_nested_condition_is_checked_in_every_part():
    nested = {"all": [{"question": "a", "equals": True}, {"any": [{"question": "later", "answered": True}]}]}
    assert list(errors_of(survey([q("a", "yes_no"), q("b", "text", show_if=nested), q("later", "text")]))) == ["b"]


@pytest.mark.parametrize("condition", [
    {"question": "one", "equals": "zz"},          # not a choice of the question
    {"question": "one", "at_least": 2},           # a choice has no order
    {"question": "free", "equals": "x"},          # free text is never compared
    {"question": "scale", "equals": 6},           # off the 1-5 scale
    {"question": "scale", "one_of": [1, "x"]},
    {"question": "yes", "equals": "yes"},         # a yes/no answer is a boolean
])
def test_a_condition_must_fit_the_question_it_looks_at(condition):
    document = survey([q("one", "single_choice"), q("free", "text"), q("scale", "scale"), q("yes", "yes_no"),
                       q("x", "text", show_if=condition)])
    assert list(errors_of(document)) == ["x"]


@pytest.mark.parametrize("condition", [
    {"question": "a", "equals": True, "answered": True},
    {"all": [{"question": "a", "equals": True}], "question": "a"},
    {"question": "a"},
    {"all": []},
])
def test_a_condition_has_one_form(condition):
    assert "show_if" in errors_of(survey([q("a", "yes_no"), q("b", "text", show_if=condition)]))["sections"][0][
        "questions"][1]


def test_ids_are_unique_in_the_survey_and_choice_ids_in_their_question():
    assert list(errors_of(survey([q("a", "text"), q("a", "text")]))) == ["a"]
    assert list(errors_of(survey([q("s0", "text")]))) == ["s0"]   # a question named like its section
    assert list(errors_of(survey([q("closes_at", "text")]))) == ["closes_at"]   # like a field of the survey
    twice = q("c", "single_choice", choices=[{"id": "x", "text": t("x")}, {"id": "x", "text": t("y")}])
    assert errors_of(survey([twice])) == {"c": ["Choice ids must be unique."]}


@pytest.mark.parametrize("question", [
    q("k", "single_choice", choices=[{"id": "only", "text": t("only")}]),
    q("k", "text", choices=[{"id": "a", "text": t("a")}, {"id": "b", "text": t("b")}]),
    q("k", "text", other=True),
    {"id": "k", "kind": "scale", "text": t("k")},
    q("k", "text", scale="1-5"),
    q("k", "scale", minimum=1),
    q("k", "number", minimum=5, maximum=1),
])
def test_each_kind_has_its_own_settings(question):
    assert list(errors_of(survey([question]))) == ["k"]


@pytest.mark.parametrize(("question", "anonymous"), [
    (q("k", "scale", maps_to="employer"), False),
    (q("k", "text", maps_to="open_to_mentoring"), False),
    (q("k", "single_choice", maps_to="languages"), False),
    (q("k", "multiple_choice", maps_to="languages"), False),   # choice ids a, b, c are no language codes
    (q("k", "text", maps_to="employer"), True),
])
def test_a_mapped_field_must_fit_the_question_and_the_survey_be_named(question, anonymous):
    assert list(errors_of(survey([question], anonymous=anonymous))) == ["k"]


def test_two_questions_do_not_fill_one_field():
    assert errors_of(survey([q("a", "text", maps_to="city"), q("b", "text", maps_to="city")])) == {
        "b": ["a already fills city."]}


def test_the_survey_closes_after_it_opens_and_its_audience_is_complete():
    document = survey([q("a", "text")])
    document["closes_at"] = document["opens_at"]
    assert list(errors_of(document)) == ["closes_at"]
    document = survey([q("a", "text")])
    document["audience"] = {"kind": "class", "segment_id": "x"}
    assert set(errors_of(document)["audience"]) == {"graduation_year", "segment_id"}
    document["audience"] = {"kind": "class", "graduation_year": 2006, "faculty": "medicine"}
    assert rules.audience_filter(load(document)["audience"]) == {
        "graduation_year_from": 2006, "graduation_year_to": 2006, "faculty": ["medicine"]}
    assert rules.audience_filter({"kind": "everyone"}) == {}
    assert rules.audience_filter({"kind": "segment", "segment_id": "s"}) is None


def test_a_survey_is_open_from_its_opening_until_its_close():
    loaded = load(survey([q("a", "text")]))
    opens, closes = loaded["opens_at"], loaded["closes_at"]
    assert [rules.is_open(loaded, when) for when in (opens - timedelta(seconds=1), opens, closes - timedelta(seconds=1),
                                                      closes)] == [False, True, True, False]


# --- answers -----------------------------------------------------------------------------

ALL_KINDS = survey([q("one", "single_choice", other=True), q("many", "multiple_choice"), q("s", "scale", scale="nps"),
                    q("free", "text"), q("n", "number", minimum=0, maximum=120), q("d", "date"), q("c", "country"),
                    q("y", "yes_no")])


@pytest.mark.parametrize(("qid", "good", "bad"), [
    ("one", {"choices": ["a"]}, {"choices": ["a", "b"]}),
    ("one", {"other": "акушерство"}, {"choices": ["a"], "other": "и още"}),
    ("one", {"choices": ["b"]}, {"choices": ["zz"]}),
    ("one", {"choices": ["b"]}, "b"),
    ("many", {"choices": ["a", "c"]}, {"choices": ["a", "a"]}),
    ("many", {"choices": ["a"]}, {"choices": ["a"], "other": "no other here"}),
    ("s", 0, 11),
    ("s", 10, 7.5),
    ("s", 5, True),
    ("free", "Много добре", 42),
    ("free", "ред\nпо ред", "bell\x07"),
    ("n", 0, -1),
    ("n", 120, 121),
    ("n", 36.6, float("nan")),
    ("d", "2006-07-01", "01.07.2006"),
    ("d", "2024-02-29", "2023-02-29"),
    ("c", "BG", "bg"),
    ("c", "DE", "XX"),
    ("y", False, "no"),
])
def test_each_kind_takes_answers_of_its_form(qid, good, bad):
    loaded = load(ALL_KINDS)
    assert rules.validate_answers(loaded, {qid: good}, final=False) == {}
    assert list(rules.validate_answers(loaded, {qid: bad}, final=False)) == [qid]


def test_a_blank_answer_is_no_answer():
    loaded = load(survey([q("free", "text", required=True), q("one", "single_choice")]))
    assert rules.validate_answers(loaded, {"free": "  ", "one": {"choices": []}}, final=False) == {}
    assert rules.validate_answers(loaded, {"free": "  "}, final=True) == {"free": ["This question needs an answer."]}


def test_an_answer_to_no_question_is_refused_even_in_a_draft():
    assert list(rules.validate_answers(load(ALL_KINDS), {"nope": 1}, final=False)) == ["nope"]


def test_a_draft_may_be_incomplete_and_keep_hidden_answers_but_a_submission_may_not():
    loaded = load(survey([q("employed", "yes_no", required=True),
                          q("employer", "text", required=True, show_if={"question": "employed", "equals": True})]))
    assert rules.validate_answers(loaded, {}, final=False) == {}
    assert list(rules.validate_answers(loaded, {}, final=True)) == ["employed"]
    answers = {"employed": False, "employer": "УМБАЛ"}
    assert rules.validate_answers(loaded, answers, final=False) == {}
    assert list(rules.validate_answers(loaded, answers, final=True)) == ["employer"]
    assert rules.drop_hidden(loaded, answers) == {"employed": False}
    assert list(rules.validate_answers(loaded, {"employed": True}, final=True)) == ["employer"]


# --- conditions --------------------------------------------------------------------------

def test_hiding_cascades_through_conditions_on_hidden_questions():
    loaded = load(survey([q("a", "yes_no"), q("b", "scale", show_if={"question": "a", "equals": True}),
                          q("c", "text", show_if={"question": "b", "at_least": 4})]))
    assert rules.visible_questions(loaded, {"a": True, "b": 5}) == ["a", "b", "c"]
    # b's answer stays in the draft, but b is hidden, so c does not see it.
    assert rules.visible_questions(loaded, {"a": False, "b": 5}) == ["a"]


def test_a_hidden_section_hides_all_its_questions():
    employed = {"id": "job", "title": t("job"), "show_if": {"question": "a", "equals": True},
                "questions": [q("b", "text"), q("c", "text")]}
    loaded = load(survey([q("a", "yes_no")], employed, [q("d", "text")]))
    assert rules.visible_questions(loaded, {"a": False}) == ["a", "d"]
    assert rules.visible_questions(loaded, {"a": True}) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(("condition", "answers", "expected"), [
    ({"question": "m", "equals": "b"}, {"m": {"choices": ["a", "b"]}}, True),
    ({"question": "m", "equals": "c"}, {"m": {"choices": ["a", "b"]}}, False),
    ({"question": "m", "one_of": ["c", "b"]}, {"m": {"choices": ["b"]}}, True),
    ({"question": "m", "one_of": ["c"]}, {}, False),
    ({"question": "s", "at_least": 4}, {"s": 4}, True),
    ({"question": "s", "at_least": 4}, {"s": 3}, False),
    ({"question": "s", "at_most": 2}, {"s": 2}, True),
    ({"question": "s", "at_most": 2}, {}, False),
    ({"question": "s", "equals": 1}, {"s": 1}, True),
    ({"question": "s", "answered": False}, {}, True),
    ({"question": "s", "answered": False}, {"s": 2}, False),
    ({"question": "y", "equals": False}, {"y": False}, True),
    ({"question": "y", "equals": False}, {}, False),
    ({"all": [{"question": "y", "equals": True}, {"question": "s", "at_least": 3}]}, {"y": True, "s": 2}, False),
    ({"any": [{"question": "y", "equals": True}, {"question": "s", "at_least": 3}]}, {"y": False, "s": 3}, True),
    ({"any": [{"all": [{"question": "y", "answered": True}]}, {"question": "m", "equals": "a"}]}, {"y": False}, True),
])
def test_conditions(condition, answers, expected):
    loaded = load(survey([q("m", "multiple_choice"), q("s", "scale"), q("y", "yes_no"),
                          q("x", "text", show_if=condition)]))
    assert ("x" in rules.visible_questions(loaded, answers)) is expected


def test_yes_never_equals_a_scale_of_one():
    assert rules.holds({"question": "s", "equals": 1}, {"s": True}) is False
    assert rules.holds({"question": "y", "equals": True}, {"y": 1}) is False


# --- the property: valid iff every required visible question is answered, no hidden one --

@st.composite
def surveys_and_answers(draw):
    """A loaded survey of up to 8 questions in up to 3 sections with random conditions on
    earlier questions, and answers of the right form to a random subset of the questions."""
    kinds = ("yes_no", "single_choice", "multiple_choice", "scale", "text")
    count = draw(st.integers(1, 8))
    made: list[dict] = []
    for index in range(count):
        question = q(f"q{index}", draw(st.sampled_from(kinds)), required=draw(st.booleans()))
        if made and draw(st.booleans()):
            question["show_if"] = draw(_condition(made))
        made.append(question)
    cuts = sorted(draw(st.sets(st.integers(1, count - 1), max_size=2))) if count > 1 else []
    sections, start = [], 0
    for number, end in enumerate([*cuts, count]):
        section = {"id": f"s{number}", "title": t("s"), "questions": made[start:end]}
        if start and draw(st.booleans()):
            section["show_if"] = draw(_condition(made[:start]))
        sections.append(section)
        start = end
    answers = {}
    for question in made:
        if draw(st.booleans()):
            answers[question["id"]] = draw(_answer(question))
    return load(survey(*sections)), answers


def _leaf(question: dict):
    kind, qid = question["kind"], question["id"]
    options = [st.builds(lambda b: {"question": qid, "answered": b}, st.booleans())]
    if kind == "yes_no":
        options.append(st.builds(lambda b: {"question": qid, "equals": b}, st.booleans()))
    if kind in rules.CHOICE_KINDS:
        options += [st.builds(lambda c: {"question": qid, "equals": c}, st.sampled_from("abc")),
                    st.builds(lambda cs: {"question": qid, "one_of": sorted(cs)}, st.sets(st.sampled_from("abc"), min_size=1))]
    if kind == "scale":
        options += [st.builds(lambda n: {"question": qid, "at_least": n}, st.integers(1, 5)),
                    st.builds(lambda n: {"question": qid, "at_most": n}, st.integers(1, 5)),
                    st.builds(lambda n: {"question": qid, "equals": n}, st.integers(1, 5))]
    return st.one_of(options)


def _condition(earlier: list[dict]):
    leaf = st.sampled_from(earlier).flatmap(_leaf)
    return st.one_of(leaf, st.builds(lambda k, parts: {k: parts}, st.sampled_from(rules.COMBINATORS),
                                     st.lists(leaf, min_size=1, max_size=3)))


def _answer(question: dict):
    kind = question["kind"]
    if kind == "yes_no":
        return st.booleans()
    if kind == "single_choice":
        return st.sampled_from("abc").map(lambda c: {"choices": [c]})
    if kind == "multiple_choice":
        return st.sets(st.sampled_from("abc")).map(lambda cs: {"choices": sorted(cs)})   # empty: not answered
    if kind == "scale":
        return st.integers(1, 5)
    return st.sampled_from(["", "  ", "текст", "text"])


def oracle_visible(loaded: dict, answers: dict) -> set[str]:
    """Visibility by its definition, recursively: a question is visible when its section's
    condition and its own hold, reading only answers to visible questions."""
    section_of = {x["id"]: s for s in loaded["sections"] for x in s["questions"]}
    question_of = {x["id"]: x for x in rules.questions(loaded)}

    def answered(value) -> bool:
        if isinstance(value, dict):
            return bool(value["choices"])
        return value is not None and (not isinstance(value, str) or value.strip() != "")

    def holds(condition) -> bool:
        if condition is None:
            return True
        if "all" in condition or "any" in condition:
            results = [holds(part) for part in condition.get("all", condition.get("any"))]
            return all(results) if "all" in condition else any(results)
        target = condition["question"]
        value = answers.get(target) if visible(target) else None
        if "answered" in condition:
            return answered(value) == condition["answered"]
        if not answered(value):
            return False
        chosen = value["choices"] if isinstance(value, dict) else [value]
        if "equals" in condition:
            return any(type(c) is type(condition["equals"]) and c == condition["equals"] for c in chosen)
        if "one_of" in condition:
            return bool(set(chosen) & set(condition["one_of"]))
        if "at_least" in condition:
            return value >= condition["at_least"]
        return value <= condition["at_most"]

    def visible(qid: str) -> bool:
        return holds(section_of[qid].get("show_if")) and holds(question_of[qid].get("show_if"))

    return {qid for qid in question_of if visible(qid)}


@settings(max_examples=300, deadline=None)
@given(surveys_and_answers())
def test_an_answer_set_is_valid_iff_every_required_visible_question_is_answered_and_no_hidden_one(case):
    loaded, answers = case
    visible = oracle_visible(loaded, answers)
    assert set(rules.visible_questions(loaded, answers)) == visible
    offending = {x["id"] for x in rules.questions(loaded)
                 if (x["id"] in visible and x["required"] and not rules.is_answered(answers.get(x["id"])))
                 or (x["id"] not in visible and rules.is_answered(answers.get(x["id"])))}
    errors = rules.validate_answers(loaded, answers, final=True)
    assert set(errors) == offending
    assert (errors == {}) is (not offending)
    assert rules.validate_answers(loaded, answers, final=False) == {}
    # Dropping the hidden answers changes no visibility, and leaves only missing answers.
    kept = rules.drop_hidden(loaded, answers)
    assert set(rules.visible_questions(loaded, kept)) == visible
    assert all(errors == ["This question needs an answer."]
               for errors in rules.validate_answers(loaded, kept, final=True).values())


# --- proposed profile changes ------------------------------------------------------------

PROFILE_SURVEY = survey([
    q("employed", "yes_no"),
    q("employer", "text", maps_to="employer", show_if={"question": "employed", "equals": True}),
    q("country", "country", maps_to="country"),
    q("mentor", "yes_no", maps_to="open_to_mentoring"),
    q("langs", "multiple_choice", maps_to="languages",
      choices=[{"id": c, "text": t(c)} for c in ("de", "en", "fr")]),
    q("topics", "multiple_choice", maps_to="interests", other=True,
      choices=[{"id": "cardio", "text": {"bg": "кардиология", "en": "cardiology"}},
               {"id": "teach", "text": {"bg": "преподаване", "en": "teaching"}}]),
    q("score", "scale", scale="nps"),
])


def test_only_differing_answers_are_proposed_with_old_and_new():
    loaded = load(PROFILE_SURVEY)
    profile = {"employer": "УМБАЛ Свети Георги", "country": "BG", "open_to_mentoring": None, "languages": ["en"],
               "preferred_language": "bg"}
    answers = {"employed": True, "employer": "  УМБАЛ   Свети Георги ", "country": "DE", "mentor": False,
               "langs": {"choices": ["en", "de"]}, "score": 10}
    assert rules.proposed_changes(loaded, answers, profile) == [
        {"field": "country", "old": "BG", "new": "DE", "question": "country"},
        {"field": "open_to_mentoring", "old": None, "new": False, "question": "mentor"},
        {"field": "languages", "old": ["en"], "new": ["en", "de"], "question": "langs"},
    ]


def test_a_hidden_or_unanswered_mapped_question_proposes_nothing():
    loaded = load(PROFILE_SURVEY)
    answers = {"employed": False, "employer": "Нова болница"}
    assert rules.proposed_changes(loaded, answers, {"employer": "Стара болница"}) == []
    assert rules.proposed_changes(loaded, {"employed": True}, {"employer": "Стара болница"}) == []


def test_interests_are_added_in_the_members_language_and_never_removed():
    loaded = load(PROFILE_SURVEY)
    answers = {"topics": {"choices": ["cardio", "teach"], "other": "  хирургия "}}
    profile = {"interests": ["Кардиология", "шах"], "preferred_language": "bg"}
    assert rules.proposed_changes(loaded, answers, profile) == [
        {"field": "interests", "old": ["Кардиология", "шах"], "new": ["Кардиология", "шах", "преподаване", "хирургия"],
         "question": "topics"}]
    english = rules.proposed_changes(loaded, {"topics": {"choices": ["teach"]}}, {"preferred_language": "en"})
    assert english[0]["new"] == ["teaching"]
    assert rules.proposed_changes(loaded, {"topics": {"choices": ["teach"]}}, {"interests": ["Преподаване"]}) == []


def test_a_list_never_grows_past_the_profiles_limit():
    loaded = load(PROFILE_SURVEY)
    full = [f"интерес {n}" for n in range(rules.PROFILE_LIST_LIMITS["interests"])]
    assert rules.proposed_changes(loaded, {"topics": {"choices": ["teach"]}}, {"interests": full}) == []


def test_an_anonymous_survey_proposes_nothing():
    loaded = load(survey([q("c", "country")], anonymous=True))
    loaded["sections"][0]["questions"][0]["maps_to"] = "country"   # even if one slipped through
    assert rules.proposed_changes(loaded, {"c": "DE"}, {"country": "BG"}) == []


def test_a_mapped_text_answer_keeps_to_the_profiles_limit():
    loaded = load(PROFILE_SURVEY)
    assert list(rules.validate_answers(loaded, {"employed": True, "employer": "x" * 201}, final=False)) == ["employer"]


# --- results -----------------------------------------------------------------------------

@pytest.mark.parametrize(("distribution", "expected"), [
    ({10: 3, 9: 1}, 100.0),
    ({0: 2, 6: 2}, -100.0),
    ({7: 5, 8: 5}, 0.0),
    ({10: 5, 9: 1, 7: 2, 3: 2}, 40.0),      # 60 % promoters - 20 % detractors
    ({10: 1, 8: 1, 6: 1, 0: 0}, 0.0),
    ({}, None),
    ({5: 0}, None),
])
def test_nps(distribution, expected):
    assert rules.nps(distribution) == expected


@pytest.mark.parametrize(("histogram", "median", "mean"), [
    ({3: 1}, 3.0, 3.0),
    ({1: 1, 2: 1, 3: 1, 4: 1}, 2.5, 2.5),
    ({1: 3, 5: 1}, 1.0, 2.0),
    ({1: 2, 5: 2}, 3.0, 3.0),
    ({"2": 1, "10": 2}, 10.0, 22 / 3),      # keys as a store may give them
    ({}, None, None),
])
def test_median_and_mean_of_a_histogram(histogram, median, mean):
    assert rules.median(histogram) == median
    assert rules.mean(histogram) == pytest.approx(mean) if mean is not None else rules.mean(histogram) is None


@given(st.dictionaries(st.integers(-50, 50), st.integers(0, 6), min_size=1).filter(lambda h: sum(h.values())))
def test_median_and_mean_agree_with_the_expanded_values(histogram):
    values = [value for value, count in histogram.items() for _ in range(count)]
    assert rules.median(histogram) == statistics.median(values)
    assert rules.mean(histogram) == pytest.approx(statistics.mean(values))


def test_shares_are_percentages_of_respondents():
    assert rules.shares({"a": 3, "b": 4}, 4) == {"a": 75.0, "b": 100.0}
    assert rules.shares({"a": 0}, 0) == {"a": None}


# --- small-group suppression -------------------------------------------------------------

def test_a_small_group_is_hidden_with_the_next_smallest():
    assert rules.suppress_small_groups({"2006": 3, "2007": 40, "2008": 12, "2009": 20}) == {
        "2006": None, "2007": 40, "2008": None, "2009": 20}


def test_groups_of_five_or_more_are_all_shown():
    breakdown = {"medicine": 5, "pharmacy": {"respondents": 9, "mean": 4.2}}
    assert rules.suppress_small_groups(breakdown) == breakdown


def test_small_groups_together_big_enough_need_no_more_hiding():
    assert rules.suppress_small_groups({"a": 3, "b": 4, "c": 50}) == {"a": None, "b": None, "c": 50}


def test_results_of_a_hidden_group_are_hidden_whole():
    assert rules.suppress_small_groups({"a": {"respondents": 2, "nps": 100.0}, "b": {"respondents": 6},
                                        "c": {"respondents": 7}})["a"] is None


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 30), max_size=8), st.integers(1, 10))
def test_no_group_under_the_minimum_is_shown_or_recoverable_from_the_totals(sizes, minimum):
    hidden = rules.hidden_groups(sizes, minimum)
    shown = {g: n for g, n in sizes.items() if g not in hidden}
    assert all(n >= minimum for n in shown.values())
    hidden_sum = sum(sizes.values()) - sum(shown.values())   # what the totals reveal
    if hidden and hidden_sum >= minimum:
        # Only the hidden groups' sum is known: with two or more of them, none is determined.
        assert len(hidden) >= 2
    elif hidden:
        # Too few respondents in all: every group is hidden (and the caller hides the totals).
        assert hidden == set(sizes)


# --- CSV ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_text_starting_like_a_formula_is_defused(text):
    assert rules.safe_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "cell"), [("Пловдив", "Пловдив"), ("a=b", "a=b"), (-3, -3), (2.5, 2.5), (None, ""),
                                             (True, "True")])
def test_other_cells_pass_unchanged(value, cell):
    assert rules.safe_cell(value) == cell


def test_times_load_as_aware_datetimes():
    assert load(survey([q("a", "text")]))["opens_at"] == datetime(2030, 1, 1, 8, tzinfo=timezone.utc)


def test_a_blank_text_is_named_once_and_spaces_alone_are_blank():
    for text, message in (("", "Length must be between 1 and 1000."), ("   ", "Must not be blank.")):
        errors = rules.BilingualSchema().validate({"bg": text, "en": "Text"})
        assert errors == {"bg": [message]}

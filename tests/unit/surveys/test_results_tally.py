"""The tallies of survey results, without I/O (hypothesis properties): taking an answer set
away undoes adding it, the tally of N answer sets is what counting them directly gives (an
oracle written apart from results.py), and the statistics read from a tally are those of
the answers themselves."""
from __future__ import annotations

import statistics
from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.members.surveys import results, rules
from shared import memberfilter


def t(text: str) -> dict[str, str]:
    return {"bg": f"{text} (bg)", "en": text}


def q(qid: str, kind: str, **extra) -> dict:
    question = {"id": qid, "kind": kind, "text": t(qid), **extra}
    if kind in rules.CHOICE_KINDS and "choices" not in extra:
        question["choices"] = [{"id": c, "text": t(c)} for c in ("a", "b", "c", "d")]
    return question


QUESTIONS = [q("one", rules.SINGLE, other=True), q("many", rules.MULTIPLE, other=True),
             q("plain", rules.MULTIPLE), q("stars", rules.SCALE, scale="1-5"),
             q("recommend", rules.SCALE, scale="nps"), q("age", rules.NUMBER, minimum=-50, maximum=1000),
             q("free", rules.TEXT), q("when", rules.DATE), q("where", rules.COUNTRY), q("agree", rules.YES_NO)]
SURVEY = {"_id": "s" * 32, "anonymous": False, "audience_size": 40,
          "sections": [{"id": "first", "title": t("first"), "questions": QUESTIONS[:5]},
                       {"id": "second", "title": t("second"), "questions": QUESTIONS[5:]}]}
BY_ID = {x["id"]: x for x in QUESTIONS}

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=20) \
    .filter(lambda s: s.strip())
numbers = st.one_of(st.integers(-50, 1000), st.floats(-50, 1000, allow_nan=False, allow_infinity=False))


@st.composite
def choice_answer(draw, question: dict) -> dict:
    ids = [c["id"] for c in question["choices"]]
    if question["kind"] == rules.SINGLE:
        return draw(st.one_of(st.sampled_from(ids).map(lambda c: {"choices": [c]}),
                              words.map(lambda w: {"other": w})))
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    other = draw(st.one_of(st.none(), words)) if question.get("other") else None
    if not chosen and other is None:
        chosen = [ids[0]]
    return {"choices": chosen, **({"other": other} if other is not None else {})}


ANSWERS = {
    "one": choice_answer(BY_ID["one"]), "many": choice_answer(BY_ID["many"]), "plain": choice_answer(BY_ID["plain"]),
    "stars": st.integers(1, 5), "recommend": st.integers(0, 10), "age": numbers, "free": words,
    "when": st.dates(date(1950, 1, 1), date(2040, 1, 1)).map(date.isoformat),
    "where": st.sampled_from(sorted(memberfilter.COUNTRIES)), "agree": st.booleans(),
}


@st.composite
def answer_sets(draw) -> dict:
    """A valid answer set: each question answered or not."""
    answered = draw(st.lists(st.sampled_from(list(ANSWERS)), unique=True))
    answers = {qid: draw(ANSWERS[qid]) for qid in answered}
    assert rules.validate_answers(SURVEY, answers, final=True) == {}
    return answers


def apply(tally: dict, inc: dict[str, int]) -> dict:
    """What MongoDB's ``$inc`` does to a document: a dotted path names nested fields."""
    for path, n in inc.items():
        *parents, leaf = path.split(".")
        node = tally
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = node.get(leaf, 0) + n
    return tally


def counts(tally: dict, prefix: str = "") -> Counter:
    """A tally as ``{path: count}`` without zeros (a count taken back to 0 stays stored)."""
    out = Counter()
    for name, value in tally.items():
        if isinstance(value, dict):
            out.update(counts(value, f"{prefix}{name}."))
        elif value:
            out[prefix + name] = value
    return out


def oracle(answer_list: list[dict]) -> Counter:
    """The tally counted directly, question by question, as an admin would by hand."""
    out = Counter()
    for answers in answer_list:
        out["respondents"] += 1
        for qid, value in answers.items():
            out[f"q.{qid}.answered"] += 1
            kind = BY_ID[qid]["kind"]
            if kind in rules.CHOICE_KINDS:
                for c in value.get("choices", []):
                    out[f"q.{qid}.choices.{c}"] += 1
                if value.get("other"):
                    out[f"q.{qid}.other"] += 1
            elif kind in (rules.SCALE, rules.NUMBER):
                text = str(int(value)) if float(value).is_integer() else repr(float(value)).replace(".", ",")
                out[f"q.{qid}.values.{text}"] += 1
            elif kind == rules.COUNTRY:
                out[f"q.{qid}.values.{value}"] += 1
            elif kind == rules.YES_NO:
                out[f"q.{qid}.{'yes' if value else 'no'}"] += 1
    return +out


def tally_of(answer_list: list[dict]) -> dict:
    tally: dict = {}
    for answers in answer_list:
        apply(tally, results.change(SURVEY, None, answers))
    return tally


@settings(max_examples=150, deadline=None)
@given(st.lists(answer_sets(), max_size=8), answer_sets())
def test_taking_an_answer_set_away_undoes_adding_it(standing, answers):
    tally = tally_of(standing)
    before = counts(tally)
    apply(tally, results.change(SURVEY, None, answers))
    assert counts(tally) != before  # it counted (respondents at least)
    apply(tally, results.change(SURVEY, answers, None))
    assert counts(tally) == before


@settings(max_examples=100, deadline=None)
@given(answer_sets())
def test_submitting_the_same_answers_again_changes_nothing(answers):
    assert results.change(SURVEY, answers, answers) == {}


@settings(max_examples=150, deadline=None)
@given(st.lists(answer_sets(), max_size=12))
def test_the_tally_of_answer_sets_is_their_direct_count(answer_list):
    assert counts(tally_of(answer_list)) == oracle(answer_list)


@settings(max_examples=100, deadline=None)
@given(st.lists(answer_sets(), max_size=6), answer_sets(), answer_sets())
def test_a_resubmission_counts_as_the_new_answers_only(others, old, new):
    tally = tally_of([*others, old])
    apply(tally, results.change(SURVEY, old, new))
    assert counts(tally) == oracle([*others, new])


@settings(max_examples=100, deadline=None)
@given(st.lists(answer_sets(), min_size=1, max_size=12))
def test_the_statistics_read_from_a_tally_are_those_of_the_answers(answer_list):
    tally = tally_of(answer_list)
    shown = {x["id"]: x for x in results.survey_results(SURVEY, tally)["questions"]}
    for qid in ("stars", "recommend", "age"):
        values = [a[qid] for a in answer_list if qid in a]
        assert shown[qid]["answered"] == len(values)
        if values:
            assert abs(shown[qid]["mean"] - statistics.mean(values)) < 1e-6
            assert abs(shown[qid]["median"] - statistics.median(values)) < 1e-9
        else:
            assert shown[qid]["mean"] is None and shown[qid]["median"] is None
    scores = [a["recommend"] for a in answer_list if "recommend" in a]
    if scores:
        expected = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
        assert abs(shown["recommend"]["nps"] - expected) < 1e-9
    stars = Counter(a["stars"] for a in answer_list if "stars" in a)
    assert shown["stars"]["distribution"] == {str(v): stars[v] for v in range(1, 6)}
    many = [a["many"] for a in answer_list if "many" in a]
    for choice in shown["many"]["choices"]:
        chose = sum(choice["id"] in a.get("choices", []) for a in many)
        assert choice["count"] == chose
        assert choice["share"] == (100 * chose / len(many) if many else None)
    agree = [a["agree"] for a in answer_list if "agree" in a]
    assert (shown["agree"]["yes"], shown["agree"]["no"]) == (agree.count(True), agree.count(False))


def test_a_number_with_a_fraction_is_counted_under_a_key_without_a_dot():
    assert results.change(SURVEY, None, {"age": 36.5})["q.age.values.36,5"] == 1
    assert results.change(SURVEY, None, {"age": 36.0}) == results.change(SURVEY, None, {"age": 36})
    shown = results.question_results(BY_ID["age"], {"answered": 2, "values": {"36,5": 1, "40": 1}})
    assert shown["distribution"] == {"36.5": 1, "40": 1} and shown["mean"] == 38.25


def test_an_answer_to_no_question_of_the_survey_counts_nowhere():
    assert results.change(SURVEY, None, {"gone": "x", "many": {"choices": ["a", "zz"]}}) == {"respondents": 1}


def test_a_respondent_counts_in_the_totals_and_one_group_of_each_breakdown():
    assert results.group_keys({"class": 2008, "faculty": None}) == [
        ("all", "all"), ("class", "2008"), ("faculty", results.NOT_GIVEN)]


def test_an_anonymous_survey_with_fewer_than_five_respondents_shows_no_answers():
    anonymous = {**SURVEY, "anonymous": True}
    tally = tally_of([{"agree": True}] * 4)
    shown = results.survey_results(anonymous, tally)
    assert shown["respondents"] == 4 and shown["totals_hidden"] and shown["questions"] == []
    shown = results.survey_results(anonymous, tally_of([{"agree": True}] * 5))
    assert not shown["totals_hidden"] and shown["questions"][-1]["yes"] == 5
    assert results.survey_results(SURVEY, tally)["questions"][-1]["yes"] == 4  # named: shown


def test_export_cells_cannot_run_as_formulas_and_choices_are_their_texts():
    row = results.export_row(SURVEY, {"member_id": "m1", "class": 2008, "faculty": "medicine", "answers": {
        "many": {"choices": ["b", "a"], "other": "=HYPERLINK(\"http://x\")"}, "free": "@SUM(A1)",
        "age": -3, "agree": False}})
    header = results.export_header(SURVEY)
    cell = dict(zip(header, row))
    assert cell["many: many (bg)"] == "b (bg); a (bg)"
    assert cell["many.other: many (bg) (друго)"] == "'=HYPERLINK(\"http://x\")"
    assert cell["free: free (bg)"] == "'@SUM(A1)"
    assert cell["age: age (bg)"] == -3 and cell["agree: agree (bg)"] == "не"
    assert cell["member_id"] == "m1" and cell["stars: stars (bg)"] == ""

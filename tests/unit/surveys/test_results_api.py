"""Survey results through the members app (Flask test client, the session's SecantusDB): the
counts and statistics of the results route read from the tallies that
``results_store.record`` keeps (and from nothing else), breakdowns by class and faculty,
small groups of anonymous surveys hidden for good, free texts a page at a time newest
first, and the CSV export (BOM, one row per submitted response, formulas neutralised,
Cyrillic intact)."""
from __future__ import annotations

import csv
import io
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient

from services.members.surveys import results_store, rules
from shared.commandcount import StoreCommands
from tests.support import assert_problem, bearer

SURVEYS = "/api/v1/members/surveys"
T0 = datetime(2030, 1, 10, 9, 0, tzinfo=timezone.utc)


def t(text: str) -> dict[str, str]:
    return {"bg": f"{text} (бг)", "en": text}


DEFINITION = {
    "title": {"bg": "Анкета за випускниците", "en": "Alumni survey"},
    "sections": [{"id": "about", "title": t("about"), "questions": [
        {"id": "work", "kind": "single_choice", "text": {"bg": "Къде работите?", "en": "Where do you work?"},
         "choices": [{"id": "hospital", "text": {"bg": "Болница", "en": "Hospital"}},
                     {"id": "practice", "text": {"bg": "Практика", "en": "Practice"}}], "other": True},
        {"id": "topics", "kind": "multiple_choice", "text": t("topics"),
         "choices": [{"id": "research", "text": {"bg": "Наука", "en": "Research"}},
                     {"id": "teaching", "text": {"bg": "Преподаване", "en": "Teaching"}},
                     {"id": "sport", "text": {"bg": "Спорт", "en": "Sport"}}]},
        {"id": "stars", "kind": "scale", "scale": "1-5", "text": t("stars")},
        {"id": "recommend", "kind": "scale", "scale": "nps", "text": t("recommend")},
        {"id": "years", "kind": "number", "text": t("years"), "minimum": 0, "maximum": 80},
        {"id": "volunteer", "kind": "yes_no", "text": t("volunteer")},
        {"id": "wish", "kind": "text", "text": {"bg": "Какво да подобрим?", "en": "What should we improve?"}},
    ]}],
    "opens_at": "2030-01-01T08:00:00+00:00", "closes_at": "2030-02-01T08:00:00+00:00",
    "audience": {"kind": "everyone"},
}


def make_survey(db, *, anonymous: bool = False, audience_size: int = 20) -> dict:
    """A survey document as the surveys store keeps it (SURVEYS.md), open."""
    loaded = rules.SurveySchema().load({**DEFINITION, "anonymous": anonymous})
    survey = {"_id": uuid.uuid4().hex, "status": "open", **loaded, "description": None, "created_by": "a" * 32,
              "created_at": T0, "updated_at": T0, "opened_at": T0, "closed_at": None,
              "audience_size": audience_size, "version": 1}
    db.surveys.insert_one(survey)
    return survey


class Responses:
    """Submitting responses as the submit route does: the response and its counts in one
    transaction (``results_store.record``)."""

    def __init__(self, store, survey: dict):
        self.store, self.survey, self.n = store, survey, 0

    def submit(self, answers: dict, *, year: int | None = 2008, faculty: str | None = "medicine",
               member_id: str | None = None) -> dict:
        self.n += 1
        answers = rules.drop_hidden(self.survey, answers)
        assert rules.validate_answers(self.survey, answers, final=True) == {}
        at = T0 + timedelta(minutes=self.n)
        if self.survey["anonymous"]:
            doc = {"_id": uuid.uuid4().hex, "survey_id": self.survey["_id"], "status": "submitted",
                   "answers": answers, "class": year, "faculty": faculty, "submitted_on": at.date().isoformat()}
        else:
            member_id = member_id or f"{self.n:032x}"
            doc = {"_id": f"{self.survey['_id']}:{member_id}", "survey_id": self.survey["_id"],
                   "member_id": member_id, "status": "submitted", "answers": answers, "class": year,
                   "faculty": faculty, "saved_at": at, "submitted_at": at, "proposals": []}

        def work(session):
            self.store.db.survey_responses.insert_one(doc, session=session)
            results_store.record(self.store.db, session, self.survey, self.groups(doc), None, answers)
        self.store.transaction(work)
        return doc

    @staticmethod
    def groups(doc: dict) -> dict:
        return {"class": None if doc["class"] is None else str(doc["class"]), "faculty": doc["faculty"]}

    def resubmit(self, doc: dict, answers: dict) -> None:
        def work(session):
            self.store.db.survey_responses.update_one({"_id": doc["_id"]}, {"$set": {"answers": answers}},
                                                      session=session)
            results_store.record(self.store.db, session, self.survey, self.groups(doc), doc["answers"], answers)
        self.store.transaction(work)
        doc["answers"] = answers

    def erase(self, doc: dict) -> None:
        def work(session):
            self.store.db.survey_responses.delete_one({"_id": doc["_id"]}, session=session)
            results_store.record(self.store.db, session, self.survey, self.groups(doc), doc["answers"], None)
        self.store.transaction(work)


@pytest.fixture
def store(app):
    return app.extensions["alumnet"].store


def results_of(client, headers, survey, **query) -> dict:
    response = client.get(f"{SURVEYS}/{survey['_id']}/results", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def by_id(questions: list[dict]) -> dict[str, dict]:
    return {x["id"]: x for x in questions}


# --- results -------------------------------------------------------------------------------

def test_results_count_choices_and_compute_mean_median_and_nps(client, db, store, admin_headers):
    survey = make_survey(db, audience_size=10)
    responses = Responses(store, survey)
    responses.submit({"work": {"choices": ["hospital"]}, "topics": {"choices": ["research", "teaching"]},
                      "stars": 5, "recommend": 10, "years": 12, "volunteer": True, "wish": "Повече лекции"})
    responses.submit({"work": {"choices": ["hospital"]}, "topics": {"choices": ["research"]},
                      "stars": 4, "recommend": 9, "years": 3.5, "volunteer": False})
    responses.submit({"work": {"other": "Фармацевтична фирма"}, "stars": 2, "recommend": 3, "volunteer": True})
    responses.submit({"work": {"choices": ["practice"]}, "stars": 4, "recommend": 7})

    shown = results_of(client, admin_headers, survey)
    assert (shown["respondents"], shown["audience_size"], shown["response_rate"]) == (4, 10, 0.4)
    assert shown["anonymous"] is False and shown["breakdown"] is None and shown["totals_hidden"] is False
    q = by_id(shown["questions"])
    assert [(c["id"], c["count"], c["share"]) for c in q["work"]["choices"]] == [
        ("hospital", 2, 50.0), ("practice", 1, 25.0)]
    assert q["work"]["other"] == 1 and q["work"]["text"] == DEFINITION["sections"][0]["questions"][0]["text"]
    assert [(c["id"], c["count"], c["share"]) for c in q["topics"]["choices"]] == [
        ("research", 2, 100.0), ("teaching", 1, 50.0), ("sport", 0, 0.0)]
    assert q["stars"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    assert (q["stars"]["mean"], q["stars"]["median"]) == (3.75, 4.0)
    assert q["recommend"]["nps"] == 25.0  # 2 promoters, 1 detractor of 4
    assert q["years"]["distribution"] == {"12": 1, "3.5": 1} and q["years"]["mean"] == 7.75
    assert (q["volunteer"]["yes"], q["volunteer"]["no"], q["volunteer"]["answered"]) == (2, 1, 3)
    assert q["wish"]["answered"] == 1 and q["wish"]["mean"] is None


def test_a_resubmission_and_an_erasure_move_the_counts(client, db, store, admin_headers):
    survey = make_survey(db)
    responses = Responses(store, survey)
    kept = responses.submit({"volunteer": True, "stars": 5})
    changed = responses.submit({"volunteer": True, "stars": 1}, faculty="pharmacy")
    responses.resubmit(changed, {"volunteer": False, "stars": 3})
    responses.erase(kept)
    shown = results_of(client, admin_headers, survey, by="faculty")
    q = by_id(shown["questions"])
    assert shown["respondents"] == 1 and (q["volunteer"]["yes"], q["volunteer"]["no"]) == (0, 1)
    assert q["stars"]["mean"] == 3.0
    # the erased member's group has no one left: it is no group
    assert [g["key"] for g in shown["breakdown"]["groups"]] == ["pharmacy"]


def test_a_recount_from_the_responses_gives_the_tallies_that_record_kept(db, store):
    survey = make_survey(db)
    responses = Responses(store, survey)
    docs = [responses.submit({"work": {"choices": ["hospital"]}, "stars": 1 + i % 5, "years": i / 2,
                              "volunteer": i % 2 == 0}, year=2000 + i % 3, faculty=(None, "pharmacy")[i % 2])
            for i in range(9)]
    responses.resubmit(docs[0], {"work": {"other": "Аптека"}, "recommend": 9})
    responses.erase(docs[1])

    def nonzero(node):
        if isinstance(node, dict):
            kept = {k: nonzero(v) for k, v in node.items() if k != "_id"}
            return {k: v for k, v in kept.items() if v not in (0, {})}
        return node

    def snapshot():
        totals, by_class = results_store.tallies(db, survey["_id"], "class")
        _, by_faculty = results_store.tallies(db, survey["_id"], "faculty")
        return [nonzero(t) for t in sorted([totals, *by_class, *by_faculty], key=lambda t: (t["by"], t["key"]))]

    kept = snapshot()
    results_store.recount(db, survey)
    assert snapshot() == kept and kept[0]["respondents"] == 8


def test_a_breakdown_by_class_lists_each_class_and_those_without_one_last(client, db, store, admin_headers):
    survey = make_survey(db)
    responses = Responses(store, survey)
    for year, stars in ((2010, 5), (2008, 4), (2008, 2), (None, 3)):
        responses.submit({"stars": stars}, year=year)
    breakdown = results_of(client, admin_headers, survey, by="class")["breakdown"]
    assert breakdown["by"] == "class" and breakdown["hidden"] == 0  # named: nothing hidden
    assert [(g["key"], g["respondents"], by_id(g["questions"])["stars"]["mean"]) for g in breakdown["groups"]] == [
        ("2008", 2, 3.0), ("2010", 1, 5.0), (None, 1, 3.0)]
    # the texts are in the totals once, not again in every group
    assert all("text" not in x for g in breakdown["groups"] for x in g["questions"])
    assert "text" not in by_id(breakdown["groups"][0]["questions"])["work"]["choices"][0]


def test_an_anonymous_breakdown_hides_small_groups_so_they_cannot_be_worked_out(client, db, store, admin_headers):
    survey = make_survey(db, anonymous=True)
    responses = Responses(store, survey)
    sizes = {"medicine": 7, "dental_medicine": 5, "public_health": 6, "pharmacy": 2}
    for faculty, n in sizes.items():
        for i in range(n):
            responses.submit({"volunteer": faculty == "pharmacy"}, faculty=faculty)
    shown = results_of(client, admin_headers, survey, by="faculty")
    breakdown = shown["breakdown"]
    keys = [g["key"] for g in breakdown["groups"]]
    assert "pharmacy" not in keys
    # pharmacy alone would be the totals minus the others: the smallest other goes with it
    assert keys == ["medicine", "public_health"] and breakdown["hidden"] == 2
    assert shown["respondents"] - sum(g["respondents"] for g in breakdown["groups"]) >= rules.MIN_GROUP
    yes_shown = sum(by_id(g["questions"])["volunteer"]["yes"] for g in breakdown["groups"])
    assert by_id(shown["questions"])["volunteer"]["yes"] - yes_shown == 2  # of 7 hidden people, not of 2
    named = make_survey(db)
    for faculty, n in sizes.items():
        for i in range(n):
            Responses(store, named).submit({"volunteer": True}, faculty=faculty, member_id=uuid.uuid4().hex)
    assert results_of(client, admin_headers, named, by="faculty")["breakdown"]["hidden"] == 0


def test_an_anonymous_survey_shows_no_answers_until_five_have_responded(client, db, store, admin_headers):
    survey = make_survey(db, anonymous=True)
    responses = Responses(store, survey)
    for i in range(4):
        responses.submit({"volunteer": True})
    shown = results_of(client, admin_headers, survey, by="class")
    assert shown["respondents"] == 4 and shown["totals_hidden"] is True and shown["questions"] == []
    assert shown["breakdown"]["groups"] == [] and shown["breakdown"]["hidden"] == 1
    responses.submit({"volunteer": True}, year=2011)
    shown = results_of(client, admin_headers, survey, by="class")
    assert shown["totals_hidden"] is False and by_id(shown["questions"])["volunteer"]["yes"] == 5
    assert shown["breakdown"]["groups"] == [] and shown["breakdown"]["hidden"] == 2


def test_a_survey_without_responses_has_zero_counts(client, db, admin_headers):
    survey = make_survey(db, anonymous=True)
    shown = results_of(client, admin_headers, survey, by="faculty")
    assert shown["respondents"] == 0 and shown["response_rate"] == 0.0
    assert by_id(shown["questions"])["stars"]["mean"] is None
    assert by_id(shown["questions"])["work"]["choices"][0]["share"] is None
    assert shown["breakdown"] == {"by": "faculty", "groups": [], "hidden": 0}


def test_the_results_read_the_survey_and_its_tallies_only(client, db, store, admin_headers, local_store):
    survey = make_survey(db)
    responses = Responses(store, survey)
    for i in range(30):
        responses.submit({"stars": 1 + i % 5, "volunteer": i % 3 == 0}, year=2000 + i % 7)
    expected = results_of(client, admin_headers, survey, by="class")
    counter = StoreCommands.install()  # before the client below, which then reports to it
    counted = MongoClient(local_store.url, tz_aware=True)
    saved = store.client, store.db
    store.client, store.db = counted, counted[db.name]
    try:
        with counter.counting(db.name) as seen:
            assert results_of(client, admin_headers, survey, by="class") == expected
    finally:
        store.client, store.db = saved
        counted.close()
    by_collection = Counter()
    for (_command, collection), n in seen.by_collection.items():
        by_collection[collection] += n
    assert by_collection["survey_responses"] == 0
    assert by_collection["survey_tallies"] == 1 and by_collection["surveys"] == 1
    db.survey_responses.delete_many({"survey_id": survey["_id"]})
    assert results_of(client, admin_headers, survey, by="class") == expected


def test_concurrent_submissions_are_all_counted(app, db, store):
    survey = make_survey(db)
    responses = Responses(store, survey)
    failures: list[BaseException] = []

    def submit(k: int) -> None:
        try:
            for i in range(5):
                responses.submit({"stars": 1 + (k + i) % 5}, member_id=f"{k:016x}{i:016x}",
                                 year=2000 + k % 2)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    totals, groups = results_store.tallies(db, survey["_id"], "class")
    assert totals["respondents"] == 30 and totals["q"]["stars"]["answered"] == 30
    assert sum(totals["q"]["stars"]["values"].values()) == 30
    assert {g["key"]: g["respondents"] for g in groups} == {"2000": 15, "2001": 15}


def test_results_refuse_an_unknown_survey_a_bad_breakdown_and_non_admins(client, db, admin_headers, issue_token):
    survey = make_survey(db)
    assert_problem(client.get(f"{SURVEYS}/{'f' * 32}/results", headers=admin_headers), 404)
    problem = assert_problem(client.get(f"{SURVEYS}/{survey['_id']}/results", query_string={"by": "city"},
                                        headers=admin_headers), 422)
    assert "by" in problem["errors"]
    assert_problem(client.get(f"{SURVEYS}/{survey['_id']}/results"), 401)
    member = bearer(issue_token("m" * 32, "alumnus"))
    for path in ("results", "results/texts/wish", "export.csv"):
        assert_problem(client.get(f"{SURVEYS}/{survey['_id']}/{path}", headers=member), 403)


# --- free texts ----------------------------------------------------------------------------

def texts(client, headers, survey, qid, **query):
    response = client.get(f"{SURVEYS}/{survey['_id']}/results/texts/{qid}", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_free_texts_come_a_page_at_a_time_newest_first(client, db, store, admin_headers):
    survey = make_survey(db)
    responses = Responses(store, survey)
    docs = [responses.submit({"wish": f"Желание {i}", "work": {"other": f"Друго {i}"} if i % 2 else
                              {"choices": ["hospital"]}}) for i in range(25)]
    responses.submit({"stars": 3})  # no text
    draft = {**docs[0], "_id": f"{survey['_id']}:{'d' * 32}", "status": "draft", "wish": "чернова"}
    db.survey_responses.insert_one(draft)
    first = texts(client, admin_headers, survey, "wish", per_page=10)
    assert first["total"] == 25 and [i["text"] for i in first["items"]] == [f"Желание {i}" for i in range(24, 14, -1)]
    assert first["items"][0]["member_id"] == docs[24]["member_id"]
    last = texts(client, admin_headers, survey, "wish", per_page=10, page=3)
    assert [i["text"] for i in last["items"]] == [f"Желание {i}" for i in range(4, -1, -1)]
    other = texts(client, admin_headers, survey, "work", per_page=100)
    assert [i["text"] for i in other["items"]] == [f"Друго {i}" for i in range(23, 0, -2)]


def test_blank_other_texts_are_not_listed(client, db, store, admin_headers):
    survey = make_survey(db)
    Responses(store, survey).submit({"work": {"other": "Университет"}})
    # stored as a submission may keep them: an "other" of spaces beside a choice
    db.survey_responses.insert_one({"_id": uuid.uuid4().hex, "survey_id": survey["_id"], "status": "submitted",
                                    "answers": {"work": {"choices": ["hospital"], "other": "   "}},
                                    "submitted_at": T0})
    db.survey_responses.insert_one({"_id": uuid.uuid4().hex, "survey_id": survey["_id"], "status": "submitted",
                                    "answers": {"work": {"choices": ["hospital"], "other": ""}}, "submitted_at": T0})
    listed = texts(client, admin_headers, survey, "work")
    assert [i["text"] for i in listed["items"]] == ["Университет"] and listed["total"] == 1


def test_anonymous_free_texts_carry_nothing_but_the_text(client, db, store, admin_headers):
    survey = make_survey(db, anonymous=True)
    Responses(store, survey).submit({"wish": "Анонимно"})
    assert texts(client, admin_headers, survey, "wish")["items"] == [{"text": "Анонимно"}]


def test_texts_of_an_unknown_question_or_one_without_free_text_are_not_found(client, db, admin_headers):
    survey = make_survey(db)
    for qid in ("nope", "stars", "topics"):
        assert_problem(client.get(f"{SURVEYS}/{survey['_id']}/results/texts/{qid}", headers=admin_headers), 404)
    assert_problem(client.get(f"{SURVEYS}/{'f' * 32}/results/texts/wish", headers=admin_headers), 404)


# --- the export ----------------------------------------------------------------------------

def export(client, headers, survey) -> tuple[object, list[list[str]]]:
    response = client.get(f"{SURVEYS}/{survey['_id']}/export.csv", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return response, list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_export_has_a_row_per_submitted_response_with_formulas_neutralised(client, db, store, admin_headers):
    survey = make_survey(db)
    responses = Responses(store, survey)
    first = responses.submit({"work": {"other": "=cmd|' /C calc'!A0"}, "topics": {"choices": ["teaching", "research"]},
                              "years": 0.5, "volunteer": True, "wish": "Повече срещи, „моля“;\nи лекции"},
                             member_id="1" * 32)
    responses.submit({"work": {"choices": ["hospital"]}, "recommend": 10, "volunteer": False, "wish": "-2+3"},
                     year=None, faculty=None, member_id="2" * 32)
    db.survey_responses.insert_one({"_id": f"{survey['_id']}:{'3' * 32}", "survey_id": survey["_id"],
                                    "member_id": "3" * 32, "status": "draft", "answers": {"wish": "чернова"}})
    response, rows = export(client, admin_headers, survey)
    assert "attachment" in response.headers["Content-Disposition"]
    header, *body = rows
    assert header[:4] == ["member_id", "class", "faculty", "submitted_at"]
    assert "work: Къде работите?" in header and "work.other: Къде работите? (друго)" in header
    assert len(body) == 2
    cell = [dict(zip(header, row)) for row in body]
    assert cell[0]["member_id"] == first["member_id"] and cell[0]["class"] == "2008"
    assert cell[0]["submitted_at"] == first["submitted_at"].isoformat()
    assert cell[0]["work.other: Къде работите? (друго)"] == "'=cmd|' /C calc'!A0"
    assert cell[0]["topics: topics (бг)"] == "Преподаване; Наука"
    assert cell[0]["years: years (бг)"] == "0.5" and cell[0]["volunteer: volunteer (бг)"] == "да"
    assert cell[0]["wish: Какво да подобрим?"] == "Повече срещи, „моля“;\nи лекции"
    assert cell[1]["work: Къде работите?"] == "Болница" and cell[1]["class"] == ""
    assert cell[1]["wish: Какво да подобрим?"] == "'-2+3" and cell[1]["recommend: recommend (бг)"] == "10"


def test_an_anonymous_export_holds_the_answers_only(client, db, store, admin_headers):
    survey = make_survey(db, anonymous=True)
    responses = Responses(store, survey)
    for i in range(3):
        responses.submit({"stars": i + 1}, year=2000 + i)
    _, (header, *body) = export(client, admin_headers, survey)
    assert header[0] == "work: Къде работите?" and not {"member_id", "class", "faculty"} & set(header)
    assert sorted(dict(zip(header, row))["stars: stars (бг)"] for row in body) == ["1", "2", "3"]


def test_the_export_streams_many_responses_from_a_cursor(client, db, admin_headers):
    survey = make_survey(db)
    db.survey_responses.insert_many([
        {"_id": f"{survey['_id']}:{i:032x}", "survey_id": survey["_id"], "member_id": f"{i:032x}",
         "status": "submitted", "answers": {"wish": "Ж" * 200}, "class": 2000, "faculty": "medicine",
         "submitted_at": T0} for i in range(1200)])
    response = client.get(f"{SURVEYS}/{survey['_id']}/export.csv", headers=admin_headers)
    chunks = list(response.response)
    assert len(chunks) > 2  # sent in pieces as the cursor is read, not as one body
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    assert len(rows) == 1201 and len({r[0] for r in rows[1:]}) == 1200


def test_the_export_of_an_unknown_survey_is_not_found(client, admin_headers):
    assert_problem(client.get(f"{SURVEYS}/{'f' * 32}/export.csv", headers=admin_headers), 404)

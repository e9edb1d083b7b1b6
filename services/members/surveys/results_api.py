"""HTTP routes of survey results (admins only): the counts and statistics of a survey, by
class or faculty if asked, read from the tallies alone; its free-text answers a page at a
time; and every submitted response as a CSV file, streamed from a cursor.

What is counted and hidden (small groups of anonymous surveys) is ``results.py``.
"""
from __future__ import annotations

from collections.abc import Iterator

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.members.surveys import results
from services.members.surveys import results_store
from shared import csvexport
from shared.auth import require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("survey_results", __name__, url_prefix="/api/v1/members/surveys",
                description="Results of surveys: statistics, free texts and the CSV export (admins only).")


class BilingualOutSchema(Schema):
    bg = fields.String(required=True)
    en = fields.String(required=True)


class ChoiceResultSchema(Schema):
    id = fields.String(required=True)
    text = fields.Nested(BilingualOutSchema, metadata={"description": "in the totals (a group's choices have none)"})
    count = fields.Integer(required=True)
    share = fields.Float(required=True, allow_none=True, metadata={
        "description": "percentage of those who answered the question (a multiple choice's add past 100)"})


class GroupQuestionResultSchema(Schema):
    """A question's results in a group of a breakdown: its texts are in the totals."""

    id = fields.String(required=True)
    kind = fields.String(required=True)
    answered = fields.Integer(required=True)
    choices = fields.List(fields.Nested(ChoiceResultSchema), allow_none=True,
                          metadata={"description": "choice questions, in the question's order"})
    other = fields.Integer(allow_none=True, metadata={"description": "choice questions with an 'other' answer"})
    mean = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True, metadata={
        "description": "value -> count: scale (every point of the scale), number, country"})
    nps = fields.Float(allow_none=True, metadata={"description": "0-10 scales: Net Promoter Score, -100..100"})
    yes = fields.Integer(allow_none=True)
    no = fields.Integer(allow_none=True)


class QuestionResultSchema(GroupQuestionResultSchema):
    text = fields.Nested(BilingualOutSchema, required=True)


class GroupResultSchema(Schema):
    key = fields.String(required=True, allow_none=True, metadata={
        "description": "the class (graduation year) or faculty; null: not given"})
    respondents = fields.Integer(required=True)
    questions = fields.List(fields.Nested(GroupQuestionResultSchema), required=True)


class BreakdownSchema(Schema):
    by = fields.String(required=True)
    groups = fields.List(fields.Nested(GroupResultSchema), required=True)
    hidden = fields.Integer(required=True, metadata={
        "description": "groups not shown (anonymous surveys: fewer than 5 respondents, or needed to keep "
                       "those from being worked out from the totals)"})


class ResultsSchema(Schema):
    survey_id = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    audience_size = fields.Integer(allow_none=True, metadata={"description": "verified members of the audience at open"})
    respondents = fields.Integer(required=True)
    response_rate = fields.Float(allow_none=True, metadata={"description": "0..1; null before the survey opens"})
    totals_hidden = fields.Boolean(required=True, metadata={
        "description": "an anonymous survey with 1 to 4 respondents: no answers are shown (questions is empty)"})
    questions = fields.List(fields.Nested(QuestionResultSchema), required=True)
    breakdown = fields.Nested(BreakdownSchema, allow_none=True)


class ResultsQuerySchema(Schema):
    by = fields.String(validate=validate.OneOf(results.BREAKDOWNS),
                       metadata={"description": "also the results of each class or faculty"})


class TextAnswerSchema(Schema):
    text = fields.String(required=True)
    member_id = fields.String(metadata={"description": "named surveys only"})
    submitted_at = fields.AwareDateTime(metadata={"description": "named surveys only"})


TextPageSchema = pagination.page_schema(TextAnswerSchema, "SurveyTextPage", "newest first")


def _survey(survey_id: str) -> dict:
    survey = results_store.get_survey(current_service().store.db, survey_id)
    if survey is None:
        raise Problem(404, "No such survey.", kind="not-found")
    return survey


@blp.route("/<survey_id>/results")
class SurveyResults(MethodView):
    @require_auth("admin")
    @blp.arguments(ResultsQuerySchema, location="query")
    @blp.response(200, ResultsSchema)
    @blp.alt_response(404, description="No such survey (problem+json).")
    def get(self, query: dict, survey_id: str):
        """A survey's results: per question the answers counted (choices with their share of
        those who answered, mean, median and distribution of numbers and scales, NPS of 0-10
        scales, yes and no), and with `by` the same per class or faculty. Read from counts
        kept as responses arrive, not from the responses. Anonymous surveys hide groups of
        fewer than 5 respondents (and the smallest others as needed), and every answer while
        the survey has fewer than 5."""
        survey = _survey(survey_id)
        totals, groups = results_store.tallies(current_service().store.db, survey_id, query.get("by"))
        return results.survey_results(survey, totals, query.get("by"), groups)


@blp.route("/<survey_id>/results/texts/<question_id>")
class SurveyTexts(MethodView):
    @require_auth("admin")
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, TextPageSchema)
    @blp.alt_response(404, description="No such survey, or no free-text question of it (problem+json).")
    def get(self, query: dict, survey_id: str, question_id: str):
        """The free-text answers to a text question, or the 'other' answers to a choice
        question, newest first. Anonymous surveys give the texts alone."""
        survey = _survey(survey_id)
        question = results.find_question(survey, question_id)
        field = results.text_field(question) if question is not None else None
        if field is None:
            raise Problem(404, "The survey has no free-text question with this id.", kind="not-found")
        docs, total = results_store.texts_page(current_service().store.db, survey_id, field,
                                               query["page"], query["per_page"])
        items = []
        for doc in docs:
            item = {"text": results.free_text(question, doc.get("answers") or {})}
            if not survey.get("anonymous"):
                item |= {"member_id": doc.get("member_id"), "submitted_at": doc.get("submitted_at")}
            items.append(item)
        return pagination.page(items, query, total)


def _csv_stream(survey: dict, responses: Iterator[dict]) -> Iterator[bytes]:
    return csvexport.stream(results.export_header(survey),
                            (results.export_row(survey, response) for response in responses))


@blp.route("/<survey_id>/export.csv")
class SurveyExport(MethodView):
    @require_auth("admin")
    @blp.doc(responses={"200": {"description": "One row per submitted response (UTF-8 with a BOM, for Excel).",
                                "content": {"text/csv": {"schema": {"type": "string"}}}},
                        "404": {"description": "No such survey (problem+json)."}})
    def get(self, survey_id: str):
        """Every submitted response as CSV, one row each: for named surveys the member, class,
        faculty and time, then a column per question (headed by its id and Bulgarian text;
        choices as their texts joined by "; ", a column for 'other' texts). Cells that a
        spreadsheet would run as formulas start with an apostrophe."""
        survey = _survey(survey_id)
        responses = results_store.submitted(current_service().store.db, survey_id)
        return Response(_csv_stream(survey, responses), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="survey-{survey_id}.csv"',
                                 "Cache-Control": "no-store"})

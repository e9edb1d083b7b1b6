"""HTTP schemas of award cycles: what the office sends to define a cycle, what members send to
nominate and judges to score, and what the routes answer. Relations between fields (dates in
order, unique ids) are the rules' (``rules.cycle_errors``), checked on the whole cycle."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.awards.cycles import judging, rules
from services.awards.ledger import rules as ledger_rules
from shared.auth import ROLES
from shared.memberfilter import MemberFilterSchema
from shared.web import pagination

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}\Z", error="Lower-case letters, digits and hyphens (2 to 40).")
MEMBER_ID = validate.Length(min=1, max=64)
MAX_CATEGORIES, MAX_CRITERIA, MAX_JUDGES, MAX_WINNERS = 20, 10, 30, 5
MIN_STATEMENT, MAX_STATEMENT = 20, 4000
MAX_SHORTLIST = 50


class AwardTitleSchema(Schema):
    bg = fields.String(required=True, validate=validate.Length(min=1, max=200))
    en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AwardTextSchema(Schema):
    bg = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    en = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CyclePhasesSchema(Schema):
    nominations_from = fields.AwareDateTime(required=True)
    nominations_until = fields.AwareDateTime(required=True)
    confirmation_until = fields.AwareDateTime(required=True, metadata={
        "description": "nominees confirm until then (the one-click links expire)"})
    judging_until = fields.AwareDateTime(required=True)
    results_at = fields.AwareDateTime(required=True, metadata={"description": "the planned announcement"})


class EligibilityRuleSchema(Schema):
    rule = fields.String(required=True, validate=validate.OneOf(rules.RULE_CODES))
    years = fields.Integer(validate=validate.Range(1, 80), metadata={
        "description": f"for {' and '.join(rules.NEEDS_YEARS)}"})
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1, max=5),
                        metadata={"description": f"for {' and '.join(rules.NEEDS_ROLES)}"})

    @validates_schema
    def _parameters(self, data: dict, **_) -> None:
        if data.get("rule") in rules.NEEDS_YEARS and "years" not in data:
            raise ValidationError(f"Required by {data['rule']}.", "years")
        if data.get("rule") in rules.NEEDS_ROLES and "roles" not in data:
            raise ValidationError(f"Required by {data['rule']}.", "roles")


class CriterionSchema(Schema):
    key = fields.String(required=True, validate=SLUG)
    title = fields.Nested(AwardTitleSchema, required=True)
    weight = fields.Float(required=True, validate=validate.Range(min=0, max=100, min_inclusive=False),
                          metadata={"description": "relative: weights are divided by their sum"})


class CategoryInSchema(Schema):
    category_id = fields.String(required=True, validate=SLUG, metadata={
        "description": "the same id across years (not_recent_winner reads past winners by it)"})
    title = fields.Nested(AwardTitleSchema, required=True)
    description = fields.Nested(AwardTextSchema, required=True)
    standings_category = fields.String(load_default="overall",
                                       validate=validate.OneOf(ledger_rules.STANDINGS))
    self_nomination = fields.Boolean(load_default=False)
    eligibility = fields.List(fields.Nested(EligibilityRuleSchema), load_default=list,
                              validate=validate.Length(max=len(rules.RULE_CODES)))
    rubric = fields.List(fields.Nested(CriterionSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_CRITERIA))
    max_winners = fields.Integer(load_default=1, validate=validate.Range(1, MAX_WINNERS))


def _cycle_fields(required: bool) -> dict:
    """The fields of a cycle's definition: all required to create one (with defaults), all
    optional to change a draft."""
    def need(**options):
        return {"required": True, **options} if required else {}

    def default(value):
        return {"load_default": value} if required else {}

    return {
        "year": fields.Integer(**need(), validate=validate.Range(2000, 2100)),
        "title": fields.Nested(AwardTitleSchema, **need()),
        "rules_version": fields.String(**default(ledger_rules.CURRENT), validate=validate.Length(max=20)),
        "activity_from": fields.AwareDateTime(metadata={"description": "default: 1 January of the year, Sofia"}),
        "activity_to": fields.AwareDateTime(metadata={"description": "default: 1 January of the next year"}),
        "phases": fields.Nested(CyclePhasesSchema, **need()),
        "audience": fields.Nested(MemberFilterSchema, **default(dict), metadata={
            "description": "who is invited to nominate and told the winners; {} every verified member"}),
        "judges": fields.List(fields.String(validate=MEMBER_ID), **default(list),
                              validate=validate.Length(max=MAX_JUDGES),
                              metadata={"description": "member ids, each with the role judge"}),
        "categories": fields.List(fields.Nested(CategoryInSchema), **need(),
                                  validate=validate.Length(min=1, max=MAX_CATEGORIES)),
    }


CycleInSchema = Schema.from_dict(_cycle_fields(True), name="CycleIn")
CyclePatchSchema = Schema.from_dict(_cycle_fields(False), name="CyclePatch")


class CategoryOutSchema(CategoryInSchema):
    decided = fields.Boolean(metadata={"description": "the office chose its winners (or no award)"})


class CycleOutSchema(Schema):
    """A cycle: members see its definition and phase; the office also its judges, audience,
    rules version, activity period and decisions."""

    id = fields.String(required=True)
    year = fields.Integer(required=True)
    title = fields.Nested(AwardTitleSchema, required=True)
    status = fields.String(required=True, metadata={"description": ", ".join(rules.STATUSES)})
    phase = fields.String(required=True, metadata={"description": ", ".join(rules.PHASES)})
    phases = fields.Nested(CyclePhasesSchema, required=True)
    categories = fields.List(fields.Nested(CategoryOutSchema), required=True)
    rules_version = fields.String()
    activity_from = fields.AwareDateTime()
    activity_to = fields.AwareDateTime()
    audience = fields.Dict()
    judges = fields.List(fields.String())
    decisions = fields.Dict()
    opened_at = fields.AwareDateTime(allow_none=True)
    announced_at = fields.AwareDateTime(allow_none=True)


CycleListQuerySchema = pagination.page_query_schema(name="CycleListQuery")
CyclePageSchema = pagination.page_schema(CycleOutSchema, "CyclePage")


class NominateInSchema(Schema):
    nominee_id = fields.String(required=True, validate=MEMBER_ID)
    statement = fields.String(required=True, validate=validate.Length(min=MIN_STATEMENT, max=MAX_STATEMENT),
                              metadata={"description": "why this person: shown to the judges as written"})


class PersonNameSchema(Schema):
    member_id = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)


class StatementOutSchema(Schema):
    index = fields.Integer(required=True)
    statement = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    nominator_id = fields.String(metadata={"description": "the office's view and the nominator's own only"})
    nominator = fields.Nested(PersonNameSchema, metadata={"description": "the office's view only"})
    redacted = fields.Dict(allow_none=True, metadata={"description": "{by, at}: the office redacted it"})


class NominationOutSchema(Schema):
    id = fields.String(required=True)
    cycle_id = fields.String(required=True)
    category_id = fields.String(required=True)
    category = fields.Nested(AwardTitleSchema, metadata={"description": "the category's title"})
    nominee_id = fields.String(required=True)
    nominee = fields.Nested(PersonNameSchema)
    status = fields.String(required=True, metadata={"description": "awaiting, confirmed, declined"})
    statements = fields.List(fields.Nested(StatementOutSchema))
    details = fields.String(allow_none=True)
    submitted_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decide_by = fields.AwareDateTime(metadata={"description": "the nominee decides until then"})
    year = fields.Integer(metadata={"description": "the cycle's year"})
    cycle_title = fields.Nested(AwardTitleSchema, metadata={"description": "the cycle's title"})
    phase = fields.String(metadata={"description": "the cycle's phase now"})
    merged = fields.Boolean(metadata={"description": "in a nomination's answer: true when the person was "
                                                     "already nominated and the statement was added"})
    already = fields.Boolean(metadata={"description": "in a decision's answer: true when decided so before"})


class NominationDecisionInSchema(Schema):
    details = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_STATEMENT),
                            metadata={"description": "what the nominee adds for the judges (on confirming)"})


class MyNominationsSchema(Schema):
    of_me = fields.List(fields.Nested(NominationOutSchema), required=True)
    by_me = fields.List(fields.Nested(NominationOutSchema), required=True)


class CycleNominationsQuerySchema(Schema):
    category_id = fields.String(validate=SLUG)
    status = fields.String(validate=validate.OneOf(("awaiting", "confirmed", "declined")))


class CycleNominationsSchema(Schema):
    items = fields.List(fields.Nested(NominationOutSchema), required=True)


class RedactionInSchema(Schema):
    statement = fields.String(required=True, validate=validate.Length(min=1, max=MAX_STATEMENT),
                              metadata={"description": "the statement as the judges will read it"})


class ShortlistInSchema(Schema):
    top = fields.Integer(required=True, validate=validate.Range(1, MAX_SHORTLIST))


class ShortlistSkipSchema(Schema):
    member_id = fields.String(required=True)
    rule = fields.String(required=True)
    explanation = fields.String(required=True)


class ShortlistOutSchema(Schema):
    nominated = fields.List(fields.Nested(NominationOutSchema), required=True)
    skipped = fields.List(fields.Nested(ShortlistSkipSchema), required=True,
                          metadata={"description": "members of the top N refused by a rule"})


class BallotSchema(Schema):
    """A confirmed nomination as a judge sees it: blind."""

    ballot_id = fields.String(required=True, metadata={"description": "opaque; stable for this judge"})
    statements = fields.List(fields.String(), required=True)
    details = fields.String(allow_none=True)
    my_scores = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True)
    my_weighted = fields.Float(allow_none=True)
    conflict = fields.Boolean(required=True, metadata={"description": "the judge declared a conflict, or "
                                                                      "nominated this person: no score"})


class RubricOutSchema(Schema):
    key = fields.String(required=True)
    title = fields.Nested(AwardTitleSchema, required=True)
    weight = fields.Float(required=True, metadata={"description": "normalised: the weights sum to 1"})


class JudgingCategorySchema(Schema):
    category_id = fields.String(required=True)
    title = fields.Nested(AwardTitleSchema, required=True)
    rubric = fields.List(fields.Nested(RubricOutSchema), required=True)
    ballots = fields.List(fields.Nested(BallotSchema), required=True)


class JudgingSchema(Schema):
    cycle_id = fields.String(required=True)
    phase = fields.String(required=True)
    judging_until = fields.AwareDateTime(required=True)
    categories = fields.List(fields.Nested(JudgingCategorySchema), required=True)


class ScoreInSchema(Schema):
    scores = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Float(validate=validate.Range(judging.MIN_SCORE, judging.MAX_SCORE)),
                         required=True, metadata={"description": "criterion key -> 0..10, every criterion"})


class ConflictInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class JudgeScoreSchema(Schema):
    judge_id = fields.String(allow_none=True, metadata={"description": "null: the judge was erased"})
    weighted = fields.Float(required=True)


class ResultNomineeSchema(Schema):
    nomination_id = fields.String(required=True)
    nominee = fields.Nested(PersonNameSchema, required=True)
    rank = fields.Integer(required=True)
    judges = fields.Integer(required=True)
    mean = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    std_dev = fields.Float(allow_none=True, metadata={"description": "population standard deviation"})
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    scores = fields.List(fields.Nested(JudgeScoreSchema), required=True)
    conflicts = fields.Integer(required=True)
    standings_points = fields.Float(required=True)
    confirmed_at = fields.AwareDateTime(required=True)


class ResultCategorySchema(Schema):
    category_id = fields.String(required=True)
    title = fields.Nested(AwardTitleSchema, required=True)
    standings_category = fields.String(required=True)
    max_winners = fields.Integer(required=True)
    decision = fields.Dict(allow_none=True)
    nominees = fields.List(fields.Nested(ResultNomineeSchema), required=True)


class ResultsSchema(Schema):
    cycle_id = fields.String(required=True)
    phase = fields.String(required=True)
    tie_break = fields.String(required=True)
    categories = fields.List(fields.Nested(ResultCategorySchema), required=True)


class WinnersInSchema(Schema):
    nomination_ids = fields.List(fields.String(validate=MEMBER_ID), validate=validate.Length(min=1, max=MAX_WINNERS))
    no_award = fields.Boolean(load_default=False)
    reason = fields.String(validate=validate.Length(min=1, max=1000))
    citations = fields.Dict(keys=fields.String(), values=fields.Nested(AwardTextSchema), load_default=dict,
                            metadata={"description": "nomination id -> {bg, en}: the citation announced"})

    @validates_schema
    def _one_way(self, data: dict, **_) -> None:
        if data.get("no_award"):
            if data.get("nomination_ids"):
                raise ValidationError("No winners with no_award.", "nomination_ids")
            if not data.get("reason"):
                raise ValidationError("Say why there is no award.", "reason")
        elif not data.get("nomination_ids"):
            raise ValidationError("Choose the winners, or no_award with a reason.", "nomination_ids")


class WinnerOutSchema(Schema):
    member_id = fields.String(allow_none=True, metadata={"description": "null: the winner was erased"})
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    citation = fields.Nested(AwardTextSchema, allow_none=True)


class WinnersCategorySchema(Schema):
    category_id = fields.String(required=True)
    title = fields.Nested(AwardTitleSchema, required=True)
    no_award = fields.Boolean(required=True)
    winners = fields.List(fields.Nested(WinnerOutSchema), required=True)


class WinnersSchema(Schema):
    cycle_id = fields.String(required=True)
    year = fields.Integer(required=True)
    title = fields.Nested(AwardTitleSchema, metadata={"description": "the cycle's title"})
    announced_at = fields.AwareDateTime(allow_none=True)
    categories = fields.List(fields.Nested(WinnersCategorySchema), required=True)

"""HTTP schemas of the engagement ledger's routes: what they take (query strings) and what
they answer (points as numbers with two decimals at most; ranks are competition ranks)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.awards.ledger import rules

MAX_STANDINGS = 100


class EngagementQuerySchema(Schema):
    cycle_id = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "a cycle; without it the latest cycle that has started, or the running year"})


class StandingsQuerySchema(Schema):
    category = fields.String(load_default=rules.OVERALL, validate=validate.OneOf(rules.STANDINGS))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_STANDINGS))


class CategoryPointsSchema(Schema):
    category = fields.String(required=True, metadata={"description": "one of " + ", ".join(rules.STANDINGS)})
    points = fields.Float(required=True)
    rank = fields.Integer(allow_none=True, required=True, metadata={
        "description": "1 + members with more points in the cycle; null without points or without a cycle"})


class SourcePointsSchema(Schema):
    event_type = fields.String(required=True, metadata={"description": "the source of the points"})
    category = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "activities credited"})
    raw_points = fields.Float(required=True, metadata={"description": "before the caps"})
    capped_points = fields.Float(required=True, metadata={"description": "what counts: after the caps per period"})


class EngagementSchema(Schema):
    member_id = fields.String(required=True)
    cycle_id = fields.String(allow_none=True, required=True, metadata={
        "description": "null: the running year under the current rules (no cycle has started)"})
    rules_version = fields.String(required=True)
    activity_from = fields.AwareDateTime(required=True)
    activity_to = fields.AwareDateTime(required=True)
    totals = fields.List(fields.Nested(CategoryPointsSchema), required=True)
    breakdown = fields.List(fields.Nested(SourcePointsSchema), required=True)


class StandingSchema(Schema):
    member_id = fields.String(required=True)
    given_name = fields.String(allow_none=True, required=True, metadata={"description": "null: not in the members view"})
    family_name = fields.String(allow_none=True, required=True)
    points = fields.Float(required=True)
    rank = fields.Integer(required=True)


class StandingsSchema(Schema):
    cycle_id = fields.String(required=True)
    category = fields.String(required=True)
    items = fields.List(fields.Nested(StandingSchema), required=True)

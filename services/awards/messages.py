"""Events the awards service publishes and the schemas of their ``data``.

- ``awards.cycle.opened``: notifications invites the cycle's audience to nominate (consent
  category ``awards``), linking ``/awards/cycles/<cycle_id>``.
- ``awards.nomination.submitted``: the first nomination of a person in a category (a merged
  one publishes nothing); notifications emails the nominee the one-click confirm and decline
  links (``shared.decisionlink.NOMINATION_DECISION``, until ``decide_by``). Nominators are
  never named in it.
- ``awards.nomination.confirmed`` / ``.declined``: the nominee's decision.
- ``awards.winner.announced``: one per winner at the announcement; notifications congratulates
  the winner and tells the audience.

A ``Party`` is what a notification needs to address a member: id, names, language.
"""
from marshmallow import Schema, fields, validate

from shared.bus.envelope import EventCatalog

CATALOG = EventCatalog("awards")


class BilingualData(Schema):
    bg = fields.String(required=True)
    en = fields.String(required=True)


class PartyData(Schema):
    member_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    preferred_language = fields.String(allow_none=True, validate=validate.OneOf(["bg", "en"]))


class OpenedCategoryData(Schema):
    category_id = fields.String(required=True)
    title = fields.Nested(BilingualData, required=True)
    description = fields.Nested(BilingualData, required=True)
    self_nomination = fields.Boolean(required=True)


class CycleOpenedData(Schema):
    """The office opened a cycle: who may be nominated in which categories, until when."""

    cycle_id = fields.String(required=True)
    year = fields.Integer(required=True)
    title = fields.Nested(BilingualData, required=True)
    categories = fields.List(fields.Nested(OpenedCategoryData), required=True)
    nominations_until = fields.AwareDateTime(required=True)
    audience = fields.Dict(required=True, metadata={"description": "a member filter (shared.memberfilter); "
                                                                   "{} is every verified member"})
    opened_at = fields.AwareDateTime(required=True)


class CategoryRefData(Schema):
    category_id = fields.String(required=True)
    title = fields.Nested(BilingualData, required=True)


class NominationSubmittedData(Schema):
    """A person was nominated in a category for the first time: they are asked to confirm."""

    nomination_id = fields.String(required=True)
    cycle_id = fields.String(required=True)
    year = fields.Integer(required=True)
    category = fields.Nested(CategoryRefData, required=True)
    nominee_id = fields.String(required=True)
    nominee = fields.Nested(PartyData, required=True)
    decide_by = fields.AwareDateTime(required=True, metadata={"description": "the cycle's confirmation_until: "
                                                                             "the one-click links expire then"})
    submitted_at = fields.AwareDateTime(required=True)


class NominationDecidedData(Schema):
    """The nominee confirmed (the nomination goes to the judges) or declined it (notifications
    sends the nominee a receipt: the category, the year, when the results are due)."""

    nomination_id = fields.String(required=True)
    cycle_id = fields.String(required=True)
    year = fields.Integer(required=True)
    category_id = fields.String(required=True)
    category = fields.Nested(CategoryRefData, required=True)
    nominee_id = fields.String(required=True)
    results_at = fields.AwareDateTime(required=True, metadata={"description": "the planned announcement"})
    at = fields.AwareDateTime(required=True)


class WinnerAnnouncedData(Schema):
    """One winner of one category, at the cycle's announcement."""

    cycle_id = fields.String(required=True)
    year = fields.Integer(required=True)
    category = fields.Nested(CategoryRefData, required=True)
    winner_id = fields.String(required=True)
    winner = fields.Nested(PartyData, required=True)
    citation = fields.Nested(BilingualData, allow_none=True, load_default=None)
    audience = fields.Dict(required=True)
    announced_at = fields.AwareDateTime(required=True)


_CYCLE = "3e7a9c1b5d2f4e6a8b0c1d2e3f4a5b6c"
_NOMINATION = "8b2d4f6a0c1e3a5c7e9b1d3f5a7c9e1b"
_NOMINEE = {"member_id": "5a1b2c3d4e5f60718293a4b5c6d7e8f9", "given_name": "Георги", "family_name": "Петров",
            "preferred_language": "bg"}
_MENTOR_OF_THE_YEAR = {"category_id": "mentor-of-the-year",
                       "title": {"bg": "Ментор на годината", "en": "Mentor of the year"}}

CYCLE_OPENED = CATALOG.register("awards.cycle.opened", CycleOpenedData(), example={
    "cycle_id": _CYCLE, "year": 2026, "title": {"bg": "Алумни награди 2026", "en": "Alumni Awards 2026"},
    "categories": [{**_MENTOR_OF_THE_YEAR, "self_nomination": False, "description": {
        "bg": "За завършил, който е наставлявал студенти и млади лекари през годината.",
        "en": "For a graduate who mentored students and young doctors during the year."}}],
    "nominations_until": "2027-01-31T21:59:59+00:00", "audience": {},
    "opened_at": "2027-01-05T08:00:00+00:00",
})
NOMINATION_SUBMITTED = CATALOG.register("awards.nomination.submitted", NominationSubmittedData(), example={
    "nomination_id": _NOMINATION, "cycle_id": _CYCLE, "year": 2026, "category": _MENTOR_OF_THE_YEAR,
    "nominee_id": _NOMINEE["member_id"], "nominee": _NOMINEE, "decide_by": "2027-02-14T21:59:59+00:00",
    "submitted_at": "2027-01-12T17:45:00+00:00",
})
NOMINATION_CONFIRMED = CATALOG.register("awards.nomination.confirmed", NominationDecidedData(), example={
    "nomination_id": _NOMINATION, "cycle_id": _CYCLE, "year": 2026, "category_id": "mentor-of-the-year",
    "category": _MENTOR_OF_THE_YEAR, "nominee_id": _NOMINEE["member_id"], "results_at": "2027-03-20T17:00:00+00:00",
    "at": "2027-01-13T09:10:00+00:00",
})
NOMINATION_DECLINED = CATALOG.register("awards.nomination.declined", NominationDecidedData(), example={
    "nomination_id": _NOMINATION, "cycle_id": _CYCLE, "year": 2026, "category_id": "mentor-of-the-year",
    "category": _MENTOR_OF_THE_YEAR, "nominee_id": _NOMINEE["member_id"], "results_at": "2027-03-20T17:00:00+00:00",
    "at": "2027-01-13T09:10:00+00:00",
})
WINNER_ANNOUNCED = CATALOG.register("awards.winner.announced", WinnerAnnouncedData(), example={
    "cycle_id": _CYCLE, "year": 2026, "category": _MENTOR_OF_THE_YEAR, "winner_id": _NOMINEE["member_id"],
    "winner": _NOMINEE, "citation": {"bg": "За шестима студенти, изведени до специалност.",
                                     "en": "For six students guided to their specialty."},
    "audience": {}, "announced_at": "2027-03-20T16:00:00+00:00",
})

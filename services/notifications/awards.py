"""What the Alumni awards' emails say, and to whom (issue 16, the awards service's ``awards.*``).

- ``awards.cycle.opened`` → the cycle's audience (its member filter, ``{}`` everyone verified,
  spread by ``fanout.py`` as a survey's is): the invitation to nominate, with the categories,
  the last day of nominations (Sofia time) and the cycle's page. Marketing: consent category
  ``awards``, email only.
- ``awards.nomination.submitted`` → the nominee (transactional, category ``awards``: a decision
  only they can make): the category, the deadline and CONFIRM / DECLINE one-click links
  (``shared.decisionlink.NOMINATION_DECISION``: person the nominee, object the nomination,
  valid until ``decide_by``), made when the email is built (``handlers.context_for_sending``);
  the stored delivery keeps only the nomination id and the deadline. Nominators are never
  named (the event does not carry them).
- ``awards.nomination.confirmed`` / ``.declined`` → the nominee (transactional, category
  ``awards``): a short receipt of their decision; confirmed: the jury reads the nomination
  blind, and the results' day (Sofia time) when the event names it; declined: nothing about
  it is shown to anyone. The decision events name the nominee by id only: their name and
  language are their contact's (the read model); the category, the year and the results' day
  come with the event (read as optional, ``DECIDED_FIELDS``: the receipt omits what lacks).
- ``awards.winner.announced`` → the winner, ``award_won`` (transactional); and the audience,
  ``award_announced`` (marketing, consent ``awards``): one announcement per winner event. The
  winner is in the audience too, but gets the congratulation only: both share the delivery key
  (event, recipient, channel), and the congratulation is queued first, with the event.
  The announcement carries the winner's name: the fan-out ``mentions`` them, so their erasure
  cancels what is not sent yet and scrubs what was (``store.forget_member``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields

from services.notifications.mentoring import Party, Personal, name_of
from services.notifications.wording import SOFIA, day_of, when
from shared import memberview

CATEGORY = "awards"
CYCLE_OPENED, NOMINATION_SUBMITTED = "awards.cycle.opened", "awards.nomination.submitted"
NOMINATION_CONFIRMED, NOMINATION_DECLINED = "awards.nomination.confirmed", "awards.nomination.declined"
WINNER_ANNOUNCED = "awards.winner.announced"
CYCLE_PATH, WINNERS_PATH = "/awards/cycles/{cycle_id}", "/awards/cycles/{cycle_id}/winners"
MY_NOMINATIONS_PATH = "/me/nominations"
# In a nominee's stored context: what the one-click links are made from at send time.
DECIDE_NOMINATION, DECIDE_BY = "decide_nomination_id", "decide_nomination_by"

class Category(memberview.Expectation):
    category_id = fields.String(required=True)
    title = fields.Dict(required=True)
    description = fields.Dict(allow_none=True, load_default=None)
    self_nomination = fields.Boolean(load_default=False)


OPENED_FIELDS = {"cycle_id": fields.String(required=True), "year": fields.Integer(required=True),
                 "title": fields.Dict(required=True),
                 "categories": fields.List(fields.Nested(Category), required=True),
                 "nominations_until": fields.String(required=True), "audience": fields.Dict(required=True)}
SUBMITTED_FIELDS = {"nomination_id": fields.String(required=True), "cycle_id": fields.String(required=True),
                    "year": fields.Integer(required=True), "category": fields.Nested(Category, required=True),
                    "nominee_id": fields.String(required=True), "nominee": fields.Nested(Party, required=True),
                    "decide_by": fields.String(required=True)}
# ``category``, ``year`` and ``results_at``: optional here, so an older event still makes a receipt.
DECIDED_FIELDS = {"nomination_id": fields.String(required=True), "cycle_id": fields.String(required=True),
                  "nominee_id": fields.String(required=True),
                  "category": fields.Nested(Category, allow_none=True, load_default=None),
                  "year": fields.Integer(allow_none=True, load_default=None),
                  "results_at": fields.String(allow_none=True, load_default=None)}
ANNOUNCED_FIELDS = {"cycle_id": fields.String(required=True), "year": fields.Integer(required=True),
                    "category": fields.Nested(Category, required=True), "winner_id": fields.String(required=True),
                    "winner": fields.Nested(Party, required=True),
                    "citation": fields.Dict(allow_none=True, load_default=None),
                    "audience": fields.Dict(required=True)}


def _link(base: str, path: str, **ids: str) -> str:
    return base.rstrip("/") + path.format(**ids)


def _text(value: Mapping[str, str] | None, language: str) -> str:
    value = value or {}
    return value.get(language) or next((v for v in value.values() if v), "")


def audience(data: Mapping[str, Any]) -> dict:
    """The cycle's member filter as ``memberview.fits`` reads it (``{}``: every verified member)."""
    return {"kind": "filter", "filter": data.get("audience") or {}}


def opened(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {"cycle_title": _text(data["title"], language), "year": data["year"],
            "award_categories": [{"title": _text(c["title"], language),
                                  "description": _text(c.get("description"), language)}
                                 for c in data["categories"]],
            "nominations_until": when(data["nominations_until"], SOFIA, language),
            "cycle_url": _link(base, CYCLE_PATH, cycle_id=data["cycle_id"])}


def submitted(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {"award_category": _text(data["category"]["title"], language), "year": data["year"],
            "decide_by": when(data["decide_by"], SOFIA, language),
            "nominations_url": _link(base, MY_NOMINATIONS_PATH),
            DECIDE_NOMINATION: data["nomination_id"], DECIDE_BY: data["decide_by"]}


def decided(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    """The nominee's receipt of their decision (both templates)."""
    category, results_at = data.get("category") or {}, data.get("results_at")
    return {"award_category": _text(category.get("title"), language), "year": data.get("year") or "",
            "results_on": day_of(results_at, SOFIA, language) if results_at else "",
            "nominations_url": _link(base, MY_NOMINATIONS_PATH)}


def nominee(data: Mapping[str, Any]) -> list[str]:
    return [data["nominee_id"]]


def announced(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    """The announcement to the audience (the fan-out's context)."""
    return {"award_category": _text(data["category"]["title"], language), "year": data["year"],
            "winner_name": name_of(data.get("winner"), language), "citation": _text(data.get("citation"), language),
            "winners_url": _link(base, WINNERS_PATH, cycle_id=data["cycle_id"])}


WINNER = Personal(lambda data, member_id: "award_won" if member_id == data["winner_id"] else None,
                  lambda data, member_id, language, base: announced(data, language, base))

TEMPLATES = ("awards_cycle_opened", "award_nomination", "award_nomination_confirmed", "award_nomination_declined",
             "award_won", "award_announced")

"""HTTP schemas of the events API."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.events.messages import KINDS
from shared import clock
from shared.memberview import AudienceSchema
from shared.web.pagination import page_query_schema, page_schema

DEFAULT_TIMEZONE = "Europe/Sofia"
DEFAULT_REMINDERS = [24 * 60, 60]
MAX_GUESTS = 10
TEXT = [validate.Regexp(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z", error="Must not contain control characters.")]
LINE = [validate.Length(min=1, max=200),
        validate.Regexp(r"^[^\x00-\x1f\x7f]*\Z", error="Must not contain control characters or line breaks.")]


class BilingualLine(Schema):
    bg = fields.String(required=True, validate=LINE)
    en = fields.String(required=True, validate=LINE)


class BilingualText(Schema):
    bg = fields.String(required=True, validate=[validate.Length(max=10_000), *TEXT])
    en = fields.String(required=True, validate=[validate.Length(max=10_000), *TEXT])


class PlaceSchema(Schema):
    name = fields.String(required=True, validate=LINE)
    address = fields.String(allow_none=True, load_default=None, validate=LINE)
    city = fields.String(allow_none=True, load_default=None, validate=LINE)


def _timezone(value: str) -> None:
    if not clock.is_timezone(value):
        raise ValidationError("Not an IANA time zone, e.g. Europe/Sofia.")


class EventFieldsSchema(Schema):
    """Times are ISO 8601; without an offset they are read in the event's `timezone`. A time
    its clocks skip (spring forward) is refused (422 naming the field); one they show twice
    (fall back) is its first pass: give the offset for the second."""

    title = fields.Nested(BilingualLine)
    description = fields.Nested(BilingualText)
    kind = fields.String(validate=validate.OneOf(KINDS))
    timezone = fields.String(validate=_timezone, metadata={"description": f"default {DEFAULT_TIMEZONE}"})
    starts_at = fields.DateTime(format="iso")
    ends_at = fields.DateTime(format="iso")
    place = fields.Nested(PlaceSchema, allow_none=True)
    online_url = fields.Url(allow_none=True, schemes={"https", "http"}, validate=validate.Length(max=500))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000),
                              metadata={"description": "people, guests included; null: unlimited"})
    guests_allowed = fields.Integer(validate=validate.Range(min=0, max=MAX_GUESTS),
                                    metadata={"description": "guests each member may bring"})
    registration_opens_at = fields.DateTime(format="iso", allow_none=True)
    registration_closes_at = fields.DateTime(format="iso", allow_none=True,
                                             metadata={"description": "default: the start"})
    audience = fields.Nested(AudienceSchema)
    cover_image_url = fields.Url(allow_none=True, schemes={"https"}, validate=validate.Length(max=500))
    reminders = fields.List(fields.Integer(validate=validate.Range(min=5, max=60 * 24 * 14)),
                            validate=validate.Length(max=5),
                            metadata={"description": "minutes before the start; default [1440, 60]"})

    @post_load
    def _sorted_reminders(self, data: dict, **_) -> dict:
        if "reminders" in data:
            data["reminders"] = sorted(set(data["reminders"]), reverse=True)
        return data


# A wall time in the hour the clocks skip (e.g. 03:30 in Sofia on the last Sunday of March).
NO_SUCH_TIME = "No such time in this time zone: the clocks go forward past it that night."
OUT_OF_RANGE = "Not a valid datetime."


class NoSuchTime(ValueError):
    """A time that cannot be stored: in the hour the clocks skip, or out of range in UTC."""


def localise(moment: datetime | None, zone: str) -> datetime | None:
    """An aware UTC datetime (millisecond precision) from one given with or without offset.
    A time without offset is read in ``zone``: one the clocks skip raises ``NoSuchTime``
    (read as it is, it would silently become an hour later); one they show twice is the first
    pass, as iCalendar reads it (give the offset for the second)."""
    if moment is None:
        return None
    try:
        if moment.tzinfo is None:
            if not clock.wall_time_exists(moment, ZoneInfo(zone)):
                raise NoSuchTime(NO_SUCH_TIME)
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        # e.g. 0001-01-01T00:30 in a cause's deadline: a SofiaDateTime localises while its schema
        # loads, before the input rules refuse years out of range (shared/web/inputs.py).
        raise NoSuchTime(OUT_OF_RANGE) from None
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class EventCreateSchema(EventFieldsSchema):
    title = fields.Nested(BilingualLine, required=True)
    description = fields.Nested(BilingualText, load_default=lambda: {"bg": "", "en": ""})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    starts_at = fields.DateTime(format="iso", required=True, metadata={"example": "2026-12-12T18:00"})
    ends_at = fields.DateTime(format="iso", required=True, metadata={"example": "2026-12-12T22:00"})


class EventUpdateSchema(EventFieldsSchema):
    """Only the fields sent change."""


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=1000), *TEXT],
                           metadata={"description": "told to everyone registered"})


class EventSchema(Schema):
    id = fields.String(required=True)
    title = fields.Nested(BilingualLine)
    description = fields.Nested(BilingualText)
    kind = fields.String()
    status = fields.String(metadata={"description": "draft, published or cancelled"})
    timezone = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    local_starts_at = fields.String(metadata={"description": "the start in the event's time zone"})
    place = fields.Nested(PlaceSchema, allow_none=True)
    online_url = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    guests_allowed = fields.Integer()
    registration_opens_at = fields.AwareDateTime(allow_none=True)
    registration_closes_at = fields.AwareDateTime(allow_none=True)
    registration_open = fields.Boolean(metadata={"description": "registering is possible now"})
    audience = fields.Nested(AudienceSchema)
    fits_me = fields.Boolean(allow_none=True, metadata={"description": "the caller is in the audience"})
    cover_image_url = fields.String(allow_none=True)
    reminders = fields.List(fields.Integer())
    seats_left = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    waitlist_length = fields.Integer()
    published_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class EventListQuerySchema(page_query_schema(name="EventListQueryBase")):
    when = fields.String(load_default="upcoming", validate=validate.OneOf(["upcoming", "past", "all"]))
    kind = fields.List(fields.String(validate=validate.OneOf(KINDS)), validate=validate.Length(max=len(KINDS)))
    starts_from = fields.Date(metadata={"description": "events starting on or after this day (Sofia time)"})
    starts_to = fields.Date(metadata={"description": "events starting on or before this day (Sofia time)"})
    fits_me = fields.Boolean(metadata={"description": "only events whose audience includes the caller"})
    status = fields.String(validate=validate.OneOf(["draft", "published", "cancelled"]),
                           metadata={"description": "admins only; others see published and cancelled events"})

    @validates_schema
    def _range(self, data: dict, **_) -> None:
        if data.get("starts_from") and data.get("starts_to") and data["starts_from"] > data["starts_to"]:
            raise ValidationError("Must not be before starts_from.", "starts_to")


EventPageSchema = page_schema(EventSchema, "EventPage")

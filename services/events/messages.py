"""Events the events service publishes and the schemas of their ``data``.

Every message carries what a consumer needs to act without asking back (titles in both
languages, times with their time zone, the place): notifications renders from the message.
Ticket codes are never published: they are the bearer secret of check-in.
"""
from marshmallow import Schema, fields, validate

from shared.bus.envelope import EventCatalog

CATALOG = EventCatalog("events")
KINDS = ["reunion", "lecture", "webinar", "club_meeting", "conference", "volunteering"]


class Bilingual(Schema):
    bg = fields.String(required=True)
    en = fields.String(required=True)


class Place(Schema):
    name = fields.String(required=True)
    address = fields.String(allow_none=True, load_default=None)
    city = fields.String(allow_none=True, load_default=None)


class EventSummary(Schema):
    """The event as every message shows it."""

    event_id = fields.String(required=True)
    title = fields.Nested(Bilingual, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True)
    place = fields.Nested(Place, allow_none=True, load_default=None)
    online_url = fields.String(allow_none=True, load_default=None)


SUMMARY_EXAMPLE = {
    "event_id": "9b2f4c1d0e8a4b7c9d6e5f4a3b2c1d0e",
    "title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"},
    "kind": "reunion",
    "starts_at": "2026-12-12T16:00:00+00:00",
    "ends_at": "2026-12-12T20:00:00+00:00",
    "timezone": "Europe/Sofia",
    "place": {"name": "Аула на МУ-Пловдив", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"},
    "online_url": None,
}


class Audience(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["all", "graduation_years", "faculty", "segment"]))
    year_from = fields.Integer(allow_none=True, load_default=None)
    year_to = fields.Integer(allow_none=True, load_default=None)
    faculty = fields.String(allow_none=True, load_default=None)
    segment_id = fields.String(allow_none=True, load_default=None)


class EventPublishedData(EventSummary):
    description = fields.Nested(Bilingual, required=True)
    audience = fields.Nested(Audience, required=True)
    capacity = fields.Integer(allow_none=True, load_default=None)
    registration_closes_at = fields.AwareDateTime(allow_none=True, load_default=None)
    published_at = fields.AwareDateTime(required=True)


EVENT_PUBLISHED = CATALOG.register("events.event.published", EventPublishedData(), example={
    **SUMMARY_EXAMPLE,
    "description": {"bg": "Двадесет години по-късно.", "en": "Twenty years on."},
    "audience": {"kind": "graduation_years", "year_from": 2006, "year_to": 2006, "faculty": None, "segment_id": None},
    "capacity": 120,
    "registration_closes_at": "2026-12-10T22:00:00+00:00",
    "published_at": "2026-11-28T12:00:00+00:00",
})


class Previous(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    place = fields.Nested(Place, allow_none=True, load_default=None)
    online_url = fields.String(allow_none=True, load_default=None)


class EventRescheduledData(EventSummary):
    previous = fields.Nested(Previous, required=True)
    member_ids = fields.List(fields.String(), required=True,
                             metadata={"description": "members with a confirmed or waitlisted registration"})


EVENT_RESCHEDULED = CATALOG.register("events.event.rescheduled", EventRescheduledData(), example={
    **SUMMARY_EXAMPLE,
    "previous": {"starts_at": "2026-12-05T16:00:00+00:00", "ends_at": "2026-12-05T20:00:00+00:00",
                 "place": SUMMARY_EXAMPLE["place"], "online_url": None},
    "member_ids": ["6f1c2b9e4d8a4e5f9a0b1c2d3e4f5a6b"],
})


class EventCancelledData(EventSummary):
    reason = fields.String(allow_none=True, load_default=None)
    cancelled_at = fields.AwareDateTime(required=True)
    member_ids = fields.List(fields.String(), required=True,
                             metadata={"description": "members whose registration the cancellation ended"})


EVENT_CANCELLED = CATALOG.register("events.event.cancelled", EventCancelledData(), example={
    **SUMMARY_EXAMPLE,
    "reason": "Залата е наводнена.",
    "cancelled_at": "2026-12-01T09:00:00+00:00",
    "member_ids": ["6f1c2b9e4d8a4e5f9a0b1c2d3e4f5a6b"],
})


class RegistrationData(EventSummary):
    registration_id = fields.String(required=True)
    member_id = fields.String(required=True)
    guests = fields.Integer(required=True)
    status = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


REGISTRATION_EXAMPLE = {**SUMMARY_EXAMPLE, "registration_id": f"{SUMMARY_EXAMPLE['event_id']}:6f1c2b9e4d8a4e5f",
                        "member_id": "6f1c2b9e4d8a4e5f", "guests": 1, "status": "confirmed",
                        "at": "2026-11-28T12:05:00+00:00"}
REGISTRATION_CONFIRMED = CATALOG.register("events.registration.confirmed", RegistrationData(),
                                          example=REGISTRATION_EXAMPLE)


class WaitlistedData(RegistrationData):
    position = fields.Integer(required=True, metadata={"description": "place in the queue, 1 is next"})


REGISTRATION_WAITLISTED = CATALOG.register("events.registration.waitlisted", WaitlistedData(), example={
    **REGISTRATION_EXAMPLE, "status": "waitlisted", "position": 3})
REGISTRATION_PROMOTED = CATALOG.register("events.registration.promoted", RegistrationData(), example={
    **REGISTRATION_EXAMPLE})


class CancelledData(RegistrationData):
    reason = fields.String(required=True, validate=validate.OneOf(["member", "admin", "event_cancelled", "erased"]))


REGISTRATION_CANCELLED = CATALOG.register("events.registration.cancelled", CancelledData(), example={
    **REGISTRATION_EXAMPLE, "status": "cancelled", "reason": "member"})


class CheckedInData(Schema):
    event_id = fields.String(required=True)
    registration_id = fields.String(required=True)
    member_id = fields.String(required=True)
    guests = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    checked_in_at = fields.AwareDateTime(required=True)


ATTENDANCE_CHECKED_IN = CATALOG.register("events.attendance.checked_in", CheckedInData(), example={
    "event_id": SUMMARY_EXAMPLE["event_id"], "registration_id": REGISTRATION_EXAMPLE["registration_id"],
    "member_id": "6f1c2b9e4d8a4e5f", "guests": 1, "kind": "reunion", "checked_in_at": "2026-12-12T15:55:00+00:00"})


class ReminderDueData(EventSummary):
    minutes_before = fields.Integer(required=True, metadata={
        "description": "how long before the start the reminder goes: its offset, or the minutes left when "
                       "it goes more than 5 minutes late (an event published or moved shortly before its "
                       "start, workers that were down)"})
    member_ids = fields.List(fields.String(), required=True,
                             metadata={"description": "members with a confirmed registration"})


REMINDER_DUE = CATALOG.register("events.reminder.due", ReminderDueData(), example={
    **SUMMARY_EXAMPLE, "minutes_before": 1440, "member_ids": ["6f1c2b9e4d8a4e5f"]})


# --- causes (issue 15): volunteering calls, in-kind collections and campaigns (``causes/``)

CAUSE_KINDS = ["volunteering", "collection", "campaign"]


class CauseSummary(Schema):
    """The cause as every causes message shows it."""

    cause_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CAUSE_KINDS))
    title = fields.Nested(Bilingual, required=True)
    deadline = fields.AwareDateTime(required=True, metadata={"description": "joining closes then"})
    owner_id = fields.String(required=True, allow_none=True,
                             metadata={"description": "the member who runs it; null once that member was erased"})


CAUSE_EXAMPLE = {
    "cause_id": "3c9e1f0a2b4d4e6f8a0b1c2d3e4f5a6b",
    "kind": "volunteering",
    "title": {"bg": "Ден на отворените врати 2027", "en": "Open day 2027"},
    "deadline": "2027-03-20T21:59:00+00:00",
    "owner_id": "6f1c2b9e4d8a4e5f9a0b1c2d3e4f5a6b",
}


class CauseRole(Schema):
    role_id = fields.String(required=True)
    title = fields.Nested(Bilingual, required=True)
    slots = fields.Integer(required=True, metadata={"description": "volunteers wanted (collections: the quantity)"})
    what_to_bring = fields.Nested(Bilingual, allow_none=True, load_default=None)
    when = fields.AwareDateTime(allow_none=True, load_default=None)


class Goal(Schema):
    target = fields.Float(required=True)
    unit = fields.Nested(Bilingual, required=True)
    current = fields.Float(required=True)


class CausePublishedData(CauseSummary):
    description = fields.Nested(Bilingual, required=True)
    audience = fields.Nested(Audience, required=True)
    roles = fields.List(fields.Nested(CauseRole), required=True)
    goal = fields.Nested(Goal, allow_none=True, load_default=None)
    donation_url = fields.String(allow_none=True, load_default=None)
    published_at = fields.AwareDateTime(required=True)


ROLE_EXAMPLE = {"role_id": "guide", "title": {"bg": "Водач на гости", "en": "Visitor guide"},
                "what_to_bring": {"bg": "Бяла престилка; сбор в 8:30 пред Аулата.",
                                  "en": "A white coat; we meet at 8:30 in front of the Aula."},
                "when": "2027-03-27T07:30:00+00:00"}
CAUSE_PUBLISHED = CATALOG.register("events.cause.published", CausePublishedData(), example={
    **CAUSE_EXAMPLE,
    "description": {"bg": "Покажете университета на бъдещите студенти.",
                    "en": "Show the university to future students."},
    "audience": {"kind": "all", "year_from": None, "year_to": None, "faculty": None, "segment_id": None},
    "roles": [{**ROLE_EXAMPLE, "slots": 10},
              {"role_id": "mock-exams", "title": {"bg": "Пробни изпити", "en": "Mock exams"}, "slots": 4,
               "what_to_bring": None, "when": None}],
    "goal": None,
    "donation_url": None,
    "published_at": "2027-02-01T09:00:00+00:00",
})


class VolunteerRole(Schema):
    role_id = fields.String(required=True)
    title = fields.Nested(Bilingual, required=True)
    what_to_bring = fields.Nested(Bilingual, allow_none=True, load_default=None)
    when = fields.AwareDateTime(allow_none=True, load_default=None)
    place = fields.Nested(Place, allow_none=True, load_default=None)


class VolunteerJoinedData(CauseSummary):
    volunteer_id = fields.String(required=True)
    member_id = fields.String(required=True)
    role = fields.Nested(VolunteerRole, required=True)
    status = fields.String(required=True, validate=validate.OneOf(["joined", "waitlisted"]),
                           metadata={"description": "waitlisted: the request waits for a slot"})
    position = fields.Integer(allow_none=True, load_default=None,
                              metadata={"description": "waitlisted: place in the queue, 1 is next"})
    promoted = fields.Boolean(required=True, metadata={"description": "joined from the waitlist"})
    quantity = fields.Integer(allow_none=True, load_default=None,
                              metadata={"description": "collections: the quantity pledged"})
    at = fields.AwareDateTime(required=True)


VOLUNTEER_JOINED = CATALOG.register("events.volunteer.joined", VolunteerJoinedData(), example={
    **CAUSE_EXAMPLE, "volunteer_id": "8d7e6f5a4b3c4d2e9f1a0b2c3d4e5f60", "member_id": "6f1c2b9e4d8a4e5f",
    "role": {**ROLE_EXAMPLE, "place": {"name": "Аула на МУ-Пловдив", "address": "бул. „Васил Априлов“ 15А",
                                       "city": "Пловдив"}},
    "status": "joined", "position": None, "promoted": False, "quantity": None, "at": "2027-02-03T18:12:00+00:00"})


class VolunteerLeftData(CauseSummary):
    volunteer_id = fields.String(required=True)
    member_id = fields.String(required=True)
    role_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["member", "admin", "cause_closed", "erased"]))
    at = fields.AwareDateTime(required=True)


VOLUNTEER_LEFT = CATALOG.register("events.volunteer.left", VolunteerLeftData(), example={
    **CAUSE_EXAMPLE, "volunteer_id": "8d7e6f5a4b3c4d2e9f1a0b2c3d4e5f60", "member_id": "6f1c2b9e4d8a4e5f",
    "role_id": "guide", "reason": "member", "at": "2027-02-10T07:40:00+00:00"})


class HoursConfirmedData(CauseSummary):
    volunteer_id = fields.String(required=True)
    member_id = fields.String(required=True)
    role_id = fields.String(required=True)
    hours = fields.Float(required=True, metadata={"description": "0.5 to 24, given on the day `on`"})
    on = fields.Date(required=True)
    confirmed_by = fields.String(required=True, metadata={"description": "the owner or admin who confirmed"})
    confirmed_at = fields.AwareDateTime(required=True)


HOURS_CONFIRMED = CATALOG.register("events.volunteer.hours_confirmed", HoursConfirmedData(), example={
    **CAUSE_EXAMPLE, "volunteer_id": "8d7e6f5a4b3c4d2e9f1a0b2c3d4e5f60", "member_id": "6f1c2b9e4d8a4e5f",
    "role_id": "guide", "hours": 4.5, "on": "2027-03-27", "confirmed_by": "6f1c2b9e4d8a4e5f9a0b1c2d3e4f5a6b",
    "confirmed_at": "2027-03-28T08:00:00+00:00"})


class CauseClosedData(CauseSummary):
    closed_at = fields.AwareDateTime(required=True)
    member_ids = fields.List(fields.String(), required=True,
                             metadata={"description": "members who were joined or waiting when it closed"})
    waiting_member_ids = fields.List(fields.String(), load_default=list,
                                     metadata={"description": "of those, the ones still waiting (their requests "
                                                              "ended with the cause)"})


CAUSE_CLOSED = CATALOG.register("events.cause.closed", CauseClosedData(), example={
    **CAUSE_EXAMPLE, "closed_at": "2027-03-21T10:00:00+00:00",
    "member_ids": ["6f1c2b9e4d8a4e5f", "0a1b2c3d4e5f4a6b"], "waiting_member_ids": ["0a1b2c3d4e5f4a6b"]})

"""The data of the ambassadors', causes' and awards' events as their contracts write them
(/work/wt/notes/AMBASSADORS_CAUSES.md sections A and B, AWARDS.md section B), for the
notifications tests written before their producers' catalogues existed.

``event(type, data)`` makes the envelope a producer would publish (source = the type's
service), without the producer's own validation: the consumer's expectation is what the tests
exercise. Once the producers register these types, ``tests/contract`` checks both sides agree.
"""
from __future__ import annotations

import uuid

from shared.bus.envelope import Envelope, producer_of, utc_now_rfc3339

AMBASSADOR, MEMBER_2 = "a" * 32, "b" * 32
QUESTION, CONTACT, APPLICATION = "q" * 32, "c" * 32, "p" * 32
CAUSE, VOLUNTEER, ROLE = "k" * 32, "v" * 32, "r" * 32
CYCLE, NOMINATION, CATEGORY = "y" * 32, "n" * 32, "g" * 32


def party(member_id: str, given: str | None = "Георги", family: str | None = "Петров",
          language: str | None = "bg") -> dict:
    return {"member_id": member_id, "given_name": given, "family_name": family, "preferred_language": language}


def event(event_type: str, data: dict, subject: str = "subject-1", correlation_id: str = "corr-1") -> Envelope:
    return Envelope(id=str(uuid.uuid4()), source=producer_of(event_type), type=event_type, time=utc_now_rfc3339(),
                    subject=subject, data=data, correlationid=correlation_id)


CAUSE_SUMMARY = {"cause_id": CAUSE, "kind": "volunteering",
                 "title": {"bg": "Ден на отворените врати 2027", "en": "Open Day 2027"},
                 "deadline": "2027-03-20T16:00:00+00:00", "owner_id": MEMBER_2}
ROLE_DATA = {"role_id": ROLE, "title": {"bg": "Екскурзовод", "en": "Campus guide"},
             "what_to_bring": {"bg": "Бяла престилка и удобни обувки.", "en": "A white coat and comfortable shoes."},
             "when": "2027-03-27T07:00:00+00:00",
             "place": {"name": "Аула", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"}}
AUDIENCE_FILTER = {"graduation_year_from": 2000, "graduation_year_to": 2010}

DATA = {
    "members.ambassador.applied": {
        "application_id": APPLICATION, "member_id": AMBASSADOR, "member": party(AMBASSADOR, "Priya", "Sharma", "en"),
        "countries": ["IN", "NP"], "languages": ["en", "hi"], "applied_at": "2026-09-20T09:00:00+00:00"},
    "members.ambassador.appointed": {
        "member_id": AMBASSADOR, "member": party(AMBASSADOR), "public_id": "pub-7f3c9a",
        "regions": [{"country": "IN", "cities": ["Delhi", "Mumbai"]}, {"country": "NP", "cities": []}],
        "languages": ["en", "hi"], "term_starts": "2026-10-01", "term_ends": "2027-09-30",
        "appointed_at": "2026-09-28T09:00:00+00:00"},
    "members.ambassador.declined": {
        "application_id": APPLICATION, "member_id": AMBASSADOR, "member": party(AMBASSADOR),
        "reason": "Тази година имаме достатъчно посланици за Индия.", "declined_at": "2026-09-28T09:00:00+00:00"},
    "members.ambassador.question_asked": {
        "question_id": QUESTION, "asker": {"name": "Priya Sharma", "email": "priya@example.in", "language": "en"},
        "country": "IN", "confirm_until": "2026-12-11T10:00:00+00:00", "asked_at": "2026-12-08T10:00:00+00:00"},
    "members.ambassador.contact_assigned": {
        "contact_id": CONTACT, "member_id": AMBASSADOR, "ambassador": party(AMBASSADOR),
        "contact": {"name": "Priya Sharma", "kind": "finder_question", "country": "IN", "language": "en"},
        "source": "finder", "message": "How much is the hostel?\n\nIs there a preparatory year?",
        "due_at": "2026-12-10T10:00:00+00:00", "assigned_at": "2026-12-08T10:00:00+00:00"},
    "members.ambassador.contact_replied": {
        "contact_id": CONTACT, "member_id": AMBASSADOR, "ambassador": party(AMBASSADOR), "via": "reply",
        "first": True, "message": "Hello Priya,\nthe hostel costs about 100 euros a month.\n\nGood luck!",
        "recipient": {"name": "Priya Sharma", "email": "priya@example.in", "language": "en"},
        "within_target": True, "reply_seconds": 7200, "replied_at": "2026-12-08T12:00:00+00:00"},
    "members.ambassador.reply_overdue": {
        "contact_id": CONTACT, "member_id": AMBASSADOR, "ambassador": party(AMBASSADOR),
        "contact": {"name": "Priya Sharma", "kind": "prospective_student", "country": "IN"},
        "stage": "ambassador", "due_at": "2026-12-10T10:00:00+00:00", "overdue_at": "2026-12-10T10:01:00+00:00"},
    "members.ambassador.asker_erased": {"question_id": QUESTION, "erased_at": "2027-12-08T10:00:00+00:00"},
    "events.cause.published": {
        **CAUSE_SUMMARY, "description": {"bg": "Посрещаме кандидат-студентите.\n\nНужни са ни доброволци.",
                                         "en": "We welcome future students.\n\nWe need volunteers."},
        "audience": {"kind": "all"},
        "roles": [{"role_id": ROLE, "title": ROLE_DATA["title"], "slots": 10,
                   "what_to_bring": ROLE_DATA["what_to_bring"], "when": ROLE_DATA["when"]},
                  {"role_id": "s" * 32, "title": {"bg": "Пробни изпити", "en": "Mock exams"}, "slots": 4,
                   "what_to_bring": None, "when": None}],
        "goal": None, "donation_url": None, "published_at": "2027-02-01T08:00:00+00:00"},
    "events.volunteer.joined": {
        **CAUSE_SUMMARY, "volunteer_id": VOLUNTEER, "member_id": AMBASSADOR, "role": ROLE_DATA, "status": "joined",
        "position": None, "promoted": False, "quantity": None, "at": "2027-02-02T08:00:00+00:00"},
    "events.volunteer.left": {
        **CAUSE_SUMMARY, "volunteer_id": VOLUNTEER, "member_id": AMBASSADOR, "role_id": ROLE, "reason": "member",
        "at": "2027-02-03T08:00:00+00:00"},
    "events.volunteer.hours_confirmed": {
        **CAUSE_SUMMARY, "volunteer_id": VOLUNTEER, "member_id": AMBASSADOR, "role_id": ROLE, "hours": 2.5,
        "on": "2027-03-27", "confirmed_by": MEMBER_2, "confirmed_at": "2027-03-28T08:00:00+00:00"},
    "events.cause.closed": {**CAUSE_SUMMARY, "closed_at": "2027-03-21T08:00:00+00:00", "member_ids": [AMBASSADOR]},
    "awards.cycle.opened": {
        "cycle_id": CYCLE, "year": 2026, "title": {"bg": "Алумни награди 2026", "en": "Alumni Awards 2026"},
        "categories": [{"category_id": CATEGORY, "title": {"bg": "Ментор на годината", "en": "Mentor of the Year"},
                        "description": {"bg": "За ментор на студенти.", "en": "For a mentor of students."},
                        "self_nomination": False}],
        "nominations_until": "2027-01-31T21:59:00+00:00", "audience": AUDIENCE_FILTER,
        "opened_at": "2027-01-05T08:00:00+00:00"},
    "awards.nomination.submitted": {
        "nomination_id": NOMINATION, "cycle_id": CYCLE, "year": 2026,
        "category": {"category_id": CATEGORY, "title": {"bg": "Ментор на годината", "en": "Mentor of the Year"}},
        "nominee_id": AMBASSADOR, "nominee": party(AMBASSADOR), "decide_by": "2027-02-15T21:59:00+00:00",
        "submitted_at": "2027-01-10T08:00:00+00:00"},
    # As the producer sends them: ids only (the receipt finds the nominee's name and language).
    "awards.nomination.confirmed": {
        "nomination_id": NOMINATION, "cycle_id": CYCLE, "category_id": CATEGORY, "nominee_id": AMBASSADOR,
        "at": "2027-01-11T08:00:00+00:00"},
    "awards.nomination.declined": {
        "nomination_id": NOMINATION, "cycle_id": CYCLE, "category_id": CATEGORY, "nominee_id": AMBASSADOR,
        "at": "2027-01-11T08:00:00+00:00"},
    "awards.winner.announced": {
        "cycle_id": CYCLE, "year": 2026,
        "category": {"category_id": CATEGORY, "title": {"bg": "Ментор на годината", "en": "Mentor of the Year"}},
        "winner_id": AMBASSADOR, "winner": party(AMBASSADOR),
        "citation": {"bg": "За двадесет години всеотдайно менторство.", "en": "For twenty years of devoted mentoring."},
        "audience": {}, "announced_at": "2027-04-01T08:00:00+00:00"},
}
